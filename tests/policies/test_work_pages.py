"""The pages: the applicant applies and follows its application in the portal, staff review it
in the queue, the grant console re-confirms in a batch, the payment batch is exported and
marked paid, and the KPIs show the figures; plus the JSON API's refusals."""

from __future__ import annotations

import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from gridlight.policies.models import Application, Grant, PaymentBatch
from tests.conftest import login
from tests.policies.grant_world import PDF, PNG, make_match, make_policy


def test_apply_review_grant_and_pay_through_the_pages(world: Any) -> None:
    policy, _v = make_policy(world, "pages_apply", "apply", budget_fen=10_000_000)
    talent = login(world.users["talent"])
    home = talent.get("/me/talent/policies/")
    assert home.status_code == 200
    assert policy.title in home.content.decode()
    form = talent.get(f"/me/talent/policies/apply/{policy.pk}/")
    assert form.status_code == 200
    assert world.secret_talent.name in form.content.decode()
    # A material missing: 400 with the reason, nothing written.
    missing = talent.post(
        f"/me/talent/policies/apply/{policy.pk}/",
        {"material_0": SimpleUploadedFile("id.pdf", PDF)},
    )
    assert missing.status_code == 400
    assert "学历证书" in missing.content.decode()
    assert not Application.objects.exists()
    done = talent.post(
        f"/me/talent/policies/apply/{policy.pk}/",
        {
            "material_0": SimpleUploadedFile("id.pdf", PDF),
            "material_1": SimpleUploadedFile("d.png", PNG),
            "statement": "申请补贴",
        },
    )
    app = Application.objects.get()
    assert done.status_code == 302
    staff, admin = login(world.users["street_staff"]), login(world.users["district_admin"])
    queue = staff.get("/policies/applications/")
    assert world.secret_talent.name in queue.content.decode()
    assert (
        world.secret_talent.name
        not in login(world.twins["street_staff"]).get("/policies/applications/").content.decode()
    )
    assert staff.get(f"/policies/applications/{app.pk}/").status_code == 200
    for client, step, data in (
        (staff, "accept", {}),
        (staff, "first_review", {"note": "材料齐全"}),
        (admin, "approve", {"amount_yuan": "", "reason": ""}),
    ):
        app.refresh_from_db()
        client.post(
            f"/policies/applications/{app.pk}/{step}/",
            {"edit_version": app.edit_version, **data},
        )
    app.refresh_from_db()
    assert app.status == "approved"
    # The API: a step that does not apply, and a lying upload: 400 with the reason.
    stale = admin.post(
        f"/api/v1/policy-applications/{app.pk}/steps/refuse",
        data=json.dumps({"edit_version": 1, "reason": "x"}),
        content_type="application/json",
    )
    assert stale.status_code == 400  # refusing an approved application
    other, _v2 = make_policy(world, "pages_apply2", "apply")
    lying = talent.post(
        f"/api/v1/me/policies/policies/{other.pk}/applications",
        {
            "material_0": SimpleUploadedFile("id.pdf", b"<html>not a pdf</html>"),
            "material_1": SimpleUploadedFile("d.png", PNG),
        },
    )
    assert lying.status_code == 400
    assert "id.pdf" in json.loads(lying.content)["detail"]
    assert Application.objects.count() == 1
    page = talent.get(f"/me/talent/policies/applications/{app.pk}/").content.decode()
    assert 'data-testid="progress"' in page
    assert (
        login(world.twins["talent"]).get(f"/me/talent/policies/applications/{app.pk}/").status_code
        == 404
    )
    # The approved grant is paid in a batch, exported to Excel.
    assert admin.post(f"/policies/grants/batch/{policy.pk}/").status_code == 302
    batch = PaymentBatch.objects.get()
    export = admin.get(f"/policies/batches/{batch.pk}/export/")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    admin.post(f"/policies/batches/{batch.pk}/paid/", {"version": batch.version})
    assert Grant.objects.get().status == "paid"
    kpi = admin.get("/policies/kpi/?by=street")
    assert kpi.status_code == 200
    assert "5,000.00" in kpi.content.decode()
    assert admin.get("/policies/kpi/export/?by=month").status_code == 200


def test_grant_console_and_api(world: Any) -> None:
    policy, version = make_policy(world, "pages_auto", "auto_grant", budget_fen=10_000_000)
    match = make_match(version, world.secret_talent)
    talent = login(world.users["talent"])
    assert policy.title in talent.get("/me/talent/policies/").content.decode()
    talent.post(f"/me/talent/policies/offers/{match.pk}/confirm/")
    grant = Grant.objects.get()
    # A second confirmation through the API: 400 with the reason, nothing written.
    again = talent.post(f"/api/v1/me/policies/offers/{match.pk}/confirm")
    assert again.status_code == 400
    assert json.loads(again.content)["detail"]
    assert Grant.objects.count() == 1
    admin = login(world.users["district_admin"])
    console = admin.get("/policies/grants/")
    assert world.secret_talent.name in console.content.decode()
    admin.post("/policies/grants/reconfirm/", {"grant": [grant.pk], "decision": "confirm"})
    grant.refresh_from_db()
    assert grant.status == "confirmed"
    api = admin.get("/api/v1/policy-grants?status=confirmed")
    assert api.status_code == 200
    assert [g["id"] for g in json.loads(api.content)["items"]] == [grant.pk]
    assert login(world.users["grid_worker"]).get("/policies/grants/").status_code == 403
