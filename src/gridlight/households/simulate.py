"""Previewing a rule-set version against today's data, before it is published: how many
households would change light, street by street (like a reform preview).

Evaluating a version over a district's 300,000 households takes seconds, so the preview page
does not compute it: the official starts a preview (a background job, ``households.simulate``,
with its progress on the page) and the page shows the latest preview of the version, when it was
made, and whether the draft has been edited since (:func:`latest_preview`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core.access import Perm, Viewer, require
from gridlight.core.errors import DomainError
from gridlight.core.models import Job, JobStatus, Region, User
from gridlight.core.models.regions import SEGMENT_WIDTH
from gridlight.households.classify import SUBJECT, Progress, fill_outcomes
from gridlight.households.models import Household
from gridlight.rules.engine import CompiledRuleSet, DefinitionError, compile_definition
from gridlight.rules.models import RuleSetVersion

LIGHTS = ("red", "yellow", "green")


@dataclass
class AreaChange:
    region: Region | None
    path: str = ""
    before: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LIGHTS, 0))
    after: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LIGHTS, 0))
    moves: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(n for (a, b), n in self.moves.items() if a != b)

    @property
    def total(self) -> int:
        return sum(self.before.values())

    def add(self, before: str, after: str, n: int) -> None:
        self.before[before] = self.before.get(before, 0) + n
        self.after[after] = self.after.get(after, 0) + n
        self.moves[(before, after)] = self.moves.get((before, after), 0) + n


@dataclass
class SimulationResult:
    total: AreaChange
    areas: list[AreaChange]
    seconds: float

    def to_json(self) -> dict[str, Any]:
        """What the job keeps (``Job.result``): the counts per street path, no objects."""
        return {
            "seconds": round(self.seconds, 3),
            "areas": [
                {
                    "path": a.path,
                    "moves": [[b, f, n] for (b, f), n in sorted(a.moves.items())],
                }
                for a in self.areas
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SimulationResult:
        """Back from ``to_json``, with the streets read in one query."""
        paths = [a["path"] for a in data.get("areas", [])]
        regions = {r.path: r for r in Region.objects.filter(path__in=paths)}
        total = AreaChange(None)
        areas = []
        for item in data.get("areas", []):
            area = AreaChange(regions.get(item["path"]), item["path"])
            for before, after, n in item["moves"]:
                for target in (area, total):
                    target.add(before, after, n)
            areas.append(area)
        return cls(total, areas, float(data.get("seconds", 0)))


def _compile(version: RuleSetVersion) -> CompiledRuleSet:
    try:
        return compile_definition(version.definition, SUBJECT)
    except DefinitionError as exc:
        raise DomainError("\n".join(exc.problems)) from exc


def _quiet(_pct: int, _msg: str) -> None:
    return None


def simulate(
    user: Viewer, version: RuleSetVersion, progress: Progress = _quiet
) -> SimulationResult:
    """Evaluate ``version`` for every household in the user's scope (set-based, read-only) and
    compare with each household's current computed light, grouped by street."""
    import time

    start = time.perf_counter()
    scope = require(user, Perm.RULES_MANAGE)
    compiled = _compile(version)
    width = SEGMENT_WIDTH * 2 + 1
    h = Household._meta.db_table
    where = " OR ".join(["(h.region_path >= %s AND h.region_path < %s)"] * len(scope.paths))
    scope_params: list[Any] = [x for p in scope.paths for x in (p, p + ":")]
    progress(5, _("Evaluating the rules"))
    query = (
        f"SELECT SUBSTR(h.region_path, 1, {width}) AS area, h.computed_light, s.outcome, "
        f"COUNT(*) FROM gl_classify s JOIN {h} h ON h.id = s.id WHERE {where} "
        f"GROUP BY SUBSTR(h.region_path, 1, {width}), h.computed_light, s.outcome"
    )
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS gl_classify")
        fill_outcomes(cur, compiled, timezone.localdate())
        progress(80, _("Comparing with the lights in force"))
        cur.execute(query, scope_params)
        rows = cur.fetchall()
        cur.execute("DROP TABLE gl_classify")
    by_area: dict[str, AreaChange] = defaultdict(lambda: AreaChange(None))
    total = AreaChange(None)
    for area, before, after, n in rows:
        for target in (by_area[area], total):
            target.add(before, after, n)
    regions = {r.path: r for r in Region.objects.filter(path__in=list(by_area))}
    areas = []
    for path in sorted(by_area):
        item = by_area[path]
        item.region, item.path = regions.get(path), path
        areas.append(item)
    return SimulationResult(total, areas, time.perf_counter() - start)


JOB = "households.simulate"


@dataclass
class Preview:
    """The latest preview of a version started by a user: its job (running, done or failed),
    its result once done, and whether the draft was edited after it was started."""

    job: Job
    result: SimulationResult | None
    stale: bool


def start_preview(user: User, version: RuleSetVersion) -> Job:
    """Start a preview of ``version`` as a background job (its rules checked first, so a draft
    that does not compile is refused at once with the reason)."""
    from gridlight.core import jobs

    require(user, Perm.RULES_MANAGE)
    _compile(version)
    params = {
        "version": version.pk,
        "edit_version": version.edit_version,
        "next": reverse("households:rules_simulate", args=[version.pk]),
    }
    return jobs.start(JOB, actor=user, params=params)


def latest_preview(user: Viewer, version: RuleSetVersion) -> Preview | None:
    """The user's latest preview of ``version`` (one query, two when it is done)."""
    job = (
        Job.objects.filter(kind=JOB, created_by_id=user.pk, params__version=version.pk)
        .order_by("-pk")
        .first()
    )
    if job is None:
        return None
    done = job.status == JobStatus.DONE
    return Preview(
        job=job,
        result=SimulationResult.from_json(job.result) if done else None,
        stale=job.params.get("edit_version") != version.edit_version,
    )
