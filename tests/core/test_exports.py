"""Exports of lists that can be large (tickets, households, the audit trail) go through one
mechanism, core/exports.py: a small list is the answer at once; a large one is counted on a GET
(which starts nothing) and built by a background job on the POST, whose file only its starter
can download."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from python_calamine import CalamineWorkbook

from gridlight.core import exports
from gridlight.core.models import AuditEvent, Job, JobStatus
from gridlight.tickets import services
from gridlight.tickets.models import Category
from tests.conftest import CANARY, SECRET_ID, SECRET_PHONE, World, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def large(settings: Any, tmp_path: Path) -> None:
    """Every list of one record or more counts as large."""
    settings.GRIDLIGHT_EXPORT_INLINE_LIMIT = 0
    settings.DATA_DIR = tmp_path


def _sheet(content: bytes) -> list[list[Any]]:
    rows: list[list[Any]] = (
        CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    )
    return rows


def _download(client: Client, url: str) -> tuple[Job, list[list[Any]]]:
    """Ask for the export, start it, and download what the job wrote."""
    jobs_before = Job.objects.count()
    asked = client.get(url)
    assert asked.status_code == 200
    assert 'data-testid="export-start"' in asked.content.decode()
    assert Job.objects.count() == jobs_before  # a GET starts nothing
    started = client.post(url)
    assert started.status_code == 302
    job = Job.objects.get(kind="core.export")
    assert started["Location"] == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.DONE, job.message
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert f"/jobs/{job.pk}/download/" in page
    response = client.get(f"/jobs/{job.pk}/download/")
    assert response.status_code == 200
    return job, _sheet(b"".join(response.streaming_content))  # type: ignore[attr-defined]


def _more_tickets(world: World, n: int) -> None:
    for i in range(n):
        services.submit(
            actor=world.users["district_admin"],
            intake=services.Intake(
                category=Category.objects.get(code="noise"),
                region=world.open_grid,
                title=f"导出噪音{i}",
                description="导出",
                requester_phone="13900000099",
            ),
        )


def test_a_large_ticket_export_is_built_by_a_job_and_downloaded_by_its_starter(
    world: World, large: None
) -> None:
    _more_tickets(world, 3)
    admin = login(world.users["district_admin"])
    job, rows = _download(admin, "/tickets/export/")
    assert rows[0][0] == "工单号"
    titles = sorted(r[3] for r in rows[1:])
    assert titles == sorted([f"{CANARY}入学", "公开噪音", "导出噪音0", "导出噪音1", "导出噪音2"])
    assert job.result["rows"] == 5
    assert SECRET_PHONE not in str(rows)
    assert "13900000099" not in str(rows)
    # The file is its starter's: anyone else, even a district admin's twin, gets a 404.
    assert login(world.twins["district_admin"]).get(f"/jobs/{job.pk}/download/").status_code == 404
    assert Client().get(f"/jobs/{job.pk}/download/").status_code == 302  # to the sign-in


def test_a_large_export_keeps_the_lists_filters_and_scope(world: World, large: None) -> None:
    _more_tickets(world, 2)
    twin = login(world.twins["street_staff"])  # the open street only
    _job, rows = _download(twin, "/tickets/export/?q=导出")
    assert sorted(r[3] for r in rows[1:]) == ["导出噪音0", "导出噪音1"]
    assert CANARY not in str(rows)


def test_a_small_export_is_the_answer_at_once(world: World) -> None:
    response = login(world.users["district_admin"]).get("/tickets/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert len(_sheet(response.content)) == 3  # header and two tickets
    assert not Job.objects.filter(kind="core.export").exists()


def test_a_household_export_with_full_numbers_is_audited_once_when_started(
    world: World, large: None
) -> None:
    admin = login(world.users["district_admin"])
    before = AuditEvent.objects.filter(action="reveal.export").count()
    admin.get("/households/export/?reveal=1")
    assert AuditEvent.objects.filter(action="reveal.export").count() == before
    _job, rows = _download(admin, "/households/export/?reveal=1")
    assert AuditEvent.objects.filter(action="reveal.export").count() == before + 1
    assert any(SECRET_ID in str(r) for r in rows[1:])  # in full, as asked and audited


def test_the_audit_trail_is_exported_within_scope(world: World, large: None) -> None:
    AuditEvent.objects.create(
        action="test.secret", object_label="export-canary", region_path=world.secret_street.path
    )
    AuditEvent.objects.create(
        action="test.open", object_label="export-canary", region_path=world.open_street.path
    )
    twin = login(world.twins["street_staff"])
    _job, rows = _download(twin, "/audit/export/?obj=export-canary")
    assert [r[2] for r in rows[1:]] == ["test.open"]


def test_an_export_job_that_fails_offers_no_file(world: World, large: None) -> None:
    admin = login(world.users["district_admin"])
    admin.post("/tickets/export/")
    job = Job.objects.get(kind="core.export")
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED)
    assert admin.get(f"/jobs/{job.pk}/download/").status_code == 404


def test_lists_count_up_to_the_cap_and_say_there_are_more(world: World, settings: Any) -> None:
    """Counting every row a district may see took seconds; past the cap lists say "more"."""
    settings.GRIDLIGHT_COUNT_CAP = 3
    _more_tickets(world, 3)  # five tickets in all
    admin = login(world.users["district_admin"])
    body = admin.get("/tickets/").content.decode()
    assert "超过 3 条记录" in body
    assert admin.get("/api/v1/tickets").json()["count"] == 4  # "more than 3"
    assert admin.get("/api/v1/tickets?offset=3").json()["items"]  # paging goes on past it
    settings.GRIDLIGHT_COUNT_CAP = 10
    from django.core.cache import cache

    cache.clear()
    assert "5 条记录" in admin.get("/tickets/").content.decode()
    assert admin.get("/api/v1/tickets").json()["count"] == 5


def test_export_files_expire_after_their_days_and_the_job_says_so(
    world: World, large: None, tmp_path: Path
) -> None:
    admin = login(world.users["district_admin"])
    job, _rows = _download(admin, "/tickets/export/")
    job.refresh_from_db()
    assert job.finished_at is not None
    done = job.finished_at
    written = tmp_path / "exports" / job.result["file"]
    assert written.is_file()
    # Files no job names: one cut off long ago, one being written now.
    stale = tmp_path / "exports" / "cut-off.xlsx"
    fresh = tmp_path / "exports" / "in-progress.xlsx"
    for path in (stale, fresh):
        path.write_bytes(b"partial")
    long_ago = (done - timedelta(days=30)).timestamp()
    os.utime(stale, (long_ago, long_ago))

    assert exports.expire(now=done + timedelta(days=exports.KEEP_DAYS - 1)) == 1  # the stale one
    assert written.is_file()
    assert fresh.is_file()
    assert not stale.exists()
    assert Job.objects.get(pk=job.pk).status == JobStatus.DONE

    fresh.unlink()
    assert exports.expire(now=done + timedelta(days=exports.KEEP_DAYS, seconds=1)) == 1
    assert not written.exists()
    assert Job.objects.get(pk=job.pk).status == JobStatus.EXPIRED
    assert admin.get(f"/jobs/{job.pk}/download/").status_code == 404
    page = admin.get(f"/jobs/{job.pk}/").content.decode()
    assert "文件已删除" in page
    assert f"/jobs/{job.pk}/download/" not in page
    assert exports.expire(now=done + timedelta(days=30)) == 0  # nothing left to do
