"""Writes for indicators: data elements, values per period and region (entered by units,
approved by the district), annual targets and indicator formulas. Each write checks the
actor's scope, is version-checked where a row may be edited by two people, and is audited in
the same transaction."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core import audit
from gridlight.core.access import Perm
from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.industries import Industry
from gridlight.core.models import Region, User
from gridlight.development.access import is_district_manager, may_approve, may_enter
from gridlight.development.figures import period_label, period_start
from gridlight.development.models import (
    Aggregation,
    DataElement,
    DataValue,
    FormulaKind,
    Indicator,
    PeriodType,
    Target,
    ValueStatus,
)
from gridlight.development.services import stale as _stale

CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
# Beyond what the value column holds (20 digits, 4 after the point).
LIMIT = Decimal("1e16")


def _require_district(actor: User) -> None:
    if not is_district_manager(actor, Perm.INDICATOR_MANAGE):
        raise DomainError(_("Only the district defines data elements and indicators."))


def parse_value(value: Any) -> Decimal:
    """A figure as entered: a finite number within the column's range."""
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(_("Not a number: %(v)s") % {"v": value}) from exc
    if not number.is_finite() or abs(number) >= LIMIT:
        raise DomainError(_("Not a number: %(v)s") % {"v": value})
    return number.quantize(Decimal("0.0001"))


def check_period(element: DataElement, period: date, today: date | None = None) -> date:
    """The first day of ``period``'s period; refuses a period that has not begun, and a day
    that is not the start of a period of the element's type."""
    start = period_start(period, element.period_type)
    if start != period:
        raise DomainError(
            _("%(element)s is %(type)s: give the first day of the period (%(start)s).")
            % {
                "element": element.name,
                "type": element.get_period_type_display(),
                "start": start.isoformat(),
            }
        )
    today = today or timezone.localdate()
    if start > period_start(today, element.period_type):
        raise DomainError(_("A value cannot be for a period that has not begun."))
    return start


@transaction.atomic
def element_create(
    *,
    actor: User,
    code: str,
    name: str,
    unit: str,
    aggregation: str,
    period_type: str,
    industry: str = "",
    gdp_part: bool = False,
) -> DataElement:
    """Add a data element (GDP, value added of an industry, 5G base stations, …)."""
    _require_district(actor)
    if not CODE.match(code):
        raise DomainError(
            _("The code is 2–40 lowercase letters, digits or _, starting with a letter.")
        )
    if aggregation not in Aggregation.values or period_type not in PeriodType.values:
        raise DomainError(_("Unknown aggregation or period type."))
    if industry not in Industry.values and industry:
        raise DomainError(_("Unknown industry."))
    if not name.strip() or not unit.strip():
        raise DomainError(_("A data element needs a name and a unit."))
    if DataElement.objects.filter(code=code).exists():
        raise DomainError(_("A data element with this code exists already."))
    element = DataElement.objects.create(
        code=code,
        name=name.strip(),
        unit=unit.strip(),
        aggregation=aggregation,
        period_type=period_type,
        industry=industry,
        gdp_part=gdp_part,
    )
    audit.record(actor=actor, action="indicator.element_create", obj=element)
    return element


@transaction.atomic
def value_enter(
    *,
    actor: User,
    element: DataElement,
    region: Region,
    period: date,
    value: Any,
    version: int | None = None,
) -> DataValue:
    """Enter or correct a value; it awaits approval again. A value someone else entered for the
    same period is replaced only with the version that was read."""
    if not may_enter(actor, region.path):
        raise DomainError(_("You may not enter figures for %(region)s.") % {"region": region})
    period = check_period(element, period)
    number = parse_value(value)
    now = timezone.now()
    existing = DataValue.objects.filter(element=element, region=region, period=period).first()
    if existing is None:
        if version is not None:
            raise ConflictError(_stale())
        try:
            with transaction.atomic():
                row = DataValue.objects.create(
                    element=element,
                    region=region,
                    region_path=region.path,
                    period=period,
                    value=number,
                    entered_by=actor,
                    updated_at=now,
                )
        except IntegrityError as exc:
            raise ConflictError(_stale()) from exc
        before = None
    else:
        if version is None:
            raise ConflictError(
                _("A value for this period exists already. Reload it and change it there.")
            )
        updated = DataValue.objects.filter(pk=existing.pk, version=version).update(
            version=version + 1,
            value=number,
            status=ValueStatus.SUBMITTED,
            entered_by=actor,
            approved_by=None,
            updated_at=now,
        )
        if not updated:
            raise ConflictError(_stale())
        row = DataValue.objects.get(pk=existing.pk)
        before = str(existing.value)
    audit.record(
        actor=actor,
        action="indicator.value_enter",
        obj=element,
        region_path=region.path,
        changes={
            "period": period_label(period, element.period_type),
            "value": [before, str(number)] if before is not None else str(number),
        },
    )
    return row


@transaction.atomic
def value_approve(*, actor: User, value: DataValue, version: int) -> DataValue:
    """Approve a value: from then on it counts in the figures."""
    if not may_approve(actor, value.region_path):
        raise DomainError(_("Only the district approves figures."))
    if value.status == ValueStatus.APPROVED:
        raise DomainError(_("This value is approved already."))
    updated = DataValue.objects.filter(pk=value.pk, version=version).update(
        version=version + 1, status=ValueStatus.APPROVED, approved_by=actor
    )
    if not updated:
        raise ConflictError(_stale())
    row = DataValue.objects.select_related("element").get(pk=value.pk)
    audit.record(
        actor=actor,
        action="indicator.value_approve",
        obj=row.element,
        region_path=row.region_path,
        changes={
            "period": period_label(row.period, row.element.period_type),
            "value": str(row.value),
        },
    )
    return row


@transaction.atomic
def target_set(
    *, actor: User, element: DataElement, region: Region, year: int, value: Any
) -> Target:
    """Set (or change) an element's annual target for a region."""
    if not may_approve(actor, region.path):
        raise DomainError(_("Only the district sets targets."))
    if not 2000 <= year <= 2100:
        raise DomainError(_("Unknown year."))
    number = parse_value(value)
    target, created = Target.objects.get_or_create(
        element=element,
        region=region,
        year=year,
        defaults={"region_path": region.path, "value": number},
    )
    before = None if created else str(target.value)
    if not created:
        Target.objects.filter(pk=target.pk).update(value=number, version=target.version + 1)
        target.value = number
    audit.record(
        actor=actor,
        action="indicator.target_set",
        obj=element,
        region_path=region.path,
        changes={"year": year, "target": [before, str(number)]},
    )
    return target


@transaction.atomic
def indicator_define(
    *,
    actor: User,
    code: str,
    name: str,
    kind: str,
    numerator: str,
    denominator: str = "",
    factor: Any = 1,
    unit: str = "",
) -> Indicator:
    """Define an indicator as a formula over data elements named by their codes."""
    _require_district(actor)
    if not CODE.match(code):
        raise DomainError(
            _("The code is 2–40 lowercase letters, digits or _, starting with a letter.")
        )
    if kind not in FormulaKind.values:
        raise DomainError(_("Unknown formula."))
    if Indicator.objects.filter(code=code).exists():
        raise DomainError(_("An indicator with this code exists already."))
    elements = {e.code: e for e in DataElement.objects.filter(code__in=[numerator, denominator])}
    names = [numerator] + ([denominator] if denominator else [])
    for wanted in names:
        if wanted not in elements:
            raise DomainError(_("No data element has the code %(code)s.") % {"code": wanted})
    needs_two = kind in (FormulaKind.RATIO, FormulaKind.CITY_GAP)
    if needs_two != bool(denominator):
        raise DomainError(
            _("This formula needs a denominator.")
            if needs_two
            else _("This formula takes no denominator.")
        )
    number = parse_value(factor)
    if number == 0:
        raise DomainError(_("The factor cannot be zero."))
    indicator = Indicator.objects.create(
        code=code,
        name=name.strip() or code,
        kind=kind,
        numerator=elements[numerator],
        denominator=elements.get(denominator) if denominator else None,
        factor=number,
        unit=unit.strip(),
    )
    audit.record(
        actor=actor,
        action="indicator.define",
        obj=indicator,
        changes={"formula": kind, "numerator": numerator, "denominator": denominator},
    )
    return indicator
