"""A policy's source file (its issuing document): uploaded from the policy's edit page or the
API through the shared upload checks (content sniffed, size limited), audited, downloadable by
whoever may see the policy and by no one else; a file lying about its type is refused with the
reason and nothing is written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridlight.core.models import AuditEvent
from gridlight.core.uploads import MAX_BYTES
from gridlight.policies.models import Policy, PolicySourceFile
from tests.conftest import login
from tests.policies.grant_world import make_policy
from tests.policies.test_policy_edit import _form

pytestmark = [pytest.mark.django_db]

PDF = b"%PDF-1.4\n% the issuing document\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def policy(world: Any) -> Policy:
    made, _v = make_policy(world, "source_test", "apply", budget_fen=800000)
    return made


def _file(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_a_pdf_is_uploaded_from_the_page_and_downloaded(world: Any, policy: Policy) -> None:
    client = login(world.users["district_admin"])
    form = client.get(f"/policies/{policy.pk}/edit/").content.decode()
    assert 'enctype="multipart/form-data"' in form
    response = client.post(
        f"/policies/{policy.pk}/edit/",
        _form(policy, source_file=_file("文件.pdf", PDF)),
    )
    assert response.status_code == 302
    kept = PolicySourceFile.objects.get(policy=policy)
    assert (kept.name, kept.content_type, kept.size) == ("文件.pdf", "application/pdf", len(PDF))
    policy.refresh_from_db()
    assert policy.version == 2
    event = AuditEvent.objects.get(action="policy.update", object_id=str(policy.pk))
    assert event.changes == {"source_file": [None, "文件.pdf"]}
    detail = client.get(f"/policies/{policy.pk}/").content.decode()
    assert 'data-testid="source-file"' in detail
    assert f"/policies/{policy.pk}/source/" in detail
    # Someone who may see the policy (not manage it) downloads it.
    reader = login(world.users["talent_commissioner"])
    download = reader.get(f"/policies/{policy.pk}/source/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment")
    assert download.content == PDF
    # Saving the form again without a file keeps it.
    policy.refresh_from_db()
    again = client.post(f"/policies/{policy.pk}/edit/", _form(policy, title="改名"))
    assert again.status_code == 302
    assert PolicySourceFile.objects.get(policy=policy).data == PDF


def test_a_file_lying_about_its_type_is_refused(world: Any, policy: Policy) -> None:
    client = login(world.users["district_admin"])
    for name, data, reason in (
        ("伪装.pdf", PNG, "文件名与内容（image/png）不符"),
        ("脚本.pdf", b"<script>alert(1)</script>", "JPEG"),
        ("大.pdf", PDF + b"\x00" * MAX_BYTES, "5 MB"),
    ):
        response = client.post(
            f"/policies/{policy.pk}/edit/", _form(policy, source_file=_file(name, data))
        )
        assert response.status_code == 400, name
        assert reason in response.content.decode(), name
    assert not PolicySourceFile.objects.exists()
    policy.refresh_from_db()
    assert policy.version == 1
    assert not AuditEvent.objects.filter(action="policy.update").exists()
    assert client.get(f"/policies/{policy.pk}/source/").status_code == 404


def test_the_source_file_through_the_api(world: Any, policy: Policy) -> None:
    client = login(world.users["district_admin"])
    url = f"/api/v1/policies/{policy.pk}/source-file"
    lying = client.post(url, {"version": 1, "file": _file("伪装.pdf", PNG)})
    assert lying.status_code == 400
    assert "文件名与内容（image/png）不符" in lying.json()["detail"]
    assert not PolicySourceFile.objects.exists()
    assert client.get(f"/api/v1/policies/{policy.pk}").json()["source_file"] is None
    ok = client.post(url, {"version": 1, "file": _file("source.pdf", PDF)})
    assert ok.status_code == 200
    assert ok.json()["source_file"]["name"] == "source.pdf"
    assert ok.json()["version"] == 2
    stale = client.post(url, {"version": 1, "file": _file("newer.pdf", PDF)})
    assert stale.status_code == 409
    assert PolicySourceFile.objects.get(policy=policy).name == "source.pdf"
    download = login(world.users["talent_commissioner"]).get(url)
    assert download.status_code == 200
    assert download.content == PDF
    events = AuditEvent.objects.filter(action="policy.update", object_id=str(policy.pk))
    assert [json.dumps(e.changes) for e in events] == [
        json.dumps({"source_file": [None, "source.pdf"]})
    ]


def test_out_of_scope_users_cannot_download_or_upload(world: Any, policy: Policy) -> None:
    admin = login(world.users["district_admin"])
    admin.post(
        f"/api/v1/policies/{policy.pk}/source-file", {"version": 1, "file": _file("s.pdf", PDF)}
    )
    twin = login(world.twins["district_admin"])
    assert twin.get(f"/policies/{policy.pk}/source/").status_code == 404
    assert twin.get(f"/api/v1/policies/{policy.pk}/source-file").status_code == 404
    assert login(world.users["resident"]).get(f"/policies/{policy.pk}/source/").status_code in (
        403,
        404,
    )
    refused = twin.post(
        f"/api/v1/policies/{policy.pk}/source-file",
        {"version": 2, "file": _file("other.pdf", PDF)},
    )
    assert refused.status_code == 404
    # Allowed to see but not to manage: refused, nothing written.
    reader = login(world.users["talent_commissioner"])
    assert (
        reader.post(
            f"/api/v1/policies/{policy.pk}/source-file",
            {"version": 2, "file": _file("other.pdf", PDF)},
        ).status_code
        == 403
    )
    assert PolicySourceFile.objects.get(policy=policy).name == "s.pdf"
