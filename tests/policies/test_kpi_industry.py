"""KPIs by industry (issue 13 item 7): applications, application rate, approval time, grants
and pushes by the subject's industry — an enterprise's own, a talent's employer's, "other"
for a talent with no employer — on the page, in the Excel export and the API, each figure
checked against one computed here from the records, with a number of queries that does not
grow with them."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from gridlight.core.workdays import district_calendar
from gridlight.policies import grants, kpi, matching, tracking
from gridlight.policies.demo import load_policies
from gridlight.policies.models import Application, Grant, Match, Push
from tests.conftest import login
from tests.policies.conftest import make_talent

pytestmark = [pytest.mark.django_db]


def _industry(record: Any) -> str:
    employer = record.enterprise or (record.talent.employer if record.talent else None)
    return employer.industry if employer is not None and employer.industry else "other"


def _apply(m: Match, i: int, today: Any) -> Application:
    obj = m.talent or m.enterprise
    assert obj is not None
    approved = i % 2 == 1
    return Application.objects.create(
        policy=m.policy,
        policy_version=m.version,
        subject_type=m.subject_type,
        talent=m.talent,
        enterprise=m.enterprise,
        subject_key=f"{m.subject_type}:{obj.pk}",
        subject_name=obj.name,
        street=obj.street,
        region_path=obj.region_path,
        status="approved" if approved else "submitted",
        submitted_on=today - timedelta(days=12 + i),
        decided_on=today - timedelta(days=i % 5) if approved else None,
    )


@pytest.fixture
def records(world: Any, people: dict[str, Any]) -> Any:
    admin = world.users["district_admin"]
    # A class A doctor with no employer: industry "other".
    make_talent(world.open_street, level="A", degree="doctor", housing="rents")
    load_policies(actor=admin, region=world.district)
    matching.match_all("talent")
    matching.match_all("enterprise")
    today = timezone.localdate()
    met = (
        Match.objects.filter(state="met", status="current")
        .select_related("policy", "version", "talent", "enterprise")
        .order_by("subject_type", "subject_id", "policy__code")
    )
    for i, m in enumerate(met):
        _apply(m, i, today)
        if i % 3 == 0:
            obj = m.talent or m.enterprise
            assert obj is not None
            grants.create_grant(
                actor=admin,
                policy=m.policy,
                version=m.version,
                obj=obj,
                amount_fen=100 * (i + 1),
                source="auto",
            )
    matching.mark_opened("talent", people["doctor"].pk)
    return world


def _expected(start: Any, end: Any) -> dict[str, tuple[int, ...]]:
    calendar = district_calendar()
    rows: dict[str, list[int]] = defaultdict(lambda: [0] * 7)
    related = ("talent__employer", "enterprise")
    for a in Application.objects.select_related(*related):
        r = rows[_industry(a)]
        r[0] += start <= a.submitted_on <= end
        if a.decided_on and start <= a.decided_on <= end and a.status in ("approved", "refused"):
            r[2] += 1
            r[3] += a.status == "approved"
            r[4] += calendar.workdays_between(a.submitted_on, a.decided_on)
    for m in Match.objects.filter(state="met", status="current").select_related(*related):
        rows[_industry(m)][1] += 1
    for g in Grant.objects.exclude(status="cancelled").select_related(*related):
        if start <= timezone.localtime(g.confirmed_at).date() <= end:
            rows[_industry(g)][5] += 1
            rows[_industry(g)][6] += g.amount_fen
    return {k: tuple(v) for k, v in rows.items()}


def _figures(r: kpi.Row) -> tuple[int, ...]:
    return (
        r.applications,
        r.matched,
        r.decided,
        r.approved,
        r.workdays_total,
        r.grants,
        r.granted_fen,
    )


def test_application_kpis_by_industry_are_the_records(records: Any) -> None:
    admin = records.users["district_admin"]
    end = timezone.localdate()
    start = end - timedelta(days=400)
    expected = _expected(start, end)
    assert {"digital", "other"} <= set(expected)  # employed talents and talents with none
    assert len(expected) >= 3
    rep = kpi.report(admin, by="industry", start=start, end=end)
    assert {r.key: _figures(r) for r in rep.rows} == expected
    assert {r.key: r.label for r in rep.rows}["other"] == kpi.industry_label("other")
    assert rep.total.applications == Application.objects.count()
    # The API and the Excel export carry the same figures.
    client = login(admin)
    q = f"by=industry&start={start}&end={end}"
    api = client.get(f"/api/v1/policy-kpi?{q}").json()
    assert {r["key"]: (r["applications"], r["matched"], r["grants"]) for r in api["rows"]} == {
        k: (v[0], v[1], v[5]) for k, v in expected.items()
    }
    body = client.get(f"/policies/kpi/?{q}").content.decode()
    for r in rep.rows:
        assert f'<td>{r.label}</td><td class="text-end">{r.applications}</td>' in body
    sheet = load_workbook(io.BytesIO(client.get(f"/policies/kpi/export/?{q}").content)).active
    assert sheet is not None
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][0] == str(kpi.DIMENSIONS["industry"])
    by_label = {line[0]: line for line in lines[1:]}
    for r in rep.rows:
        assert (by_label[r.label][1], by_label[r.label][2]) == (r.applications, r.matched)
    # Out of scope: the twin district's administrator counts none of it.
    assert (
        kpi.report(records.twins["district_admin"], by="industry", start=start, end=end).rows == []
    )


def test_push_kpis_by_industry_are_the_records(records: Any) -> None:
    admin = records.users["district_admin"]
    rows = tracking.push_kpis(admin, industry=True)
    pushes: Counter[str] = Counter()
    opened: Counter[str] = Counter()
    for p in Push.objects.select_related("match__talent__employer", "match__enterprise"):
        label = kpi.industry_label(_industry(p.match))
        pushes[label] += 1
        opened[label] += p.match.opened_at is not None
    got_pushes: Counter[str] = Counter()
    got_opened: Counter[str] = Counter()
    for r in rows:
        got_pushes[r.industry] += r.pushes
        got_opened[r.industry] += r.opened
    assert len(pushes) >= 3
    assert got_pushes == pushes
    assert got_opened == opened
    client = login(admin)
    api = client.get("/api/v1/policy-pushes/kpi?by_industry=true").json()
    from_api: Counter[str] = Counter()
    for line in api:
        from_api[line["industry"]] += line["pushes"]
    assert from_api == pushes
    # The page and its export, asked by industry: a column of the subject's industry.
    body = client.get("/policies/pushes/?by=industry").content.decode()
    for r in rows[:50]:
        cells = f'<td>{r.policy}</td><td>{r.street}</td><td>{r.industry}</td><td class="text-end">'
        assert f"{cells}{r.pushes}" in body
    sheet = load_workbook(io.BytesIO(client.get("/policies/pushes/export/?by=industry").content))
    lines = list(sheet.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert lines[0][:5] == ("推送月份", "政策", "街道", "行业", "推送数")
    data = [line for line in lines[1:] if line[0] != "合计"]
    assert [(r[3], r[4]) for r in data] == [(r.industry, r.pushes) for r in rows]
    # Not asked: the rows of policy, street and month only, as before.
    assert "<th>行业</th>" not in client.get("/policies/pushes/").content.decode()
    assert sum(r.pushes for r in tracking.push_kpis(admin)) == sum(pushes.values())


def test_the_industry_figures_take_the_same_queries_whatever_the_records(
    records: Any, people: dict[str, Any]
) -> None:
    admin = records.users["district_admin"]
    end = timezone.localdate()
    start = end - timedelta(days=400)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            kpi.report(admin, by="industry", start=start, end=end)
            tracking.push_kpis(admin, industry=True)
        return len(ctx.captured_queries)

    before = count()
    Application.objects.all().delete()
    assert count() == before
