"""What recusal and trimming guarantee about one judge, for any panel (hypothesis).

Judge J is recused from their own street S. Whatever J writes on the sheets of the other entrants:
(1) S's total does not change (J has no sheet for S); (2) each other entrant E's total stays
inside the interval between J scoring E lowest and highest everywhere, and with trimming that
interval is at most the other judges' spread ÷ (judges − 2) per criterion; (3) so S's rank moves
only past an entrant whose interval contains S's total — J cannot move S past anyone else.
"""

from __future__ import annotations

from fractions import Fraction as F

from hypothesis import given, settings
from hypothesis import strategies as st

from gridlight.evaluation.scoring import Criterion, Rule, influence, ranking

RULE = Rule()
HIGH = 10


@st.composite
def panels(draw: st.DrawFn) -> tuple:
    n_criteria = draw(st.integers(1, 3))
    criteria = [
        Criterion(f"c{i}", F(draw(st.integers(1, 60))), F(0), F(HIGH)) for i in range(n_criteria)
    ]
    entrants = [f"E{i}" for i in range(draw(st.integers(2, 6)))]
    judges = [f"J{i}" for i in range(draw(st.integers(3, 8)))]
    score = st.integers(0, HIGH).map(F)
    sheet = st.fixed_dictionaries({c.id: score for c in criteria})
    others = {(j, e): draw(sheet) for j in judges[1:] for e in entrants}
    own = entrants[0]  # J0's street: recused, no sheet
    honest = {("J0", e): draw(sheet) for e in entrants[1:]}
    rogue = {("J0", e): draw(sheet) for e in entrants[1:]}
    return criteria, entrants, judges, others, own, honest, rogue


def _beats(a: tuple, b: tuple) -> bool:
    return a > b


@settings(max_examples=300, deadline=None)
@given(panels())
def test_one_judge_cannot_move_their_own_street_except_past_a_rival_within_reach(panel) -> None:
    criteria, entrants, judges, others, own, honest, rogue = panel
    a = ranking(criteria, entrants, others | honest, RULE)
    b = ranking(criteria, entrants, others | rogue, RULE)
    # (1) recusal: the own street's total is J's to touch in no way.
    assert a[own].total == b[own].total
    s_total = a[own].total
    assert s_total is not None
    reach: set[str] = set()
    weights = sum(c.weight for c in criteria)
    for e in entrants[1:]:
        low, high = influence(criteria, entrants, others | honest, RULE, "J0", e)
        # (2) the interval holds both outcomes, and trimming bounds its width.
        assert low <= a[e].total <= high  # type: ignore[operator]
        assert low <= b[e].total <= high  # type: ignore[operator]
        n = a[e].judges
        if n >= RULE.trim_min:
            bound = sum(
                c.weight
                * (
                    max(others[(j, e)][c.id] for j in judges[1:])
                    - min(others[(j, e)][c.id] for j in judges[1:])
                )
                / (HIGH * (n - 2))
                for c in criteria
            )
            assert high - low <= 100 * bound / weights
        if low <= s_total <= high:
            reach.add(e)
    # (3) every entrant that changed sides with S was within J's reach.
    for e in entrants[1:]:
        ahead_a = a[e].rank < a[own].rank
        ahead_b = b[e].rank < b[own].rank
        if ahead_a != ahead_b:
            assert e in reach
    if not reach:
        assert a[own].rank == b[own].rank
