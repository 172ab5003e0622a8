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

from gridlight.core.access import Viewer
from gridlight.core.errors import DomainError
from gridlight.core.models import User
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
# Where classify_one leaves its evaluation on the household, for explain() to reuse.
_EVALUATED = "_light_evaluation"


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
    # Just classified (a change of its data, in this request): the same evaluation, not read
    # and evaluated a second time.
    done = getattr(h, _EVALUATED, None)
    if done is not None and done[0] == (version.pk, day):
        return version, done[1]
    return version, compiled_for(version).evaluate(SUBJECT.values(h, day))


@transaction.atomic
def classify_one(
    h: Household,
    *,
    actor: User | None = None,
    cause: str = "data-change",
    as_of: date | None = None,
    note: str = "",
) -> Evaluation:
    """Reclassify one household now, with history if its light in force changes. Like a
    district recompute, it writes the household only when its light or reasons change (or it
    has none yet): a later version that decides the same for the same reasons leaves it be."""
    day = as_of or timezone.localdate()
    version = current_version(day)
    evaluation = compiled_for(version).evaluate(SUBJECT.values(h, day))
    setattr(h, _EVALUATED, ((version.pk, day), evaluation))
    new_light = effective_light(h, evaluation.outcome, day)
    # Every rule that fired, in rule order, each followed by a comma: as the batch stores it,
    # so that neither takes the other's reasons for a change.
    reasons = "".join(f"{r.code}," for r in evaluation.fired)
    if version.pk == h.light_version_id:
        h.light_version = version  # the explanation reads it; no need to fetch it again
    changed_light = new_light != h.light
    unchanged = (
        h.light_at is not None
        and not changed_light
        and (h.computed_light, h.light_reasons) == (evaluation.outcome, reasons)
        and h.next_visit_due is not None
    )
    if unchanged:
        return evaluation
    now = timezone.now()
    if changed_light or h.light_at is None:
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
    *, actor: User | None = None, as_of: date | None = None, progress: Progress = _no_progress
) -> RecomputeResult:
    """Reclassify every active household with the version in force, set-based.

    One statement evaluates the rules (as SQL; a rule set with CEL is evaluated in Python into
    a temporary table first) and keeps, in a temporary table, only the households that change
    (light, reasons, or never classified) with everything they change to: the light in force,
    the light before, the next visit due. The history rows are read from that table alone and
    the households updated from it; unchanged households are not written."""
    start = time.perf_counter()
    day = as_of or timezone.localdate()
    version = current_version(day)
    compiled = compiled_for(version)
    h = Household._meta.db_table
    hist = LightChange._meta.db_table
    now = timezone.now()
    actor_id = actor.pk if actor is not None else None
    gaps = intervals()
    light = (
        "CASE WHEN h.override_light <> '' AND h.override_until >= %s "
        "THEN h.override_light ELSE c.outcome END"
    )
    days = "CASE " + " ".join("WHEN light = %s THEN %s" for _g in gaps) + " END"
    days_params = [value for pair in gaps.items() for value in pair]
    due = (
        f"date(base, '+' || ({days}) || ' days')"
        if connection.vendor == "sqlite"
        else f"base + ({days})"
    )
    progress(5, _("Evaluating the rules"))
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS gl_classify")
        cur.execute("DROP TABLE IF EXISTS gl_changed")
        if connection.vendor == "postgresql":
            # The members' and attributes' aggregates and the joins of 300,000 households fit
            # in memory with room to spare; with the server's default 4 MB they are hashed in
            # batches on disk, or split over parallel workers that each hash the whole table.
            cur.execute("SET LOCAL work_mem = '64MB'")
        if compiled.batchable:
            # The outcomes are computed once (MATERIALIZED: inlined, the rules' CASE would be
            # evaluated again wherever the light in force is used below) and never written:
            # only the households that change are.
            outcome_sql, outcome_params = compiled.outcome_sql(SUBJECT, day)
            source = f"WITH c AS MATERIALIZED ({outcome_sql}) "
            outcomes = "c"
            cur.execute(
                f"SELECT COUNT(*) FROM {h} WHERE status = %s",
                [HouseholdStatus.ACTIVE.value],
            )
        else:  # CEL: evaluated row by row in Python into a table
            fill_outcomes(cur, compiled, day)
            source, outcome_params, outcomes = "", [], "gl_classify"
            cur.execute("SELECT COUNT(*) FROM gl_classify")
        total = int(cur.fetchone()[0])
        # Only the households that change, with what they change to: the light in force, the
        # light before (a history row when they differ or it is the first) and the next
        # visit (rescheduled only when the light in force changes). In the households' order,
        # so the writes below walk the table and most of its indexes front to back instead of
        # jumping about: with PostgreSQL's default 128 MB of buffers that is most of their cost.
        # ``kept``: the light in force and the next visit stay as they are (see the updates).
        cur.execute(
            f"CREATE TEMPORARY TABLE gl_changed AS {source}"
            f"SELECT y.*, CASE WHEN light = old_light AND (due = old_due "
            f"OR (due IS NULL AND old_due IS NULL)) THEN 1 ELSE 0 END AS kept "
            f"FROM (SELECT id, region_path, outcome, reasons, light, old_light, old_due, "
            f"CASE WHEN fresh = 1 THEN '' ELSE old_light END AS from_light, "
            f"CASE WHEN fresh = 1 OR old_light <> light THEN 1 ELSE 0 END AS moved, "
            f"CASE WHEN fresh = 1 OR old_light <> light THEN {due} ELSE old_due END AS due "
            f"FROM (SELECT h.id AS id, h.region_path AS region_path, c.outcome AS outcome, "
            f"c.reasons AS reasons, {light} AS light, h.light AS old_light, "
            f"h.next_visit_due AS old_due, h.computed_light AS old_outcome, "
            f"h.light_reasons AS old_reasons, COALESCE(h.last_visit_on, h.registered_on) "
            f"AS base, CASE WHEN h.light_at IS NULL THEN 1 ELSE 0 END AS fresh "
            f"FROM {outcomes} c JOIN {h} h ON h.id = c.id) x "
            f"WHERE fresh = 1 OR old_outcome <> outcome OR old_reasons <> reasons "
            f"OR old_light <> light) y ORDER BY id",
            [*outcome_params, *days_params, day],
        )
        if connection.vendor == "postgresql":
            cur.execute("ANALYZE gl_changed")  # the planner knows nothing of a new table
        progress(45, _("Recording changes of light"))
        cur.execute(
            f"INSERT INTO {hist} (household_id, region_path, at, from_light, to_light, "
            f"reasons, rule_version_id, actor_id, cause, note) "
            f"SELECT id, region_path, %s, from_light, light, reasons, %s, %s, 'recompute', '' "
            f"FROM gl_changed WHERE moved = 1",
            [now, version.pk, actor_id],
        )
        changed = cur.rowcount
        progress(70, _("Updating households and rescheduling their visits"))
        # Two statements: SQLite rewrites an index's entries whenever an UPDATE names one of
        # its columns, changed or not, so the rows whose light and next visit stay (new
        # reasons, or a first classification that agrees) are updated without naming them
        # (and on PostgreSQL, with room on their page, in place: HOT).
        sets = (
            "computed_light = d.outcome, light_reasons = d.reasons, "
            "light_version_id = %s, light_at = %s"
        )
        for extra, kept in (("", 1), (", light = d.light, next_visit_due = d.due", 0)):
            cur.execute(
                f"UPDATE {h} SET {sets}{extra} FROM gl_changed d "
                f"WHERE d.id = {h}.id AND d.kept = %s",
                [version.pk, now, kept],
            )
        if not compiled.batchable:
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


def require_rules_scope(user: Viewer) -> None:
    """The traffic-light rule set applies to every household: only a user whose rules scope
    covers every household may change it, preview it or apply it (403 otherwise)."""
    from django.core.exceptions import PermissionDenied

    from gridlight.core.access import Perm, require

    scope = require(user, Perm.RULES_MANAGE)
    if Household.objects.exclude(scope.q("region_path")).exists():
        raise PermissionDenied
