"""Giving households their traffic light: one at a time when their data change, or all at once.

The light in force is the computed one unless a manual override is current. Every change of the
light in force is a :class:`LightChange` row. A household row is written only when its light or
reasons change: its ``light_version`` is the rule version that decided its light as it stands
(a later version that decides the same, for the same reasons, leaves the row alone — on
PostgreSQL rewriting 300,000 unchanged rows costs more than all the evaluation).

A whole-district recompute is set-based: the rule set becomes one SQL query whose result is
joined back in three statements (history, update, visit schedule), never a Python loop over
households.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core.errors import DomainError
from gridlight.households.models import (
    Household,
    HouseholdStatus,
    LightChange,
    ServicePackage,
)
from gridlight.households.subject import HouseholdSubject
from gridlight.rules.engine import CompiledRuleSet, Evaluation, compile_definition
from gridlight.rules.models import RuleSetVersion
from gridlight.rules.selectors import version_in_force

RULE_SET = "traffic_light"
SUBJECT = HouseholdSubject()

Progress = Callable[[int, str], None]


def _no_progress(_pct: int, _msg: str) -> None:
    return None


@lru_cache(maxsize=16)
def _compiled(version_id: int, edit_version: int) -> CompiledRuleSet:
    version = RuleSetVersion.objects.get(pk=version_id)
    return compile_definition(version.definition, SUBJECT)


def compiled_for(version: RuleSetVersion) -> CompiledRuleSet:
    return _compiled(version.pk, version.edit_version)


def current_version(as_of: date | None = None) -> RuleSetVersion:
    version = version_in_force(RULE_SET, as_of or timezone.localdate())
    if version is None:
        raise DomainError(_("No traffic-light rule set is in force; publish one first."))
    return version


def effective_light(h: Household, computed: str, as_of: date) -> str:
    if h.override_light and h.override_until is not None and h.override_until >= as_of:
        return h.override_light
    return computed


def intervals() -> dict[str, int]:
    return dict(ServicePackage.objects.values_list("light", "visit_interval_days"))


def due_after(base: date | None, light: str, gaps: dict[str, int]) -> date | None:
    return base + timedelta(days=gaps[light]) if base is not None and light in gaps else None


def explain(h: Household, as_of: date | None = None) -> tuple[RuleSetVersion, Evaluation]:
    """Why a household has its light: the version it was classified with, evaluated again now.
    (Any change to its data reclassifies it at once, so the two agree.)"""
    day = as_of or timezone.localdate()
    version = h.light_version or current_version(day)
    return version, compiled_for(version).evaluate(SUBJECT.values(h, day))


@transaction.atomic
def classify_one(
    h: Household,
    *,
    actor: Any = None,
    cause: str = "data-change",
    as_of: date | None = None,
    note: str = "",
) -> Evaluation:
    """Reclassify one household now, with history if its light in force changes."""
    day = as_of or timezone.localdate()
    version = current_version(day)
    evaluation = compiled_for(version).evaluate(SUBJECT.values(h, day))
    new_light = effective_light(h, evaluation.outcome, day)
    now = timezone.now()
    # Every rule that fired, in rule order (the batch query stores the same).
    reasons = ",".join(r.code for r in evaluation.fired)
    if new_light != h.light or h.light_at is None:
        LightChange.objects.create(
            household=h,
            region_path=h.region_path,
            at=now,
            from_light=h.light if h.light_at else "",
            to_light=new_light,
            reasons=reasons,
            rule_version=version,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            cause=cause,
            note=note,
        )
    changed_light = new_light != h.light
    h.computed_light, h.light, h.light_reasons = evaluation.outcome, new_light, reasons
    h.light_version, h.light_at = version, now
    fields = ["computed_light", "light", "light_reasons", "light_version", "light_at"]
    if changed_light or h.next_visit_due is None:
        h.next_visit_due = due_after(h.last_visit_on or h.registered_on, new_light, intervals())
        fields.append("next_visit_due")
    Household.objects.filter(pk=h.pk).update(**{f: getattr(h, f) for f in fields})
    return evaluation


@dataclass
class RecomputeResult:
    total: int
    changed: int
    seconds: float
    version: int


def recompute_all(
    *, actor: Any = None, as_of: date | None = None, progress: Progress = _no_progress
) -> RecomputeResult:
    """Reclassify every active household with the version in force, set-based."""
    start = time.perf_counter()
    day = as_of or timezone.localdate()
    version = current_version(day)
    compiled = compiled_for(version)
    h = Household._meta.db_table
    hist = LightChange._meta.db_table
    now = timezone.now()
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    effective = (
        "CASE WHEN h.override_light <> '' AND h.override_until >= %s "
        "THEN h.override_light ELSE c.outcome END"
    )
    progress(5, _("Evaluating the rules"))
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS gl_classify")
        fill_outcomes(cur, compiled, day)
        cur.execute("CREATE INDEX gl_classify_id ON gl_classify (id)")
        cur.execute("SELECT COUNT(*) FROM gl_classify")
        total = cur.fetchone()[0]
        progress(45, _("Recording changes of light"))
        cur.execute("DROP TABLE IF EXISTS gl_changed")
        cur.execute(
            f"CREATE TEMPORARY TABLE gl_changed AS SELECT h.id AS id FROM {h} h "
            f"JOIN gl_classify c ON c.id = h.id WHERE h.light_at IS NULL OR h.light <> {effective}",
            [day],
        )
        cur.execute(
            f"INSERT INTO {hist} (household_id, region_path, at, from_light, to_light, reasons, "
            f"rule_version_id, actor_id, cause, note) "
            f"SELECT h.id, h.region_path, %s, CASE WHEN h.light_at IS NULL THEN '' ELSE h.light "
            f"END, {effective}, c.reasons, %s, %s, 'recompute', '' FROM {h} h "
            f"JOIN gl_classify c ON c.id = h.id JOIN gl_changed x ON x.id = h.id",
            [now, day, version.pk, actor_id],
        )
        changed = cur.rowcount
        progress(70, _("Updating households and rescheduling their visits"))
        light = (
            f"CASE WHEN {h}.override_light <> '' AND {h}.override_until >= %s "
            f"THEN {h}.override_light ELSE c.outcome END"
        )
        gaps = intervals()
        days = "CASE " + " ".join(f"WHEN {light} = %s THEN %s" for _g in gaps) + " END"
        days_params: list[Any] = []
        for name, gap in gaps.items():
            days_params += [day, name, gap]
        base = f"COALESCE({h}.last_visit_on, {h}.registered_on)"
        due = (
            f"date({base}, '+' || ({days}) || ' days')"
            if connection.vendor == "sqlite"
            else f"{base} + ({days})"
        )
        # One statement, and only for households whose light or reasons change: a rewrite of
        # every row is what makes a recompute slow on PostgreSQL. Visits are rescheduled only
        # where the light in force changes.
        cur.execute(
            f"UPDATE {h} SET computed_light = c.outcome, light = {light}, "
            f"light_reasons = c.reasons, light_version_id = %s, light_at = %s, "
            f"next_visit_due = CASE WHEN {h}.light_at IS NULL OR {h}.light <> {light} "
            f"THEN {due} ELSE {h}.next_visit_due END "
            f"FROM gl_classify c WHERE c.id = {h}.id AND ({h}.light_at IS NULL "
            f"OR {h}.computed_light <> c.outcome OR {h}.light_reasons <> c.reasons "
            f"OR {h}.light <> {light})",
            [day, version.pk, now, day, *days_params, day],
        )
        cur.execute("DROP TABLE gl_classify")
        cur.execute("DROP TABLE gl_changed")
    progress(100, _("Done"))
    return RecomputeResult(total, changed, time.perf_counter() - start, version.number)


def fill_outcomes(cur: Any, compiled: CompiledRuleSet, day: date) -> None:
    """Create the temporary table ``gl_classify (id, region_path, outcome, reasons)``: in one
    SQL statement when every rule renders to SQL, else (CEL) row by row from one feature query.
    """
    if compiled.batchable:
        sql, params = compiled.outcome_sql(SUBJECT, day)
        cur.execute(f"CREATE TEMPORARY TABLE gl_classify AS {sql}", params)
        return
    cur.execute(
        "CREATE TEMPORARY TABLE gl_classify (id bigint, region_path varchar(255), "
        "outcome varchar(8), reasons varchar(500))"
    )
    batch: list[tuple[Any, ...]] = []
    for row in compiled.evaluate_rows(SUBJECT, day):
        batch.append(row)
        if len(batch) >= 5000:
            cur.executemany("INSERT INTO gl_classify VALUES (%s, %s, %s, %s)", batch)
            batch = []
    if batch:
        cur.executemany("INSERT INTO gl_classify VALUES (%s, %s, %s, %s)", batch)


def active_households() -> Any:
    return Household.objects.filter(status=HouseholdStatus.ACTIVE)


def require_rules_scope(user: Any) -> None:
    """The traffic-light rule set applies to every household: only a user whose rules scope
    covers every household may change it, preview it or apply it (403 otherwise)."""
    from django.core.exceptions import PermissionDenied

    from gridlight.core.access import Perm, require

    scope = require(user, Perm.RULES_MANAGE)
    if Household.objects.exclude(scope.q("region_path")).exists():
        raise PermissionDenied
