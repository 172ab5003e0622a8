"""Compiling a rule-set definition, evaluating it for one subject with an explanation, and
rendering it as one SQL query for many subjects at once.

A definition::

    outcomes: [red, yellow, green]     # in priority order
    default: green                     # when no rule fires
    rules:
      - code: aged_80_alone
        outcome: red
        label: 80岁以上独居老人
        when: {all_of: [{age_at_least: 80}, {member_count_at_most: 1}]}
    tests:                             # run by pytest and on publish
      - name: an 83-year-old living alone
        as_of: 2026-01-01
        values: {age: 83, member_count: 1, tags: [], grades: {}}
        expect: red
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from gridlight.core.idcard import age_on
from gridlight.rules.conditions import (
    Condition,
    ConditionError,
    SqlContext,
    Verdict,
    parse_condition,
)
from gridlight.rules.subjects import Subject

SLUG = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


class DefinitionError(ValueError):
    """A definition that cannot be used; ``problems`` says every reason, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class CompiledRule:
    code: str
    outcome: str
    label: str
    condition: Condition


@dataclass
class RuleResult:
    code: str
    outcome: str
    label: str
    verdict: Verdict


@dataclass
class Evaluation:
    outcome: str
    fired: list[RuleResult]
    unknown: list[RuleResult]
    results: list[RuleResult] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """Codes of the rules that decided the outcome."""
        return [r.code for r in self.fired if r.outcome == self.outcome]


@dataclass
class CompiledRuleSet:
    outcomes: list[str]
    default: str
    rules: list[CompiledRule]
    tests: list[dict[str, Any]]

    def evaluate(self, values: dict[str, Any]) -> Evaluation:
        """Evaluate every rule for one subject; the first outcome (by priority) that a rule
        passes wins, else the default."""
        results = [
            RuleResult(r.code, r.outcome, r.label, r.condition.evaluate(values)) for r in self.rules
        ]
        fired = [r for r in results if r.verdict.state == "pass"]
        unknown = [r for r in results if r.verdict.state == "unknown"]
        outcome = next(
            (o for o in self.outcomes if any(r.outcome == o for r in fired)), self.default
        )
        return Evaluation(outcome, fired, unknown, results)

    @property
    def batchable(self) -> bool:
        return all(r.condition.batchable for r in self.rules)

    def needs(self) -> set[str]:
        return set().union(*(r.condition.needs() for r in self.rules)) - {"cel"}

    def columns(self) -> dict[str, str]:
        """A safe SQL alias for each feature the rules need."""
        return {need: f"c{i}" for i, need in enumerate(sorted(self.needs()))}

    def outcome_sql(self, subject: Subject, as_of: date) -> tuple[str, list[Any]]:
        """``SELECT id, region_path, outcome, reasons`` for every subject, in one query."""
        if not self.batchable:
            raise ConditionError(_("This rule set uses CEL; it is evaluated row by row."))
        columns = self.columns()
        features, params = subject.feature_sql(columns, as_of)
        ctx = SqlContext(columns, as_of)
        cond_sql: dict[str, tuple[str, list[Any]]] = {
            r.code: r.condition.sql(ctx) for r in self.rules
        }
        whens, when_params = [], []
        for outcome in self.outcomes:
            codes = [r.code for r in self.rules if r.outcome == outcome]
            if not codes or outcome == self.default:
                continue
            whens.append(f"WHEN {' OR '.join(cond_sql[c][0] for c in codes)} THEN '{outcome}'")
            for c in codes:
                when_params += cond_sql[c][1]
        outcome_expr = (
            f"CASE {' '.join(whens)} ELSE '{self.default}' END" if whens else (f"'{self.default}'")
        )
        # Reasons: the codes of the rules that fired, comma-separated; the outcome's own rules
        # are picked out of them when the row is read.
        reason_parts, reason_params = [], []
        for r in self.rules:
            s, ps = cond_sql[r.code]
            reason_parts.append(f"CASE WHEN {s} THEN '{r.code},' ELSE '' END")
            reason_params += ps
        reasons_expr = " || ".join(reason_parts) if reason_parts else "''"
        sql = (
            f"SELECT f.id AS id, f.region_path AS region_path, {outcome_expr} AS outcome, "
            f"{reasons_expr} AS reasons FROM ({features}) f"
        )
        return sql, [*when_params, *reason_params, *params]

    def full_columns(self, subject: Subject) -> dict[str, str]:
        """Aliases for every feature a subject offers: what a CEL rule may read."""
        needs = {f"field:{n}" for n, f in subject.fields().items() if f.type != "list_string"}
        needs |= {f"tag:{c}" for c in subject.tags()} | {f"grade:{c}" for c in subject.grades()}
        return {need: f"c{i}" for i, need in enumerate(sorted(needs))}

    def evaluate_rows(self, subject: Subject, as_of: date) -> Any:
        """``(id, region_path, outcome, reasons)`` for every subject, evaluated row by row in
        Python from one feature query: the path for rule sets with CEL conditions."""
        from django.db import connection

        columns = self.full_columns(subject)
        sql, params = subject.feature_sql(columns, as_of)
        with connection.cursor() as cur:
            cur.execute(sql, params)
            names = [c[0] for c in cur.description]
            while True:
                chunk = cur.fetchmany(5000)
                if not chunk:
                    break
                for raw in chunk:
                    row = dict(zip(names, raw, strict=True))
                    values = self.values_from_features(row, as_of, columns, subject)
                    result = self.evaluate(values)
                    reasons = "".join(f"{r.code}," for r in result.fired)
                    yield row["id"], row["region_path"], result.outcome, reasons

    def values_from_features(
        self,
        row: dict[str, Any],
        as_of: date,
        columns: dict[str, str] | None = None,
        subject: Subject | None = None,
    ) -> dict[str, Any]:
        """Values for :meth:`evaluate` from a feature row (used where CEL rules run per row)."""
        return values_from_features(row, as_of, columns or self.columns(), subject)


def values_from_features(
    row: dict[str, Any], as_of: date, columns: dict[str, str], subject: Subject | None = None
) -> dict[str, Any]:
    """A subject's values as :meth:`Subject.values` gives them, from a row of its feature query
    (``columns`` maps each need to its alias): how batch paths evaluate in Python what does
    not render to SQL."""
    specs = subject.fields() if subject is not None else {}
    values: dict[str, Any] = {"tags": set(), "grades": {}}
    if not any(n.startswith("field:") for n in columns):
        values |= {"age": None, "youngest_age": None}
    for need, alias in columns.items():
        v = row.get(alias)
        if need.startswith("field:"):
            spec = specs[need[6:]]
            if spec.years_since or spec.type == "date":
                if isinstance(v, str):  # SQLite returns dates as text
                    v = date.fromisoformat(v)
                if spec.years_since and v is not None:
                    v = age_on(v, as_of)
            elif spec.type == "bool" and v is not None:
                v = bool(v)
            values[spec.name] = v
            continue
        if isinstance(v, str) and need.endswith("_birth"):  # SQLite: aggregated dates as text
            v = date.fromisoformat(v)
        if need == "oldest_birth":
            values["age"] = age_on(v, as_of) if v is not None else None
        elif need == "youngest_birth":
            values["youngest_age"] = age_on(v, as_of) if v is not None else None
        elif need == "member_count":
            values["member_count"] = v or 0
        elif need.startswith("tag:") and v:
            values["tags"].add(need[4:])
        elif need.startswith("grade:") and v is not None:
            values["grades"][need[6:]] = v
    return values


def compile_definition(definition: Any, subject: Subject) -> CompiledRuleSet:
    """Check a definition completely and compile it; :class:`DefinitionError` lists every
    problem found, each naming the rule it is about."""
    problems: list[str] = []
    if not isinstance(definition, dict):
        raise DefinitionError([_("The definition must be a mapping with outcomes and rules.")])
    outcomes = definition.get("outcomes")
    if (
        not isinstance(outcomes, list)
        or not outcomes
        or not all(isinstance(o, str) and SLUG.match(o) for o in outcomes)
    ):
        problems.append(_("outcomes must be a list of short lowercase names."))
        outcomes = []
    default = definition.get("default")
    if default not in outcomes:
        problems.append(_("default must be one of the outcomes."))
    rules: list[CompiledRule] = []
    seen: set[str] = set()
    raw_rules = definition.get("rules")
    if not isinstance(raw_rules, list):
        problems.append(_("rules must be a list."))
        raw_rules = []
    for i, raw in enumerate(raw_rules, start=1):
        if not isinstance(raw, dict):
            problems.append(_("Rule %(i)s is not a mapping.") % {"i": i})
            continue
        code = raw.get("code")
        where = _("Rule %(i)s (%(code)s)") % {"i": i, "code": code or "?"}
        if not isinstance(code, str) or not SLUG.match(code):
            problems.append(_("%(w)s: code must be a short lowercase name.") % {"w": where})
            continue
        if code in seen:
            problems.append(_("%(w)s: the code is used twice.") % {"w": where})
        seen.add(code)
        if raw.get("outcome") not in outcomes:
            problems.append(
                _("%(w)s: outcome must be one of %(o)s.") % {"w": where, "o": ", ".join(outcomes)}
            )
            continue
        label = str(raw.get("label") or code)
        try:
            condition = parse_condition(raw.get("when"), subject)
        except ConditionError as exc:
            problems.append(f"{where}: {exc.message}")
            continue
        rules.append(CompiledRule(code, raw["outcome"], label, condition))
    tests = definition.get("tests") or []
    if not isinstance(tests, list):
        problems.append(_("tests must be a list."))
        tests = []
    if problems:
        raise DefinitionError(problems)
    return CompiledRuleSet(list(outcomes), str(default), rules, tests)


def run_tests(compiled: CompiledRuleSet) -> list[str]:
    """Run the definition's own test cases; returns a failure message per failing case."""
    failures = []
    for case in compiled.tests:
        name = case.get("name", "?")
        values = dict(case.get("values") or {})
        values["tags"] = set(values.get("tags") or [])
        values.setdefault("grades", {})
        result = compiled.evaluate(values)
        if result.outcome != case.get("expect"):
            failures.append(
                _("%(n)s: expected %(e)s, got %(g)s (fired: %(f)s)")
                % {
                    "n": name,
                    "e": case.get("expect"),
                    "g": result.outcome,
                    "f": ", ".join(r.code for r in result.fired) or "—",
                }
            )
            continue
        expected_fired = case.get("fired")
        if expected_fired is not None and sorted(expected_fired) != sorted(result.reasons):
            failures.append(
                _("%(n)s: expected reasons %(e)s, got %(g)s")
                % {"n": name, "e": ", ".join(expected_fired), "g": ", ".join(result.reasons)}
            )
    return failures
