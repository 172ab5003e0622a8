"""A policy version's definition, checked and compiled; its own test cases; evaluation of many
policies for one subject. Pure: the subject's fields and values come in, nothing is read from
the database.

A definition::

    when: {all_of: [{field_in: {field: level, values: [A, B]}}, {has_tag: employer_srdi}]}
    benefit: {table: {field: level, rows: {A: 100000000, ...}}, cap: 100000000}
    tests:                              # run on publish and by pytest
      - name: a class A talent
        as_of: 2026-06-01
        values: {level: A, degree: doctor, tags: [employer_srdi]}
        benefits: {city_car_voucher: 300000}   # other policies' amounts a formula reads
        receiving: []                           # policies the subject already receives
        expect: met                             # met / not_met / unknown
        amount: 100000000                       # fen, when met
        missing: [degree]                       # when unknown: the facts to add

Three states, never two: **met**, **not met**, **unknown** (some fact it needs is not known).
Unknown is never shown as "not eligible": it comes with the facts that would decide it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from django.utils.translation import gettext as _

from gridlight.policies.benefits import (
    NO_BENEFIT,
    Amount,
    Benefit,
    BenefitError,
    Offer,
    compute,
    order_by_dependency,
    parse_benefit,
    resolve_groups,
)
from gridlight.rules.conditions import Condition, ConditionError, Verdict, parse_condition
from gridlight.rules.subjects import Subject

State = Literal["met", "not_met", "unknown"]
STATES: dict[str, State] = {"pass": "met", "fail": "not_met", "unknown": "unknown"}
KEYS = {"when", "benefit", "tests"}


class PolicyDefinitionError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class CompiledPolicy:
    code: str
    condition: Condition
    benefit: Benefit = NO_BENEFIT
    group: str = ""
    tests: list[dict[str, Any]] = field(default_factory=list)
    title: str = ""

    @property
    def depends_on(self) -> frozenset[str]:
        return self.benefit.depends_on


def compile_policy(
    definition: Any, subject: Subject, *, code: str, group: str = "", title: str = ""
) -> CompiledPolicy:
    """Check and compile a definition; :class:`PolicyDefinitionError` lists every problem."""
    if not isinstance(definition, dict):
        raise PolicyDefinitionError([_("The definition must be a mapping with when and benefit.")])
    problems: list[str] = []
    extra = sorted(set(definition) - KEYS)
    if extra:
        problems.append(_("Unknown keys: %(k)s") % {"k": ", ".join(extra)})
    condition: Condition | None = None
    try:
        condition = parse_condition(definition.get("when"), subject)
    except ConditionError as exc:
        problems.append(_("Eligibility: %(p)s") % {"p": exc.message})
    benefit = NO_BENEFIT
    try:
        benefit = parse_benefit(definition.get("benefit"), subject.fields())
    except BenefitError as exc:
        problems += [_("Benefit: %(p)s") % {"p": p} for p in exc.problems]
    if code in benefit.depends_on:
        problems.append(_("Benefit: the formula reads this policy's own benefit."))
    tests = definition.get("tests") or []
    if not isinstance(tests, list):
        problems.append(_("tests must be a list."))
        tests = []
    problems += case_problems(tests)
    if problems or condition is None:
        raise PolicyDefinitionError(problems)
    return CompiledPolicy(code, condition, benefit, group, tests, title)


def case_problems(cases: list[Any]) -> list[str]:
    """Test cases that cannot be run (each a mapping with values and a known expectation)."""
    problems = []
    for i, case in enumerate(cases, start=1):
        bad = []
        if not isinstance(case, dict) or not isinstance(case.get("values", {}), dict):
            bad.append(_("it must be a mapping with a name, values and expect"))
        else:
            if case.get("expect") not in STATES.values():
                bad.append(_("expect must be met, not_met or unknown"))
            amount = case.get("amount")
            if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
                bad.append(_("amount must be a whole number of fen"))
            for key in ("benefits",):
                if not isinstance(case.get(key) or {}, dict):
                    bad.append(_("%(k)s must map policy codes to fen") % {"k": key})
            for key in ("receiving", "missing"):
                if not isinstance(case.get(key) or [], list):
                    bad.append(_("%(k)s must be a list") % {"k": key})
        problems += [_("Test case %(i)s: %(p)s.") % {"i": i, "p": p} for p in bad]
    return problems


@dataclass
class Result:
    """One policy for one subject: the state, the verdict tree (the explanation), the amount,
    and whether it is offered (not when already received or superseded in its group)."""

    code: str
    state: State
    verdict: Verdict
    amount: Amount | None = None
    already_receives: bool = False
    superseded_by: str = ""

    @property
    def missing(self) -> frozenset[str]:
        """The facts to add before this policy (eligibility, then amount) can be decided."""
        if self.state == "unknown":
            return self.verdict.missing
        if self.state == "met" and self.amount is not None and self.amount.fen is None:
            return self.amount.missing
        return frozenset()

    @property
    def offered(self) -> bool:
        return self.state != "not_met" and not self.already_receives and not self.superseded_by


def evaluate(
    policies: Iterable[CompiledPolicy],
    values: Mapping[str, Any],
    *,
    receiving: Iterable[str] = (),
    known_amounts: Mapping[str, int | None] | None = None,
) -> dict[str, Result]:
    """Evaluate every policy for one subject, in dependency order (a formula reads the amounts
    computed before it), then apply exclusive groups and what the subject already receives.

    ``known_amounts``: amounts of policies not in ``policies`` (a test case's ``benefits``)."""
    by_code = {p.code: p for p in policies}
    amounts: dict[str, int | None] = dict(known_amounts or {})
    results: dict[str, Result] = {}
    for code in order_by_dependency({c: p.depends_on & by_code.keys() for c, p in by_code.items()}):
        policy = by_code[code]
        verdict = policy.condition.evaluate(dict(values))
        state = STATES[verdict.state]
        result = Result(code, state, verdict)
        if state == "met":
            result.amount = compute(policy.benefit, values, amounts)
            amounts[code] = result.amount.fen
        else:
            # Not met gives nothing; unknown gives an amount nobody knows yet.
            amounts[code] = 0 if state == "not_met" else None
        results[code] = result
    offers = [
        Offer(c, by_code[c].group, r.amount.fen if r.amount else None)
        for c, r in results.items()
        if r.state == "met"
    ]
    for offer in resolve_groups(offers):
        results[offer.code].superseded_by = offer.superseded_by
    for code in set(receiving) & results.keys():
        results[code].already_receives = True
    return results


@dataclass(frozen=True)
class MissingFact:
    """A fact the subject has not given, and how many undecided policies it concerns:
    ``decides`` those that adding it alone would decide, ``concerns`` all that need it."""

    field: str
    decides: int
    concerns: int


class Undecided(Protocol):
    """What :func:`rank_missing` reads of a policy's result for one subject: a live
    :class:`Result`, or a stored match as the subject sees it (``tracking.Mine``)."""

    @property
    def missing(self) -> frozenset[str]: ...

    @property
    def already_receives(self) -> bool: ...

    @property
    def superseded_by(self) -> str: ...


def rank_missing(results: Iterable[Undecided]) -> list[MissingFact]:
    """The facts to ask for first: by the number of policies they alone would decide
    ("add your degree: 4 more policies can be checked"), then by how many need them."""
    decides: Counter[str] = Counter()
    concerns: Counter[str] = Counter()
    for r in results:
        missing = r.missing
        if r.already_receives or r.superseded_by or not missing:
            continue
        concerns.update(missing)
        if len(missing) == 1:
            decides.update(missing)
    return sorted(
        (MissingFact(f, decides[f], concerns[f]) for f in concerns),
        key=lambda m: (-m.decides, -m.concerns, m.field),
    )


def run_tests(policy: CompiledPolicy, others: Iterable[CompiledPolicy] = ()) -> list[str]:
    """Run a policy's own test cases; a message per failing case (empty: all pass)."""
    failures = []
    for i, case in enumerate(policy.tests, start=1):
        name = case.get("name") or str(i)
        values = dict(case.get("values") or {})
        values["tags"] = set(values.get("tags") or [])
        values.setdefault("grades", {})
        results = evaluate(
            [policy],
            values,
            receiving=case.get("receiving") or [],
            known_amounts=case.get("benefits") or {},
        )
        r = results[policy.code]
        if r.state != case.get("expect"):
            failures.append(
                _("%(n)s: expected %(e)s, got %(g)s")
                % {"n": name, "e": case.get("expect"), "g": r.state}
            )
            continue
        if "amount" in case:
            got = r.amount.fen if r.amount else None
            if got != case["amount"]:
                failures.append(
                    _("%(n)s: expected %(e)s fen, got %(g)s")
                    % {"n": name, "e": case["amount"], "g": got}
                )
        if "missing" in case and sorted(case["missing"] or []) != sorted(r.missing):
            failures.append(
                _("%(n)s: expected missing %(e)s, got %(g)s")
                % {
                    "n": name,
                    "e": ", ".join(case["missing"] or []),
                    "g": ", ".join(sorted(r.missing)),
                }
            )
        if case.get("offered") is not None and bool(case["offered"]) != r.offered:
            failures.append(_("%(n)s: expected offered %(e)s") % {"n": name, "e": case["offered"]})
    return failures
