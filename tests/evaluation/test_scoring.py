"""The judging maths against sheets computed by hand (the numbers in the comments)."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from gridlight.evaluation.scoring import (
    Criterion,
    Rule,
    ScoringError,
    influence,
    rank,
    sheet_total,
    tabulate,
    totals,
    trimmed_mean,
)

C1 = Criterion("c1", F(60), F(0), F(10))
C2 = Criterion("c2", F(40), F(0), F(10))
CRITERIA = [C1, C2]
JUDGES = ["A", "B", "C", "D", "E"]


def _sheets(table: dict[str, dict[str, tuple[int, int]]]) -> dict:
    return {
        (j, e): {"c1": F(c1), "c2": F(c2)}
        for e, row in table.items()
        for j, (c1, c2) in row.items()
    }


# X: c1 9 8 7 10 6 → drop 6 and 10 → 8; c2 5 6 7 8 9 → 7; total 60×0.8 + 40×0.7 = 76.
# Y: c1 8 8 8 8 2 → 8; c2 10 9 9 9 1 → 9; total 48 + 36 = 84. Judge E marks Y down (16).
PANEL = _sheets(
    {
        "X": {"A": (9, 5), "B": (8, 6), "C": (7, 7), "D": (10, 8), "E": (6, 9)},
        "Y": {"A": (8, 10), "B": (8, 9), "C": (8, 9), "D": (8, 9), "E": (2, 1)},
    }
)


def test_trimmed_mean_drops_the_ends_only_from_five_judges() -> None:
    rule = Rule()
    assert trimmed_mean([F(6), F(7), F(8), F(9), F(10)], rule) == 8
    assert trimmed_mean([F(1), F(9), F(9), F(10)], rule) == F(29, 4)  # four: all count
    assert trimmed_mean([F(1), F(9), F(9), F(10)], Rule(trim_min=4)) == 9
    assert trimmed_mean([F(1), F(2), F(3), F(4), F(5), F(6), F(7)], Rule(trim=2)) == 4
    assert trimmed_mean([F(1), F(9), F(5)], Rule(trim=0, trim_min=0)) == 5


def test_totals_and_ranks_by_hand() -> None:
    result = tabulate(CRITERIA, ["X", "Y"], JUDGES, PANEL, Rule())
    x, y = result.results["X"], result.results["Y"]
    assert (x.means, x.total) == ({"c1": 8, "c2": 7}, 76)
    assert (y.means, y.total) == ({"c1": 8, "c2": 9}, 84)
    assert (y.rank, x.rank) == (1, 2)
    # Untrimmed, E's sheet would have put X first: Y's plain means are 6.8 and 7.6 → 71.2.
    assert y.untrimmed == F(712, 10)
    assert x.untrimmed == 76


def test_the_outlying_sheet_is_flagged_and_the_judges_z_scores_are_shown() -> None:
    result = tabulate(CRITERIA, ["X", "Y"], JUDGES, PANEL, Rule())
    # E's sheet for Y: 12 + 4 = 16; the others 88, 84, 84, 84: mean 85, sd 2 → z = −34.5.
    assert result.sheet_totals[("E", "Y")] == 16
    assert result.deviations[("E", "Y")] == pytest.approx(-34.5)
    assert result.judges["E"].flagged == ["Y"]
    assert result.judges["A"].flagged == []
    # E gave X 60×0.6 + 40×0.9 = 72 and Y 16: over two entrants the z-scores are ±1.
    assert result.judges["E"].z == {"X": pytest.approx(1.0), "Y": pytest.approx(-1.0)}
    # E's leniency: X 72 − mean(74, 72, 70, 92) = 72 − 77 = −5; Y 16 − 85 = −69 → −37.
    assert result.judges["E"].leniency == pytest.approx(-37.0)


def test_leave_one_judge_out_names_the_judge_whose_absence_changes_the_ranking() -> None:
    # Three judges, no trimming: K alone puts V ahead of W.
    sheets = _sheets(
        {
            "V": {"K": (10, 10), "L": (6, 6), "M": (6, 6)},  # 80.0 (K) · 60 · 60 → 73.33
            "W": {"K": (3, 3), "L": (8, 8), "M": (8, 8)},  # 30 · 80 · 80 → 63.33
        }
    )
    result = tabulate(CRITERIA, ["V", "W"], ["K", "L", "M"], sheets, Rule())
    assert result.results["V"].total == F(220, 3)
    assert result.results["V"].rank == 1
    assert result.judges["K"].moves == {"V": (1, 2), "W": (2, 1)}
    assert result.judges["L"].moves == {}
    assert not result.stable
    # With five judges, leaving out anyone but E drops trimming, and E's outlier then counts:
    # without A, Y's c1 is (8+8+8+2)/4 = 6.5 and c2 7 → 67 < X's 76.5. Leaving out E changes
    # nothing. The report shows how fragile a panel of exactly trim_min judges is.
    five = tabulate(CRITERIA, ["X", "Y"], JUDGES, PANEL, Rule())
    assert five.judges["E"].moves == {}
    assert five.judges["A"].moves == {"X": (2, 1), "Y": (1, 2)}
    six = dict(PANEL) | {("F", "X"): {"c1": F(8), "c2": F(7)}, ("F", "Y"): {"c1": F(8), "c2": F(9)}}
    assert tabulate(CRITERIA, ["X", "Y"], [*JUDGES, "F"], six, Rule()).stable


def test_ties_are_broken_by_the_heaviest_criterion_then_untrimmed_then_shared() -> None:
    judges = ["A", "B", "C"]
    # P: 60×1.0 + 40×0 = 60; Q: 60×0.5 + 40×0.75 = 60. Equal totals: c1 (heavier) decides.
    sheets = {(j, "P"): {"c1": F(10), "c2": F(0)} for j in judges}
    sheets |= {(j, "Q"): {"c1": F(5), "c2": F(15, 2)} for j in judges}
    # R and S identical: they share the rank, and the next is third, not second.
    sheets |= {(j, e): {"c1": F(4), "c2": F(4)} for j in judges for e in ("R", "S")}
    sheets |= {(j, "T"): {"c1": F(1), "c2": F(1)} for j in judges}
    results = totals(CRITERIA, ["S", "R", "Q", "P", "T"], sheets, Rule())
    assert results["P"].total == results["Q"].total == 60
    assert rank(CRITERIA, results) == {"P": 1, "Q": 2, "S": 3, "R": 3, "T": 5}


def test_equal_trimmed_means_fall_back_to_the_untrimmed_total() -> None:
    one = [Criterion("c", F(100), F(0), F(10))]
    judges = "ABCDE"
    r_scores, t_scores = (1, 5, 5, 5, 9), (0, 5, 5, 5, 9)  # both trim to 5; plain 5 and 4.8
    sheets = {(j, "R"): {"c": F(s)} for j, s in zip(judges, r_scores, strict=True)}
    sheets |= {(j, "T"): {"c": F(s)} for j, s in zip(judges, t_scores, strict=True)}
    results = totals(one, ["T", "R"], sheets, Rule())
    assert results["R"].total == results["T"].total == 50
    assert rank(one, results) == {"R": 1, "T": 2}


def test_a_recused_judge_has_no_sheet_and_a_missing_sheet_is_reported() -> None:
    sheets = dict(PANEL)
    with pytest.raises(ScoringError, match="recused"):
        tabulate(CRITERIA, ["X", "Y"], JUDGES, sheets, Rule(), recused=[("A", "X")])
    del sheets[("A", "X")]
    del sheets[("B", "Y")]
    result = tabulate(CRITERIA, ["X", "Y"], JUDGES, sheets, Rule(), recused=[("A", "X")])
    assert result.missing == [("B", "Y")]
    # X has four judges left: nothing dropped. c1 8 7 10 6 → 7.75; c2 6 7 8 9 → 7.5.
    assert result.results["X"].judges == 4
    assert result.results["X"].means == {"c1": F(31, 4), "c2": F(15, 2)}


def test_a_score_out_of_range_or_missing_is_refused() -> None:
    bad = dict(PANEL)
    bad[("A", "X")] = {"c1": F(11), "c2": F(5)}
    with pytest.raises(ScoringError, match="out of range"):
        tabulate(CRITERIA, ["X", "Y"], JUDGES, bad, Rule())
    bad[("A", "X")] = {"c1": F(5)}
    with pytest.raises(ScoringError, match="lacks"):
        tabulate(CRITERIA, ["X", "Y"], JUDGES, bad, Rule())


def test_an_entrant_nobody_scored_comes_last() -> None:
    result = tabulate(CRITERIA, ["X", "Y", "Z"], JUDGES, PANEL, Rule())
    assert result.results["Z"].total is None
    assert result.results["Z"].rank == 3


def test_influence_of_one_judge_is_the_others_spread_over_n_minus_two() -> None:
    # Y without E: c1 8 8 8 8, c2 10 9 9 9. E can move c1 not at all, c2 between
    # (9+9+9)/3 and (9+9+10)/3: the total between 84 and 84 + 40×(1/3)/10 = 85.33.
    low, high = influence(CRITERIA, ["X", "Y"], PANEL, Rule(), "E", "Y")
    assert (low, high) == (84, 84 + F(4, 3))
    assert sheet_total(CRITERIA, PANEL[("A", "Y")]) == 88
