"""Indicators through their services, selectors and the Excel import."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import timezone

from gridlight.core.errors import ConflictError, DomainError, ImportRejected
from gridlight.core.models import AuditEvent
from gridlight.core.spreadsheets import write_workbook
from gridlight.development import figures, imports
from gridlight.development import indicator_selectors as sel
from gridlight.development import indicator_services as svc
from gridlight.development.models import DataElement, DataValue
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _element(world: World, code: str, aggregation: str = "sum", **kw: str) -> DataElement:
    if code == "gdp":  # the test district has it (tests/conftest.py)
        return DataElement.objects.get(code="gdp")
    return svc.element_create(
        actor=world.users["district_admin"],
        code=code,
        name=kw.get("name", code),
        unit=kw.get("unit", "亿元"),
        aggregation=aggregation,
        period_type=kw.get("period_type", "quarter"),
    )


def _approved(world: World, element: DataElement, period: date, value: str) -> DataValue:
    admin = world.users["district_admin"]
    row = svc.value_enter(
        actor=admin, element=element, region=world.district, period=period, value=value
    )
    return svc.value_approve(actor=admin, value=row, version=row.version)


def test_only_the_district_defines_elements_and_bad_codes_are_refused(world: World) -> None:
    with pytest.raises(DomainError, match="Only the district"):
        svc.element_create(
            actor=world.users["street_staff"],
            code="gdp",
            name="GDP",
            unit="亿元",
            aggregation="sum",
            period_type="quarter",
        )
    with pytest.raises(DomainError, match="lowercase"):
        _element(world, "GDP!")
    _element(world, "retail")
    with pytest.raises(DomainError, match="exists already"):
        _element(world, "retail")
    assert list(DataElement.objects.values_list("code", flat=True)) == ["gdp", "retail"]


def test_values_are_entered_in_scope_for_begun_periods_and_version_checked(
    world: World,
) -> None:
    gdp = _element(world, "gdp")
    staff = world.users["street_staff"]
    with pytest.raises(DomainError, match="may not enter"):
        svc.value_enter(
            actor=staff, element=gdp, region=world.open_street, period=date(2026, 1, 1), value=1
        )
    with pytest.raises(DomainError, match="first day of the period"):
        svc.value_enter(
            actor=staff, element=gdp, region=world.secret_street, period=date(2026, 2, 1), value=1
        )
    future = date(timezone.localdate().year + 1, 1, 1)
    with pytest.raises(DomainError, match="not begun"):
        svc.value_enter(
            actor=staff, element=gdp, region=world.secret_street, period=future, value=1
        )
    with pytest.raises(DomainError, match="Not a number"):
        svc.value_enter(
            actor=staff, element=gdp, region=world.secret_street, period=date(2026, 1, 1), value="x"
        )
    assert DataValue.objects.count() == 1  # the test district's own (tests/conftest.py)
    row = svc.value_enter(
        actor=staff, element=gdp, region=world.secret_street, period=date(2026, 4, 1), value="1.5"
    )
    # Another unit entering the same period without having seen this value is told to reload.
    with pytest.raises(ConflictError):
        svc.value_enter(
            actor=world.users["district_admin"],
            element=gdp,
            region=world.secret_street,
            period=date(2026, 4, 1),
            value="2",
        )
    with pytest.raises(DomainError, match="Only the district"):
        svc.value_approve(actor=staff, value=row, version=row.version)
    approved = svc.value_approve(actor=world.users["district_admin"], value=row, version=1)
    assert approved.status == "approved"
    again = svc.value_enter(
        actor=staff,
        element=gdp,
        region=world.secret_street,
        period=date(2026, 4, 1),
        value="1.6",
        version=approved.version,
    )
    assert (again.status, again.value) == ("submitted", Decimal("1.6000"))


def test_missing_is_missing_and_only_approved_values_count(world: World) -> None:
    finance = _element(world, "finance_va")
    _approved(world, finance, date(2025, 1, 1), "62.31")
    svc.value_enter(
        actor=world.users["district_admin"],
        element=finance,
        region=world.district,
        period=date(2026, 1, 1),
        value="69.6",
    )
    result = sel.element_figures(finance, world.district, date(2026, 1, 1))
    assert result.value.is_missing  # entered but not approved
    assert result.growth.is_missing
    assert result.value.missing == ("finance_va",)
    assert result.target.is_missing
    value = DataValue.objects.get(element=finance, period=date(2026, 1, 1))
    svc.value_approve(actor=world.users["district_admin"], value=value, version=value.version)
    result = sel.element_figures(finance, world.district, date(2026, 1, 1))
    assert result.value.rounded(2) == Decimal("69.60")
    assert result.growth.rounded(1) == Decimal("11.7")


def test_target_completion_is_pro_rated(world: World) -> None:
    stations = _element(world, "stations_5g", "last", unit="个")
    retail = _element(world, "retail", "sum")
    _approved(world, stations, date(2026, 1, 1), "4262")
    _approved(world, retail, date(2026, 1, 1), "30")
    _approved(world, retail, date(2026, 4, 1), "30")
    admin = world.users["district_admin"]
    svc.target_set(actor=admin, element=stations, region=world.district, year=2026, value=5000)
    svc.target_set(actor=admin, element=retail, region=world.district, year=2026, value=100)
    assert sel.element_figures(stations, world.district, date(2026, 1, 1)).completion.rounded(
        1
    ) == Decimal("85.2")
    half = sel.element_figures(retail, world.district, date(2026, 4, 1))
    assert (half.to_date.value, half.target.value) == (Fraction(60), Fraction(50))
    assert half.completion.rounded(0) == Decimal("120")


def test_formulas_name_known_elements_and_zero_series_is_a_clear_error(world: World) -> None:
    admin = world.users["district_admin"]
    gdp = _element(world, "gdp")
    finance = _element(world, "finance_va")
    with pytest.raises(DomainError, match="no_such"):
        svc.indicator_define(
            actor=admin,
            code="share",
            name="占比",
            kind="ratio",
            numerator="finance_va",
            denominator="no_such",
        )
    with pytest.raises(DomainError, match="denominator"):
        svc.indicator_define(
            actor=admin, code="share", name="占比", kind="ratio", numerator="finance_va"
        )
    share = svc.indicator_define(
        actor=admin,
        code="share",
        name="金融业占比",
        kind="ratio",
        numerator="finance_va",
        denominator="gdp",
        factor=100,
    )
    period = date(2026, 1, 1)
    assert sel.indicator_figure(share, world.district, period).is_missing
    _approved(world, finance, period, "69.6")
    _approved(world, gdp, period, "0")
    with pytest.raises(figures.ZeroSeries, match="zero"):
        sel.indicator_figure(share, world.district, period)
    row = DataValue.objects.get(element=gdp, period=period, region=world.district)
    svc.value_enter(
        actor=admin,
        element=gdp,
        region=world.district,
        period=period,
        value="305",
        version=row.version,
    )
    row.refresh_from_db()
    svc.value_approve(actor=admin, value=row, version=row.version)
    assert sel.indicator_figure(share, world.district, period).rounded(2) == Decimal("22.82")


def test_city_gap_and_pull_from_the_series(world: World) -> None:
    admin = world.users["district_admin"]
    gdp = _element(world, "gdp")
    finance = _element(world, "finance_va")
    city = _element(world, "city_finance_va")
    q1, before = date(2026, 1, 1), date(2025, 1, 1)
    for element, now, then in (
        (gdp, "305", "280.4"),
        (finance, "69.6", "62.31"),
        (city, "108.9", "100"),
    ):
        _approved(world, element, q1, now)
        _approved(world, element, before, then)
    gap = svc.indicator_define(
        actor=admin,
        code="finance_gap",
        name="高于全市",
        kind="city_gap",
        numerator="finance_va",
        denominator="city_finance_va",
    )
    assert sel.indicator_figure(gap, world.district, q1).rounded(1) == Decimal("2.8")
    table = sel.contribution_table(gdp, [finance], world.district, q1)
    assert table.missing == ()
    assert figures.rounded(table.rows[0].pull, 1) == Decimal("2.6")
    assert sum(r.pull for r in table.rows) == table.growth
    missing = sel.contribution_table(gdp, [finance], world.district, date(2026, 4, 1))
    assert missing.growth is None
    assert "地区生产总值 2026Q2" in missing.missing


def _workbook(rows: list[list[object]]) -> io.BytesIO:
    return io.BytesIO(write_workbook(imports.SHEET, imports.COLUMNS, rows))


def test_import_is_all_or_nothing_and_idempotent(world: World) -> None:
    _element(world, "gdp")
    _element(world, "stations_5g", "last", period_type="month")
    admin = world.users["district_admin"]
    bad = [
        ["gdp", world.district.code, "2026Q1", 305],
        ["gdp", world.district.code, "2026-02", 1],  # not the start of a quarter
        ["nope", world.district.code, "2026Q1", 1],
        ["gdp", "999", "2026Q1", "x"],
        ["gdp", world.district.code, "2026Q1", 306],  # repeats row 2
    ]
    with pytest.raises(ImportRejected) as rejected:
        imports.import_values(actor=admin, upload=_workbook(bad))
    found = {(e.row, e.column) for e in rejected.value.errors}
    assert found == {(3, "期间"), (4, "数据项编码"), (5, "区域编码"), (5, "数值"), (6, "期间")}
    assert DataValue.objects.count() == 1  # the test district's own, unchanged
    assert DataValue.objects.get().value == 1
    good = [
        ["gdp", world.district.code, "2026Q1", 305],
        ["stations_5g", world.district.code, "2026-03", 4262],
        ["gdp", world.secret_street.code, "2026Q1", 12.5],
    ]
    first = imports.import_values(actor=admin, upload=_workbook(good))
    assert (first.created, first.updated, first.unchanged) == (2, 1, 0)
    assert imports.import_values(actor=admin, upload=_workbook(good)).unchanged == 3
    assert AuditEvent.objects.filter(action="indicator.import").count() == 1
    exported = imports.export_values(DataValue.objects.all())
    assert imports.import_values(actor=admin, upload=io.BytesIO(exported)).unchanged == 3
    # The secret street's staff may not import figures for the district.
    with pytest.raises(ImportRejected, match="may not enter"):
        imports.import_values(actor=world.users["street_staff"], upload=_workbook(good))


def test_api_refuses_unknown_elements_and_zero_series_with_400_and_writes_nothing(
    world: World,
) -> None:
    from gridlight.development.models import Indicator
    from tests.conftest import login

    client = login(world.users["district_admin"])
    _element(world, "finance_va")
    body = {"code": "share", "name": "占比", "kind": "ratio", "numerator": "finance_va"}
    unknown = client.post(
        "/api/v1/indicators", {**body, "denominator": "no_such"}, "application/json"
    )
    assert unknown.status_code == 400
    assert "no_such" in unknown.json()["detail"]
    assert not Indicator.objects.exists()
    made = client.post("/api/v1/indicators", {**body, "denominator": "gdp"}, "application/json")
    assert made.status_code == 201
    period = date(2026, 1, 1)
    _approved(world, DataElement.objects.get(code="finance_va"), period, "69.6")
    _approved(world, DataElement.objects.get(code="gdp"), period, "0")
    url = f"/api/v1/indicators/share/figure?region={world.district.code}&period=2026-01-01"
    zero = client.get(url)
    assert zero.status_code == 400
    assert zero.json()["detail"]
    staff = login(world.users["street_staff"])
    assert staff.post("/api/v1/indicators", body, "application/json").status_code == 403
