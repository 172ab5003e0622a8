"""Rosters re-match what they change: a talent roster (set-based, inline or as a background job)
and an enterprise roster leave the imported subjects matched against the policies in force once
committed, as a profile changed by hand is — without waiting for the nightly run."""

from __future__ import annotations

import io
from typing import Any

import pytest

from gridlight.core.spreadsheets import write_workbook
from gridlight.policies.demo import load_policies
from gridlight.policies.models import Match, MatchRun
from gridlight.talent import imports
from gridlight.talent.models import Enterprise, Talent
from tests.conftest import World, login
from tests.factories import synthetic_id_number

pytestmark = [pytest.mark.django_db]


def _book(sheet: str, columns: list[Any], rows: list[list[object]]) -> io.BytesIO:
    data = io.BytesIO(write_workbook(sheet, columns, rows))
    data.name = "roster.xlsx"
    return data


def _talent_row(world: World, name: str, id_number: str, housing: str) -> list[object]:
    return [
        name,
        id_number,
        "",
        world.open_street.code,
        "C",
        "省级人才计划",
        "博士",
        "材料",
        "",
        "山东大学",
        "2022-07-01",
        "",
        housing,
        "",
    ]


@pytest.fixture
def published(world: World, django_capture_on_commit_callbacks: Any) -> World:
    with django_capture_on_commit_callbacks(execute=True):
        load_policies(actor=world.users["district_admin"], region=world.district)
    return world


def _codes(subject_type: str, pk: int, state: str = "met") -> set[str]:
    return set(
        Match.objects.filter(
            subject_type=subject_type, subject_id=pk, state=state, status="current"
        ).values_list("policy__code", flat=True)
    )


def test_a_talent_roster_is_matched_once_committed(
    published: World, django_capture_on_commit_callbacks: Any
) -> None:
    admin = published.users["district_admin"]
    rows = [_talent_row(published, "名册租房人才", "370103198802140027", "租房")]
    nightly = MatchRun.objects.filter(kind="nightly").count()
    with django_capture_on_commit_callbacks(execute=True):
        imports.import_talents(actor=admin, upload=_book("talents", imports.TALENT_COLUMNS, rows))
    t = Talent.objects.get(name="名册租房人才")
    assert "talent_apartment" in _codes("talent", t.pk)
    assert MatchRun.objects.filter(kind="nightly").count() == nightly
    # The same person again, now owning a home: the apartment match is withdrawn at once.
    rows[0][12] = "自有住房"
    with django_capture_on_commit_callbacks(execute=True):
        imports.import_talents(actor=admin, upload=_book("talents", imports.TALENT_COLUMNS, rows))
    assert "talent_apartment" not in _codes("talent", t.pk)
    assert Match.objects.filter(
        subject_type="talent", subject_id=t.pk, policy__code="talent_apartment", status="withdrawn"
    ).exists()


def test_a_large_roster_imported_as_a_job_is_matched_set_based(
    published: World,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.DATA_DIR = str(tmp_path)
    monkeypatch.setattr("gridlight.core.views.imports.SYNC_LIMIT", 0)  # every file is "large"
    rows = [
        _talent_row(published, f"名册人才{i}", synthetic_id_number(500 + i), "租房")
        for i in range(25)
    ]
    client = login(published.users["district_admin"])
    upload = _book("talents", imports.TALENT_COLUMNS, rows)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/talent/talents/import/", {"file": upload})
    assert response.status_code == 302
    assert "/jobs/" in response["Location"]
    imported = list(Talent.objects.filter(name__startswith="名册人才").values_list("pk", flat=True))
    assert len(imported) == len(rows) > 20  # more than the one-by-one path takes
    for pk in imported:
        assert "talent_apartment" in _codes("talent", pk)
    # Set-based runs over the whole roster, not one run per talent.
    runs = MatchRun.objects.filter(kind="profile", subject_type="talent")
    assert not runs.filter(subject_id__in=imported).exists()
    assert runs.filter(subjects__gte=len(rows)).exists()


def test_an_enterprise_roster_is_matched_once_committed(
    published: World, django_capture_on_commit_callbacks: Any
) -> None:
    row = [
        "名册小巨人",
        "91350100M000100Y43",
        "数字经济",
        published.open_street.code,
        "某路1号",
        30,
        5_000_000,
        2025,
        "",
        "国家级小巨人",
        2024,
        "",
        "",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        imports.import_enterprises(
            actor=published.users["district_admin"],
            upload=_book("enterprises", imports.ENTERPRISE_COLUMNS, [row]),
        )
    e = Enterprise.objects.get(credit_code="91350100M000100Y43")
    assert "srdi_award" in _codes("enterprise", e.pk)
    m = Match.objects.get(subject_type="enterprise", subject_id=e.pk, policy__code="srdi_award")
    assert m.amount_fen == 50_000_000
