"""Simulating a draft before it is published: how many subjects would be met, not met or
unknown, per street and per industry, over today's data in the caller's scope.

Set-based: one query over the subject's feature query (``Subject.feature_sql``), with the
draft's condition rendered as SQL, whose NULL logic is the engine's three-valued logic — a
``CASE`` gives met when the condition holds, not met when its negation holds, unknown otherwise.
A condition with CEL does not render to SQL; it is evaluated row by row in Python from the
same single feature query.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection

from gridlight.core.access import Perm, Viewer, require
from gridlight.core.errors import DomainError
from gridlight.core.models import Region
from gridlight.core.models.regions import SEGMENT_WIDTH
from gridlight.policies.definition import STATES, PolicyDefinitionError, compile_policy
from gridlight.policies.models import PolicyVersion
from gridlight.rules.conditions import SqlContext
from gridlight.rules.engine import values_from_features
from gridlight.rules.subjects import get_subject

KEYS = ("met", "not_met", "unknown")


@dataclass
class Tally:
    label: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KEYS, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Simulation:
    total: Tally
    streets: list[Tally]
    industries: list[Tally]
    batch: bool  # rendered as SQL (False: CEL, row by row)
    seconds: float


def simulate(user: Viewer, version: PolicyVersion, day: date) -> Simulation:
    """Evaluate ``version`` (a draft or any version) for every subject in the caller's
    ``policy.manage`` scope, read-only."""
    start = time.perf_counter()
    scope = require(user, Perm.POLICY_MANAGE)
    policy = version.policy
    subject = get_subject(policy.subject_type)
    try:
        compiled = compile_policy(version.definition, subject, code=policy.code)
    except PolicyDefinitionError as exc:
        raise DomainError("\n".join(exc.problems)) from exc
    condition = compiled.condition
    industry_field = getattr(subject, "industry_field", "")
    width = SEGMENT_WIDTH * 2 + 1
    where = " OR ".join(["(f.region_path >= %s AND f.region_path < %s)"] * len(scope.paths))
    scope_params: list[Any] = [x for p in scope.paths for x in (p, p + ":")]
    counts: Counter[tuple[str, str, str]] = Counter()
    if condition.batchable:
        needs = set(condition.needs())
        if industry_field:
            needs.add("field:" + industry_field)
        columns = {need: f"c{i}" for i, need in enumerate(sorted(needs))}
        features, fparams = subject.feature_sql(columns, day)
        cond, cparams = condition.sql(SqlContext(columns, day))
        industry = f"f.{columns['field:' + industry_field]}" if industry_field else "NULL"
        sql = (
            f"SELECT SUBSTR(f.region_path, 1, {width}), {industry}, "
            f"CASE WHEN {cond} THEN 'met' WHEN NOT {cond} THEN 'not_met' ELSE 'unknown' END, "
            f"COUNT(*) FROM ({features}) f WHERE {where} GROUP BY 1, 2, 3"
        )
        with connection.cursor() as cur:
            cur.execute(sql, [*cparams, *cparams, *fparams, *scope_params])
            for street, ind, state, n in cur.fetchall():
                counts[(street or "", ind or "", state)] += n
    else:
        names = [n for n, f in subject.fields().items() if f.type != "list_string"]
        needs = {f"field:{n}" for n in names} | {f"tag:{t}" for t in subject.tags()}
        needs |= {f"grade:{g}" for g in subject.grades()}
        columns = {need: f"c{i}" for i, need in enumerate(sorted(needs))}
        features, fparams = subject.feature_sql(columns, day)
        with connection.cursor() as cur:
            cur.execute(f"SELECT * FROM ({features}) f WHERE {where}", [*fparams, *scope_params])
            cols = [c[0] for c in cur.description]
            while chunk := cur.fetchmany(5000):
                for raw in chunk:
                    row = dict(zip(cols, raw, strict=True))
                    values = values_from_features(row, day, columns, subject)
                    state = STATES[condition.evaluate(values).state]
                    ind = values.get(industry_field) if industry_field else None
                    counts[(row["region_path"][:width], ind or "", state)] += 1
    return _tally(counts, subject, industry_field, condition.batchable, start)


def _tally(
    counts: Counter[tuple[str, str, str]],
    subject: Any,
    industry_field: str,
    batch: bool,
    start: float,
) -> Simulation:
    names = dict(
        Region.objects.filter(path__in={s for s, _i, _st in counts}).values_list("path", "name")
    )
    choices = dict(subject.fields()[industry_field].choices) if industry_field else {}
    total = Tally("")
    streets: dict[str, Tally] = {}
    industries: dict[str, Tally] = {}
    for (street, ind, state), n in counts.items():
        total.counts[state] += n
        s = streets.setdefault(street, Tally(names.get(street, street)))
        s.counts[state] += n
        if industry_field:
            label = str(choices.get(ind, ind)) if ind else "—"
            i = industries.setdefault(ind, Tally(label))
            i.counts[state] += n
    return Simulation(
        total,
        [streets[k] for k in sorted(streets)],
        [industries[k] for k in sorted(industries)],
        batch,
        time.perf_counter() - start,
    )
