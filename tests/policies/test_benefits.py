"""Benefit amounts in integer fen: kinds, rounding, limits, groups, cycles (pure, no database)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridlight.policies.benefits import (
    BenefitError,
    Offer,
    apply_limits,
    compute,
    find_cycle,
    order_by_dependency,
    parse_benefit,
    resolve_groups,
    round_fen,
)
from gridlight.rules.subjects import FieldSpec

FIELDS = {
    "level": FieldSpec("level", "string", "level", (("A", "A"), ("B", "B"), ("C", "C"))),
    "headcount": FieldSpec("headcount", "int", "headcount"),
    "revenue_yuan": FieldSpec("revenue_yuan", "int", "revenue"),
    "tags": FieldSpec("tags", "list_string", "tags"),
}
pytestmark = pytest.mark.usefixtures("english")
FEN = st.integers(min_value=0, max_value=10**12)


def test_fixed_amount() -> None:
    assert compute(parse_benefit({"fixed": 500000}, FIELDS), {}).fen == 500000


def test_table_by_level_and_unknown_level() -> None:
    b = parse_benefit({"table": {"field": "level", "rows": {"A": 30, "B": 20, "C": 0}}}, FIELDS)
    assert compute(b, {"level": "B"}).fen == 20
    unknown = compute(b, {"level": None})
    assert unknown.fen is None
    assert unknown.missing == {"level"}


def test_table_with_a_gap_is_refused() -> None:
    with pytest.raises(BenefitError) as exc:
        parse_benefit({"table": {"field": "level", "rows": {"A": 30, "C": 0}}}, FIELDS)
    assert any("gap" in p and "B" in p for p in exc.value.problems)


@pytest.mark.parametrize(
    "rows",
    [
        [{"from": 0, "to": 10, "amount": 1}, {"from": 11, "amount": 2}],  # gap 10..11
        [{"from": 0, "to": 10, "amount": 1}, {"from": 5, "amount": 2}],  # overlap
        [{"from": 1, "amount": 1}],  # does not start at 0
        [{"from": 0, "to": 10, "amount": 1}],  # not open-ended
    ],
)
def test_bands_with_a_gap_or_overlap_are_refused(rows: list[Any]) -> None:
    with pytest.raises(BenefitError):
        parse_benefit({"bands": {"field": "headcount", "rows": rows}}, FIELDS)


def test_bands_pick_the_band_holding_the_value() -> None:
    rows = [{"from": 0, "to": 50, "amount": 1}, {"from": 50, "amount": 2}]
    b = parse_benefit({"bands": {"field": "headcount", "rows": rows}}, FIELDS)
    assert [compute(b, {"headcount": n}).fen for n in (0, 49, 50, 10**6)] == [1, 1, 2, 2]


def test_formula_over_fields_and_another_benefit_in_exact_fractions() -> None:
    b = parse_benefit({"formula": "0.2 * benefit.city + revenue_yuan * 100 / 3"}, FIELDS)
    assert b.depends_on == {"city"}
    assert b.fields_used == {"revenue_yuan"}
    # 0.2 * 5 + 1 * 100 / 3 = 1 + 33.33… → 34 fen; never a float on the way.
    assert compute(b, {"revenue_yuan": 1}, {"city": 5}).fen == 34
    top_up = parse_benefit({"formula": "0.2 * benefit.city"}, FIELDS)
    assert compute(top_up, {}, {"city": 300_000_00}).fen == 60_000_00


def test_formula_with_a_missing_input_is_unknown_not_zero() -> None:
    b = parse_benefit({"formula": "0.2 * benefit.city"}, FIELDS)
    amount = compute(b, {}, {"city": None})
    assert amount.fen is None
    assert amount.missing == {"benefit.city"}
    field = parse_benefit({"formula": "headcount * 100"}, FIELDS)
    assert compute(field, {"headcount": None}).missing == {"headcount"}


@pytest.mark.parametrize(
    ("formula", "word"),
    [
        ("salary * 2", "salary"),  # unknown field
        ("level * 2", "level"),  # a text field is no number
        ("__import__('os')", "only"),
        ("headcount ** 2", "only"),
        ("1 +", "cannot be read"),
    ],
)
def test_bad_formulas_are_refused_with_the_reason(formula: str, word: str) -> None:
    with pytest.raises(BenefitError) as exc:
        parse_benefit({"formula": formula}, FIELDS)
    assert word in " ".join(exc.value.problems)


def test_rounding_is_half_away_from_zero() -> None:
    assert [round_fen(Fraction(n, 2)) for n in (1, 3, 5, -1)] == [1, 2, 3, -1]


def test_cap_below_floor_is_refused() -> None:
    with pytest.raises(BenefitError) as exc:
        parse_benefit({"fixed": 10, "cap": 5, "floor": 8}, FIELDS)
    assert "below the floor" in exc.value.problems[0]


def test_cap_lowers_and_floor_raises() -> None:
    b = parse_benefit({"formula": "headcount", "cap": 100, "floor": 10}, FIELDS)
    assert [compute(b, {"headcount": n}).fen for n in (5, 50, 500)] == [10, 50, 100]


def test_cap_does_not_raise_an_amount_openspp_728() -> None:
    """OpenSPP #728 applied the cap as a maximum of amount and cap: everyone got the cap."""
    b = parse_benefit({"fixed": 1000, "cap": 5000}, FIELDS)
    assert compute(b, {}).fen == 1000


@given(amount=FEN, cap=FEN)
def test_a_cap_never_raises_an_amount(amount: int, cap: int) -> None:
    assert apply_limits(amount, cap=cap, floor=None) <= amount
    assert apply_limits(amount, cap=cap, floor=None) <= cap


@given(amount=FEN, low=FEN, span=FEN)
def test_limits_keep_the_amount_between_floor_and_cap(amount: int, low: int, span: int) -> None:
    cap = low + span
    limited = apply_limits(amount, cap=cap, floor=low)
    assert low <= limited <= cap
    assert limited <= max(amount, low)  # the cap only ever lowers
    if low <= amount <= cap:
        assert limited == amount


def test_exclusive_group_keeps_only_the_highest() -> None:
    offers = resolve_groups(
        [Offer("a", "g", 100), Offer("b", "g", 300), Offer("c", "", 50), Offer("d", "g", None)]
    )
    by = {o.code: o.superseded_by for o in offers}
    assert by == {"a": "b", "b": "", "c": "", "d": ""}


def test_cycles_are_found_and_order_follows_dependencies() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    order = order_by_dependency({"topup": {"city"}, "city": set()})
    assert order.index("city") < order.index("topup")
