"""Properties of GB 11643 ID card numbers, for any number rather than a handful of examples:
a valid number round-trips through parse_id and states its birth date and sex, and the check
character (ISO 7064 MOD 11-2) refuses every single-character typo and every swap of two
neighbouring digits. The check character is computed here from the standard's own formula
(weights 2^(17-i) mod 11), not with the code under test."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gridlight.core.idcard import InvalidIdNumber, parse_id

TODAY = date(2025, 6, 15)
CHARS = "0123456789X"


def _check(first17: str) -> str:
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    return "10X98765432"[total % 11]


region_codes = st.integers(min_value=0, max_value=999_999).map(lambda n: f"{n:06d}")
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}")


@st.composite
def valid_numbers(draw: st.DrawFn) -> tuple[str, str, date, str]:
    region, born, seq = draw(region_codes), draw(birth_dates), draw(sequences)
    first17 = f"{region}{born:%Y%m%d}{seq}"
    return first17 + _check(first17), region, born, seq


def _plausible(first17: str) -> bool:
    """Whether the birth date in ``first17`` is one parse_id accepts (1900 to TODAY)."""
    try:
        born = date(int(first17[6:10]), int(first17[10:12]), int(first17[12:14]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= TODAY


def _refused(number: str) -> InvalidIdNumber:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id(number, today=TODAY)
    return caught.value


@settings(max_examples=300, deadline=None)
@given(valid_numbers())
def test_a_valid_number_round_trips_and_states_its_birth_date_and_sex(
    case: tuple[str, str, date, str],
) -> None:
    number, region, born, seq = case
    info = parse_id(number, today=TODAY)
    assert info.number == number
    assert info.region_code == region
    assert info.birth_date == born
    assert info.sex == ("M" if int(seq[-1]) % 2 else "F")
    assert info.age_on(TODAY) >= 0
    # The same number as people type it: lower-case x, grouped with spaces or hyphens.
    typed = f"{number[:6]} {number[6:14]}-{number[14:]}".lower()
    assert parse_id(typed, today=TODAY) == info


@settings(max_examples=300, deadline=None)
@given(valid_numbers(), st.integers(min_value=0, max_value=17), st.sampled_from(CHARS))
def test_any_single_character_typo_is_refused(
    case: tuple[str, str, date, str], position: int, char: str
) -> None:
    number = case[0]
    assume(char != number[position] and (char != "X" or position == 17))
    typo = number[:position] + char + number[position + 1 :]
    error = _refused(typo)
    if _plausible(typo[:17]):
        # Nothing else is wrong with it: the check character alone catches the typo.
        assert error.code == "check_digit"
    else:
        assert error.code in {"birth_date", "birth_date_future", "birth_date_too_early"}


@settings(max_examples=200, deadline=None)
@given(valid_numbers(), st.integers(min_value=0, max_value=16))
def test_any_swap_of_two_neighbouring_digits_is_refused(
    case: tuple[str, str, date, str], position: int
) -> None:
    number = case[0]
    a, b = number[position], number[position + 1]
    assume(a != b and b != "X")
    swapped = number[:position] + b + a + number[position + 2 :]
    error = _refused(swapped)
    assert error.code == "check_digit" or not _plausible(swapped[:17])


@settings(max_examples=200, deadline=None)
@given(
    region_codes,
    st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)),
    sequences,
)
def test_a_legacy_15_digit_number_becomes_the_18_character_one(
    region: str, born: date, seq: str
) -> None:
    legacy = f"{region}{born:%y%m%d}{seq}"
    first17 = f"{region}{born:%Y%m%d}{seq}"
    info = parse_id(legacy, today=TODAY)
    assert info.number == first17 + _check(first17)
    assert (info.birth_date, info.region_code) == (born, region)
    assert info == parse_id(info.number, today=TODAY)
