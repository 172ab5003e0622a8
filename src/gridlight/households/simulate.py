"""Previewing a rule-set version against today's data, before it is published: how many
households would change light, street by street (like a reform preview)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from gridlight.core.access import Perm, Viewer, require
from gridlight.core.errors import DomainError
from gridlight.core.models import Region
from gridlight.core.models.regions import SEGMENT_WIDTH
from gridlight.households.classify import SUBJECT, fill_outcomes
from gridlight.households.models import Household
from gridlight.rules.engine import DefinitionError, compile_definition
from gridlight.rules.models import RuleSetVersion

LIGHTS = ("red", "yellow", "green")


@dataclass
class AreaChange:
    region: Region | None
    before: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LIGHTS, 0))
    after: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LIGHTS, 0))
    moves: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(n for (a, b), n in self.moves.items() if a != b)

    @property
    def total(self) -> int:
        return sum(self.before.values())


@dataclass
class SimulationResult:
    total: AreaChange
    areas: list[AreaChange]
    seconds: float


def simulate(user: Viewer, version: RuleSetVersion) -> SimulationResult:
    """Evaluate ``version`` for every household in the user's scope (set-based, read-only) and
    compare with each household's current computed light, grouped by street."""
    import time

    start = time.perf_counter()
    scope = require(user, Perm.RULES_MANAGE)
    try:
        compiled = compile_definition(version.definition, SUBJECT)
    except DefinitionError as exc:
        raise DomainError("\n".join(exc.problems)) from exc
    width = SEGMENT_WIDTH * 2 + 1
    h = Household._meta.db_table
    where = " OR ".join(["(h.region_path >= %s AND h.region_path < %s)"] * len(scope.paths))
    scope_params: list[Any] = [x for p in scope.paths for x in (p, p + ":")]
    query = (
        f"SELECT SUBSTR(h.region_path, 1, {width}) AS area, h.computed_light, s.outcome, "
        f"COUNT(*) FROM gl_classify s JOIN {h} h ON h.id = s.id WHERE {where} "
        f"GROUP BY SUBSTR(h.region_path, 1, {width}), h.computed_light, s.outcome"
    )
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS gl_classify")
        fill_outcomes(cur, compiled, timezone.localdate())
        cur.execute(query, scope_params)
        rows = cur.fetchall()
        cur.execute("DROP TABLE gl_classify")
    by_area: dict[str, AreaChange] = defaultdict(lambda: AreaChange(None))
    total = AreaChange(None)
    for area, before, after, n in rows:
        for target in (by_area[area], total):
            target.before[before] = target.before.get(before, 0) + n
            target.after[after] = target.after.get(after, 0) + n
            target.moves[(before, after)] = target.moves.get((before, after), 0) + n
    regions = {r.path: r for r in Region.objects.filter(path__in=list(by_area))}
    areas = []
    for path in sorted(by_area):
        item = by_area[path]
        item.region = regions.get(path)
        areas.append(item)
    return SimulationResult(total, areas, time.perf_counter() - start)
