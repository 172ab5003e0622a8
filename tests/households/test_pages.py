"""Household pages and API as their users see them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridlight.core.idcard import check_digit
from gridlight.core.models import AuditEvent, Job
from gridlight.households.models import Household
from gridlight.households.services import MemberInput, household_register
from gridlight.rules.models import RuleSetVersion
from tests.conftest import CANARY, SECRET_ID, World, login
from tests.factories import HouseholdFactory, MemberFactory, UserFactory, assign

pytestmark = pytest.mark.django_db


def _id_aged(years: int) -> str:
    """A synthetic ID number of someone who turned ``years`` on 1 January."""
    body = f"110101{timezone.localdate().year - years}0101005"
    return body + check_digit(body)


def _more(world: World, n: int) -> None:
    for i in range(n):
        HouseholdFactory(
            actor=world.users["district_admin"],
            grid=world.open_grid,
            code=f"MORE-{n}-{i}",
            attributes=["empty_nest"],
            members=[MemberFactory.build(), MemberFactory.build()],
        )


@pytest.mark.parametrize(
    "url",
    [
        "/households/",
        "/households/?light=yellow",
        "/households/?q=甲",
        "/households/dashboard/",
        "/households/worklist/",
        "/",  # the traffic-light tiles: lights and visits due, counted from an index
        "/api/v1/lights?region=900001",
        "/api/v1/worklist",
    ],
)
def test_household_pages_use_a_fixed_number_of_queries(world: World, url: str) -> None:
    client = login(world.users["district_admin"])
    _more(world, 2)
    Household.objects.update(next_visit_due=timezone.localdate())
    client.get(url)  # warm the per-process caches (compiled rule set, labels)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _more(world, 12)
    Household.objects.update(next_visit_due=timezone.localdate())
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_household_page_explains_the_light_and_masks_numbers(world: World) -> None:
    body = (
        login(world.users["grid_worker"])
        .get(f"/households/{world.secret_household.pk}/")
        .content.decode()
    )
    why = body.split('data-testid="why"')[1].split("</div></div>")[0]
    assert "80岁以上独居老人" in why
    assert "重度残疾" in why
    assert "86" in why or "85" in why  # the age it saw
    assert SECRET_ID not in body
    assert SECRET_ID[:4] + "*" * 14 in body


def test_search_by_exact_id_number_uses_the_blind_index(world: World) -> None:
    client = login(world.users["district_admin"])
    body = client.get(f"/households/?q={SECRET_ID}").content.decode()
    assert f"{CANARY}-H1" in body
    assert "OPEN-H1" not in body
    body = client.get(f"/households/?q={SECRET_ID[:10]}").content.decode()
    assert f"{CANARY}-H1" not in body  # partial numbers find nothing: only exact look-up


def test_reveal_button_returns_the_number_and_audits(world: World) -> None:
    client = login(world.users["grid_worker"])
    url = (
        f"/households/{world.secret_household.pk}/members/{world.secret_resident.pk}"
        f"/reveal/id_number/"
    )
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert SECRET_ID in response.content.decode()
    assert AuditEvent.objects.filter(action="reveal.id_number").count() == 1


def test_grid_worker_worklist_holds_only_own_grid(world: World) -> None:
    Household.objects.update(next_visit_due=timezone.localdate() - timedelta(days=2))
    body = login(world.users["grid_worker"]).get("/households/worklist/").content.decode()
    assert f"{CANARY}老人" in body
    assert "公开居民" not in body


def test_recording_a_visit_from_the_worklist(world: World) -> None:
    client = login(world.users["grid_worker"])
    response = client.post(
        f"/households/{world.secret_household.pk}/visits/",
        {
            "method": "phone",
            "visited_on": timezone.localdate().isoformat(),
            "notes": "已电话问候",
            "next": "worklist",
        },
    )
    assert response["Location"] == "/households/worklist/"
    h = Household.objects.get(pk=world.secret_household.pk)
    assert h.last_visit_on == timezone.localdate()


def test_rule_change_previewed_published_and_applied(world: World) -> None:
    """A draft lowering the red age to 75 is previewed, published and applied; exactly the
    households it should move, move."""
    admin = login(world.users["district_admin"])
    h75 = household_register(
        actor=world.users["district_admin"],
        grid=world.open_grid,
        code="AGE-77",
        address="长寿路1号",
        attributes=["living_alone"],
        members=[MemberInput(name="七十七", id_number=_id_aged(77))],
    )
    assert h75.light == "yellow"
    response = admin.post("/households/rules/draft/")
    draft = RuleSetVersion.objects.get(status="draft")
    assert response["Location"] == f"/households/rules/{draft.pk}/"
    definition = draft.definition
    definition["rules"][0]["when"]["all_of"][0] = {"age_at_least": 75}
    definition["tests"] = [t for t in definition["tests"] if "79-year-old" not in t["name"]]
    saved = admin.post(
        f"/households/rules/{draft.pk}/",
        {
            "definition": yaml.safe_dump(definition, allow_unicode=True),
            "note": "75岁",
            "edit_version": draft.edit_version,
        },
    )
    assert saved.status_code == 302, saved.content.decode()[:500]
    url = f"/households/rules/{draft.pk}/simulate/"
    assert 'data-testid="simulation"' not in admin.get(url).content.decode()  # none yet
    started = admin.post(url)  # a background job (run at once in tests)
    assert started.status_code == 302
    assert started["Location"] == url
    preview = admin.get(url).content.decode()
    assert 'data-testid="simulation"' in preview
    assert 'data-testid="simulation-stale"' not in preview
    # Of the 3 households in scope, the 77-year-old living alone goes from yellow to red.
    assert 'data-changing="1" data-households="3"' in preview
    assert Household.objects.get(pk=h75.pk).light == "yellow"  # a preview changes nothing
    admin.post(
        f"/households/rules/{draft.pk}/publish/",
        {"effective_from": timezone.localdate().isoformat()},
    )
    admin.post("/households/rules/recompute/")
    assert Household.objects.get(pk=h75.pk).light == "red"
    assert Household.objects.get(pk=world.open_household.pk).light == "green"


def _area(page: str) -> str:
    return page.split('data-testid="simulation-area"')[1].split("</table>")[0]


def test_the_preview_page_shows_the_latest_preview_without_evaluating(world: World) -> None:
    """The preview page reads the latest preview (a job's result): its queries do not grow with
    the households, it says when the draft was edited after it, and another user's preview is
    not shown."""
    admin = login(world.users["district_admin"])
    admin.post("/households/rules/draft/")
    draft = RuleSetVersion.objects.get(status="draft")
    url = f"/households/rules/{draft.pk}/simulate/"
    assert admin.post(url).status_code == 302
    admin.get(url)  # warm the per-process caches
    with CaptureQueriesContext(connection) as small:
        first = admin.get(url).content.decode()
    _more(world, 12)
    with CaptureQueriesContext(connection) as large:
        again = admin.get(url).content.decode()
    assert len(large) == len(small)
    # The page shows the preview as it was made, not a new evaluation.
    assert _area(again) == _area(first)
    assert 'data-households="2"' in _area(first)
    admin.post(
        f"/households/rules/{draft.pk}/",
        {
            "definition": yaml.safe_dump(draft.definition, allow_unicode=True),
            "note": "edited",
            "edit_version": draft.edit_version,
        },
    )
    assert 'data-testid="simulation-stale"' in admin.get(url).content.decode()
    assert admin.post(url).status_code == 302
    fresh = admin.get(url).content.decode()
    assert 'data-testid="simulation-stale"' not in fresh
    assert f'data-households="{Household.objects.count()}"' in fresh
    colleague = UserFactory(username="colleague")
    assign(colleague, "district_admin", world.district)
    assert 'data-testid="simulation"' not in login(colleague).get(url).content.decode()


def test_a_preview_of_a_draft_that_does_not_compile_is_refused_at_once(world: World) -> None:
    admin = login(world.users["district_admin"])
    admin.post("/households/rules/draft/")
    draft = RuleSetVersion.objects.get(status="draft")
    RuleSetVersion.objects.filter(pk=draft.pk).update(
        definition={**draft.definition, "rules": [{"code": "x", "outcome": "red", "when": {}}]}
    )
    response = admin.post(f"/households/rules/{draft.pk}/simulate/", follow=True)
    assert response.redirect_chain[-1][0] == f"/households/rules/{draft.pk}/"
    assert not Job.objects.filter(kind="households.simulate").exists()


def test_a_rule_edit_that_does_not_compile_is_refused(world: World) -> None:
    admin = login(world.users["district_admin"])
    admin.post("/households/rules/draft/")
    draft = RuleSetVersion.objects.get(status="draft")
    bad = {
        **draft.definition,
        "rules": [{"code": "x", "outcome": "red", "when": {"cel": "salary > 3"}}],
    }
    response = admin.post(
        f"/households/rules/{draft.pk}/",
        {"definition": yaml.safe_dump(bad), "note": "", "edit_version": draft.edit_version},
    )
    assert response.status_code == 400
    assert "salary" in response.content.decode()
    draft.refresh_from_db()
    assert draft.definition != bad


def test_only_a_manager_of_every_household_may_touch_the_rules(world: World) -> None:
    assert login(world.twins["district_admin"]).post("/households/rules/draft/").status_code == 403
    assert (
        login(world.users["street_staff"]).post("/households/rules/recompute/").status_code == 403
    )


def test_api_household_detail_and_registration(world: World) -> None:
    client = login(world.users["grid_worker"])
    detail = client.get(f"/api/v1/households/{world.secret_household.pk}").json()
    assert detail["light"] == "red"
    assert {f["code"] for f in detail["fired"]} >= {"aged_80_alone"}
    assert detail["members"][0]["id_number_masked"].startswith("1101****")
    body = {
        "grid_code": world.secret_grid.code,
        "code": "API-H",
        "address": "接口路1号",
        "members": [{"name": "接口居民", "attributes": {"serious_illness": None}}],
        "attributes": ["no_carer"],
    }
    created = client.post("/api/v1/households", json.dumps(body), content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["light"] == "red"
    other = login(world.twins["grid_worker"])
    assert other.get(f"/api/v1/households/{world.secret_household.pk}").status_code == 404
    data = other.get("/api/v1/households").json()
    assert {h["code"] for h in data["items"]} == {"OPEN-H1"}


def test_recompute_runs_as_a_job_with_a_progress_page(world: World) -> None:
    admin = login(world.users["district_admin"])
    response = admin.post("/households/rules/recompute/")
    assert response.status_code == 302
    page = admin.get(response["Location"])
    body = page.content.decode()
    assert 'data-status="done"' in body
    assert "100%" in body
    assert login(world.users["grid_worker"]).get(response["Location"]).status_code == 404


def test_a_large_import_runs_as_a_job_and_reports_its_errors(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from openpyxl import Workbook

    from gridlight.core.views import imports as import_views

    monkeypatch.setattr(import_views, "SYNC_LIMIT", 0)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["户编号", "网格编码", "地址", "姓名"])
    ws.append(["J-1", "999", "某路", "某人"])
    data = io.BytesIO()
    wb.save(data)
    data.seek(0)
    data.name = "big.xlsx"
    admin = login(world.users["district_admin"])
    response = admin.post("/households/import/", {"file": data})
    assert response.status_code == 302
    body = admin.get(response["Location"]).content.decode()
    assert 'data-status="failed"' in body
    assert "网格编码" in body
    job_id = response["Location"].rstrip("/").rsplit("/", 1)[1]
    report = admin.get(f"/households/import/?job={job_id}")
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    assert admin.get("/households/import/?job=abc").status_code == 200
    assert not Household.objects.filter(code="J-1").exists()


def test_dashboard_counts_lights_per_child_region(world: World) -> None:
    _more(world, 3)  # three more households under the open street
    response = login(world.users["district_admin"]).get(
        f"/households/dashboard/{world.district.pk}/"
    )
    total = response.context["total"]
    assert (total.red, total.yellow, total.green) == (
        Household.objects.filter(light="red").count(),
        Household.objects.filter(light="yellow").count(),
        Household.objects.filter(light="green").count(),
    )
    per_child = {c.code: n for c, n in response.context["children"]}
    assert per_child[world.secret_street.code].red == 1
    assert per_child[world.open_street.code].total == 4


def test_staff_add_an_attribute_and_change_a_package(world: World) -> None:
    from gridlight.households.models import Attribute, ServicePackage

    admin = login(world.users["district_admin"])
    response = admin.post(
        "/households/catalogue/",
        {
            "code": "lonely_veteran",
            "name": "孤寡老兵",
            "name_en": "lone veteran",
            "applies_to": "resident",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert Attribute.objects.get(code="lonely_veteran").name == "孤寡老兵"
    bad = admin.post(
        "/households/catalogue/", {"code": "Bad Code", "name": "x", "applies_to": "resident"}
    )
    assert bad.status_code == 400
    red = ServicePackage.objects.get(light="red")
    response = admin.post(
        "/households/catalogue/packages/red/",
        {"visit_interval_days": 5, "items": "每五天入户\n紧急呼叫", "version": red.version},
    )
    assert response.status_code == 302
    red.refresh_from_db()
    assert (red.visit_interval_days, red.items) == (5, ["每五天入户", "紧急呼叫"])
    stale = admin.post(
        "/households/catalogue/packages/red/",
        {"visit_interval_days": 9, "items": "x", "version": red.version - 1},
    )
    assert stale.status_code == 409
    assert (
        login(world.users["street_staff"])
        .post(
            "/households/catalogue/packages/red/",
            {"visit_interval_days": 1, "items": "x", "version": red.version},
        )
        .status_code
        == 403
    )


def test_api_rule_versions_and_simulation(world: World) -> None:
    admin = login(world.users["district_admin"])
    versions = admin.get("/api/v1/traffic-light/versions").json()
    assert versions[0]["status"] == "published"
    preview = admin.post(f"/api/v1/traffic-light/versions/{versions[0]['id']}/simulate")
    assert preview.status_code == 200
    assert preview.json()["changing"] == 0
    assert preview.json()["households"] == Household.objects.count()
    twin = login(world.twins["district_admin"])
    assert (
        twin.post(f"/api/v1/traffic-light/versions/{versions[0]['id']}/simulate").status_code == 403
    )
    assert {a["code"] for a in admin.get("/api/v1/traffic-light/attributes").json()} >= {
        "living_alone",
        "disability",
    }


def test_unknown_region_filter_is_a_form_error_not_a_failure(world: World) -> None:
    response = login(world.users["district_admin"]).get("/households/?region=nope&light=red")
    assert response.status_code == 200
    assert "region" in response.context["form"].errors


def test_home_shows_each_role_its_traffic_light_work(world: World) -> None:
    Household.objects.filter(pk=world.secret_household.pk).update(
        next_visit_due=timezone.localdate() - timedelta(days=1)
    )
    worker = login(world.users["grid_worker"]).get("/")
    widget = worker.context["widgets"][0]
    assert widget["lights"] == {"red": 1, "yellow": 0, "green": 0}
    assert widget["visits"] == {"overdue": 1, "today": 0, "week": 0}
    assert 'data-testid="home-traffic-light"' in worker.content.decode()
    handler = login(world.users["department_handler"]).get("/")
    assert [w["template"] for w in handler.context["widgets"]] == ["tickets/_home.html"]
