"""Judging maths for arenas and observations: pure functions over plain values, no database.

The rules, in the order they apply (docs/evaluation.md says the same in words):

1. **Sheets.** A judge scores each criterion of an entrant within the criterion's range. A judge
   never scores an entrant they are recused from (their own street, or a declared conflict); a
   sheet for such a pair is refused, here and in the services.
2. **Trimmed mean per criterion.** For an entrant and a criterion, the scores of the judges who
   scored it are sorted; when there are at least ``trim_min`` of them, the ``trim`` highest and
   ``trim`` lowest are dropped (figure skating's rule; 5 and 1 by default, configurable per round),
   and the rest averaged. Each entrant is trimmed on its own panel, so a recused judge's absence
   counts as one judge fewer, never as a zero.
3. **Total.** Each criterion's mean is put on 0–1 by its range, ``(mean − low) / (high − low)``,
   and the total is ``100 × Σ weight × normalised mean / Σ weight``: out of 100 whatever the
   ranges. Totals are exact fractions, so a tie is a real tie, never a rounding accident.
4. **Rank, with a documented tie-break** (never by name or by order of presentation): higher
   total; then the higher normalised mean on the heaviest criterion, then the next heaviest (equal
   weights in the criteria's listed order); then the higher untrimmed total (every judge's score
   counted); entrants still equal share the rank (1, 2, 2, 4).
5. **Checks, shown beside the result, never changing it:** each judge's z-scores (their sheet
   totals standardised over the entrants they scored, next to the consensus's), their leniency
   (mean difference between their sheet total and the other judges' mean for the same entrant),
   a deviation flag for a sheet whose total lies more than ``deviation_z`` standard deviations
   (at least ``sd_floor`` points) from the other judges' sheets for that entrant, and the
   leave-one-judge-out report: the ranking recomputed without each judge in turn, and which
   entrants it moves.

What recusal and trimming guarantee about one judge J (tests/evaluation/test_scoring_properties.py):
J's sheets cannot change the total of a street J is recused from; and because a trimmed mean is
non-decreasing in each score, J's sheets move another entrant E's total only inside the interval
between J scoring E lowest and highest everywhere — with trimming, at most the other judges'
spread ÷ (judges − 2) per criterion. So J can move their own street S only past an entrant whose
interval contains S's total. No mean-based scheme can promise more: a judge can always mark down
a close rival of their street. The leave-one-judge-out report names exactly those cases.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

Key = Any  # a judge's or an entrant's identity (an id in the services, a letter in tests)


@dataclass(frozen=True)
class Criterion:
    id: Key
    weight: Fraction
    low: Fraction
    high: Fraction


@dataclass(frozen=True)
class Rule:
    trim: int = 1
    trim_min: int = 5
    deviation_z: float = 2.5
    sd_floor: float = 2.0  # points on the 0–100 scale


class ScoringError(ValueError):
    """The sheets contradict the round (a recused pair, a score out of range, a missing
    criterion); the services check the same before anything is written."""


Sheets = Mapping[tuple[Key, Key], Mapping[Key, Fraction]]


def trimmed_mean(values: Sequence[Fraction], rule: Rule) -> Fraction:
    ordered = sorted(values)
    if not ordered:
        raise ScoringError("no scores")
    if rule.trim and len(ordered) >= max(rule.trim_min, 2 * rule.trim + 1):
        ordered = ordered[rule.trim : len(ordered) - rule.trim]
    return sum(ordered, Fraction(0)) / len(ordered)


def _normalised(c: Criterion, value: Fraction) -> Fraction:
    return (value - c.low) / (c.high - c.low)


def sheet_total(criteria: Sequence[Criterion], scores: Mapping[Key, Fraction]) -> Fraction:
    """One judge's total for one entrant on the 0–100 scale."""
    return _weighted(criteria, {c.id: scores[c.id] for c in criteria})


def _weighted(criteria: Sequence[Criterion], means: Mapping[Key, Fraction]) -> Fraction:
    weights = sum((c.weight for c in criteria), Fraction(0))
    points = sum((c.weight * _normalised(c, means[c.id]) for c in criteria), Fraction(0))
    return 100 * points / weights


@dataclass
class EntrantResult:
    entrant: Key
    judges: int  # how many judges' sheets count
    total: Fraction | None  # None: nobody scored it
    means: dict[Key, Fraction] = field(default_factory=dict)  # trimmed mean per criterion
    untrimmed: Fraction | None = None
    rank: int = 0


def validate(
    criteria: Sequence[Criterion],
    sheets: Sheets,
    recused: Iterable[tuple[Key, Key]] = (),
) -> None:
    if not criteria:
        raise ScoringError("no criteria")
    if any(c.high <= c.low for c in criteria):
        raise ScoringError("a criterion's range is empty")
    if any(c.weight <= 0 for c in criteria):
        raise ScoringError("a criterion's weight is not positive")
    barred = set(recused)
    for (judge, entrant), scores in sheets.items():
        if (judge, entrant) in barred:
            raise ScoringError(f"judge {judge} is recused from {entrant}")
        for c in criteria:
            if c.id not in scores:
                raise ScoringError(f"sheet {judge}/{entrant} lacks criterion {c.id}")
            if not c.low <= scores[c.id] <= c.high:
                raise ScoringError(f"sheet {judge}/{entrant}: {c.id} out of range")


def totals(
    criteria: Sequence[Criterion], entrants: Sequence[Key], sheets: Sheets, rule: Rule
) -> dict[Key, EntrantResult]:
    """Each entrant's trimmed means, total and untrimmed total (ranks not yet set)."""
    by_entrant: dict[Key, list[Mapping[Key, Fraction]]] = {e: [] for e in entrants}
    for (_judge, entrant), scores in sheets.items():
        by_entrant[entrant].append(scores)
    results = {}
    for e in entrants:
        got = by_entrant[e]
        if not got:
            results[e] = EntrantResult(e, 0, None)
            continue
        means = {c.id: trimmed_mean([s[c.id] for s in got], rule) for c in criteria}
        plain = {c.id: sum((s[c.id] for s in got), Fraction(0)) / len(got) for c in criteria}
        results[e] = EntrantResult(
            e, len(got), _weighted(criteria, means), means, _weighted(criteria, plain)
        )
    return results


def _order_key(criteria: Sequence[Criterion], r: EntrantResult) -> tuple[Any, ...]:
    """Larger is better; the documented tie-break, field by field (rule 4)."""
    if r.total is None:
        return (0,)
    heaviest = sorted(range(len(criteria)), key=lambda i: (-criteria[i].weight, i))
    by_criterion = tuple(_normalised(criteria[i], r.means[criteria[i].id]) for i in heaviest)
    return (1, r.total, by_criterion, r.untrimmed)


def rank(criteria: Sequence[Criterion], results: Mapping[Key, EntrantResult]) -> dict[Key, int]:
    """Competition ranks (1, 2, 2, 4); an entrant nobody scored comes last."""
    keyed = sorted(results.values(), key=lambda r: _order_key(criteria, r), reverse=True)
    ranks: dict[Key, int] = {}
    previous: tuple[Any, ...] | None = None
    place = 0
    for position, r in enumerate(keyed, start=1):
        key = _order_key(criteria, r)
        if key != previous:
            place = position
            previous = key
        ranks[r.entrant] = place
    return ranks


@dataclass
class JudgeReport:
    judge: Key
    sheets: int
    z: dict[Key, float]  # entrant → the judge's z-score for it
    leniency: float | None  # mean (own sheet total − the other judges' mean) in points
    flagged: list[Key]  # entrants whose sheet is an outlier
    moves: dict[Key, tuple[int, int]]  # leave this judge out: entrant → (rank, rank without)


@dataclass
class Tabulation:
    results: dict[Key, EntrantResult]
    consensus_z: dict[Key, float]
    judges: dict[Key, JudgeReport]
    sheet_totals: dict[tuple[Key, Key], Fraction]
    deviations: dict[tuple[Key, Key], float]  # the sheet's z against the other judges
    missing: list[tuple[Key, Key]]  # (judge, entrant) neither scored nor recused

    @property
    def stable(self) -> bool:
        return not any(j.moves for j in self.judges.values())


def _z(values: Mapping[Key, float]) -> dict[Key, float]:
    if len(values) < 2:
        return dict.fromkeys(values, 0.0)
    mean = statistics.fmean(values.values())
    sd = statistics.pstdev(values.values())
    return {k: (v - mean) / sd if sd else 0.0 for k, v in values.items()}


def ranking(
    criteria: Sequence[Criterion], entrants: Sequence[Key], sheets: Sheets, rule: Rule
) -> dict[Key, EntrantResult]:
    results = totals(criteria, entrants, sheets, rule)
    for e, place in rank(criteria, results).items():
        results[e].rank = place
    return results


def tabulate(
    criteria: Sequence[Criterion],
    entrants: Sequence[Key],
    judges: Sequence[Key],
    sheets: Sheets,
    rule: Rule,
    recused: Iterable[tuple[Key, Key]] = (),
) -> Tabulation:
    barred = set(recused)
    validate(criteria, sheets, barred)
    results = ranking(criteria, entrants, sheets, rule)
    sheet_totals = {pair: sheet_total(criteria, s) for pair, s in sheets.items()}
    consensus_z = _z({e: float(r.total) for e, r in results.items() if r.total is not None})
    deviations: dict[tuple[Key, Key], float] = {}
    for (j, e), own in sheet_totals.items():
        others = [float(t) for (k, f), t in sheet_totals.items() if f == e and k != j]
        if len(others) < 2:
            continue
        sd = max(statistics.stdev(others), rule.sd_floor)
        deviations[(j, e)] = (float(own) - statistics.fmean(others)) / sd
    reports = {}
    for j in judges:
        mine = {e: float(t) for (k, e), t in sheet_totals.items() if k == j}
        gaps = []
        for e, t in mine.items():
            others = [float(u) for (k, f), u in sheet_totals.items() if f == e and k != j]
            if others:
                gaps.append(t - statistics.fmean(others))
        without = ranking(criteria, entrants, {p: s for p, s in sheets.items() if p[0] != j}, rule)
        moves = {
            e: (results[e].rank, without[e].rank)
            for e in entrants
            if results[e].rank != without[e].rank
        }
        reports[j] = JudgeReport(
            judge=j,
            sheets=len(mine),
            z=_z(mine),
            leniency=statistics.fmean(gaps) if gaps else None,
            flagged=[e for (k, e), d in deviations.items() if k == j and abs(d) > rule.deviation_z],
            moves=moves,
        )
    missing = [
        (j, e) for j in judges for e in entrants if (j, e) not in sheets and (j, e) not in barred
    ]
    return Tabulation(results, consensus_z, reports, sheet_totals, deviations, missing)


def influence(
    criteria: Sequence[Criterion],
    entrants: Sequence[Key],
    sheets: Sheets,
    rule: Rule,
    judge: Key,
    entrant: Key,
) -> tuple[Fraction, Fraction]:
    """The lowest and highest total ``entrant`` can get whatever ``judge`` writes on its sheet
    (the judge scoring it at every criterion's low, then high end); the other sheets stay."""
    ends = []
    for end in ("low", "high"):
        changed = dict(sheets)
        changed[(judge, entrant)] = {c.id: getattr(c, end) for c in criteria}
        total = totals(
            criteria, [entrant], {p: s for p, s in changed.items() if p[1] == entrant}, rule
        )[entrant].total
        assert total is not None
        ends.append(total)
    return ends[0], ends[1]


def as_float(value: Fraction | None, digits: int = 4) -> float | None:
    """A fraction for storage and display, rounded half-even; never used to rank."""
    if value is None:
        return None
    rounded = round(float(value), digits)
    return 0.0 if math.copysign(1, rounded) < 0 and rounded == 0 else rounded
