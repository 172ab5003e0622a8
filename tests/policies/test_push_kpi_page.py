"""The push KPI page's chart and Excel export: both made from the same rows as the page's table
(``tracking.push_kpis``), whose figures are counts of the stored pushes and matches; the export
opens with openpyxl and carries what the page shows, in the caller's scope."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from gridlight.policies import kpi, matching, tracking
from gridlight.policies.demo import load_policies
from gridlight.policies.models import Match, Push
from tests.conftest import login

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def pushed(world: Any, people: dict[str, Any]) -> Any:
    load_policies(actor=world.users["district_admin"], region=world.district)
    matching.match_all("talent")
    matching.match_all("enterprise")
    assert Push.objects.exists()
    # One talent opens "policies for me": its pushed matches count as opened (reach).
    first = Match.objects.filter(pushed_at__isnull=False, subject_type="talent").first()
    assert first is not None
    matching.mark_opened("talent", first.subject_id)
    matching.mark_applied(first)
    return world


def _chart(body: str) -> dict[str, Any]:
    found = re.search(r'<script id="policy-kpi-data" type="application/json">(.*?)</script>', body)
    assert found, "the chart's data is on the page"
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def test_push_chart_and_export_show_the_records(pushed: Any) -> None:
    admin = pushed.users["district_admin"]
    client = login(admin)
    body = client.get("/policies/pushes/").content.decode()
    assert 'data-testid="push-kpi-chart"' in body
    assert "echarts.min.js" in body
    pushes = Push.objects.count()
    opened = Match.objects.filter(pushed_at__isnull=False, opened_at__isnull=False).count()
    applied = Match.objects.filter(pushed_at__isnull=False, applied_at__isnull=False).count()
    assert opened >= 1
    assert applied == 1
    chart = _chart(body)
    assert chart["bar_label"] == "推送数"
    assert sum(chart["bars"]) == pushes
    # The line is the reach per month: opened over pushed, in percent.
    months = kpi.push_months(tracking.push_kpis(admin))
    assert chart["names"] == [m.month for m in months]
    assert chart["line"] == [round(100 * m.opened / m.pushes, 1) for m in months]
    total = f"推送数 {pushes} · 已查看 {opened}"
    assert total in body.replace("\n", " ")

    response = client.get("/policies/pushes/export/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert lines[0][:7] == ["推送月份", "政策", "街道", "推送数", "已查看", "触达率(%)", "已申报"]
    rows = tracking.push_kpis(admin)
    data = [line for line in lines[1:] if line[0] != "合计"]
    assert [(r[0], r[1], r[2], r[3], r[4], r[6]) for r in data] == [
        (r.month, r.policy, r.street, r.pushes, r.opened, r.applied) for r in rows
    ]
    for r in rows:  # each row as the page's table shows it
        assert f'<td>{r.policy}</td><td>{r.street}</td><td class="text-end">{r.pushes}' in body
    (last,) = [line for line in lines if line[0] == "合计"]
    assert (last[3], last[4], last[6]) == (pushes, opened, applied)


def test_push_export_is_scoped(pushed: Any) -> None:
    # The twin district's administrator: none of this district's pushes, on the page or in
    # the export.
    twin = login(pushed.twins["district_admin"])
    body = twin.get("/policies/pushes/").content.decode()
    assert sum(_chart(body)["bars"]) == 0
    sheet = load_workbook(io.BytesIO(twin.get("/policies/pushes/export/").content)).active
    assert sheet is not None
    lines = list(sheet.iter_rows(values_only=True))
    assert [line[0] for line in lines[1:]] == ["合计"]
    assert lines[-1][3] == 0
    # A talent (no policy.view) is refused.
    assert login(pushed.users["talent"]).get("/policies/pushes/export/").status_code in (403, 404)


def test_the_push_table_is_paged_and_the_total_and_chart_count_every_row(
    pushed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridlight.policies import views_matching

    admin = pushed.users["district_admin"]
    rows = tracking.push_kpis(admin)
    assert len(rows) >= 3
    monkeypatch.setattr(views_matching, "KPI_PAGE", 2)
    client = login(admin)
    pages = [client.get(f"/policies/pushes/?page={n}").content.decode() for n in (1, 2)]
    for n, body in enumerate(pages):
        shown = [
            r
            for r in rows
            if f"<tr><td>{r.month}</td><td>{r.policy}</td><td>{r.street}</td>" in body
        ]
        assert shown == rows[2 * n : 2 * n + 2]  # the page's two rows, in the table's order
        assert f"第 {n + 1} 页，共 {(len(rows) + 1) // 2} 页" in body
        # The chart and the total still count every push, whatever the page.
        assert sum(_chart(body)["bars"]) == Push.objects.count()
        assert f"推送数 {Push.objects.count()} ·" in body.replace("\n", " ")
