"""ID card numbers (GB 11643-1999): check character, parsing, messages, legacy numbers, synthesis.

Every number here is synthetic: built from a made-up region, date and sequence with check_digit,
or from synthetic_id.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.utils import timezone, translation
from pytest_django.fixtures import Settings

from gridlight.core import idcard
from gridlight.core.idcard import (
    IdInfo,
    InvalidIdNumber,
    check_digit,
    normalise_id,
    parse_id,
    synthetic_id,
)

TODAY = date(2025, 6, 15)
FULL_WIDTH = str.maketrans("0123456789xX", "０１２３４５６７８９ｘＸ")


def _reference_check(first17: str) -> str:
    # Written out longhand from the standard, independently of the module's byte-sum shortcut.
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    remainder = sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11
    return "10X98765432"[remainder]


def _valid(first17: str) -> str:
    return first17 + check_digit(first17)


def _first17_with_check(char: str, prefix: str = "37010319900101") -> str:
    """The first sequence under ``prefix`` whose check character is ``char``."""
    return next(
        f"{prefix}{seq:03d}" for seq in range(1000) if check_digit(f"{prefix}{seq:03d}") == char
    )


def _error(raw: str, today: date = TODAY) -> InvalidIdNumber:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id(raw, today=today)
    return caught.value


# --- check character ---------------------------------------------------------------------------


def test_weights_are_the_standard_ones() -> None:
    assert idcard.WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def test_check_digit_agrees_with_the_longhand_formula() -> None:
    rng = random.Random(11643)
    for _ in range(3000):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        assert check_digit(first17) == _reference_check(first17)


def test_check_digit_covers_all_eleven_characters() -> None:
    seen = {check_digit(f"37010319900101{seq:03d}") for seq in range(1000)}
    assert seen == set("0123456789X")


@pytest.mark.parametrize("bad", ["", "3701031990010112", "370103199001011234", "3701031990010112A"])
def test_check_digit_rejects_anything_but_17_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="17 ASCII digits"):
        check_digit(bad)


# --- normalisation -----------------------------------------------------------------------------


def test_normalise_id_folds_full_width_strips_separators_and_upper_cases_x() -> None:
    assert normalise_id("３７０１０３ １９９０-０１０１\u3000１２３ｘ") == "370103199001011" + "23X"
    assert normalise_id(" 370103-19900101-123x ") == "37010319900101123X"


def test_normalise_id_upper_cases_only_a_trailing_x() -> None:
    assert normalise_id("x370103") == "x370103"


# --- valid numbers -----------------------------------------------------------------------------


def test_parse_valid_number() -> None:
    number = _valid("37010319900101123")
    info = parse_id(number, today=TODAY)
    assert info == IdInfo(number=number, birth_date=date(1990, 1, 1), sex="M", region_code="370103")


def test_even_seventeenth_digit_is_female() -> None:
    info = parse_id(_valid("37010319851231004"), today=TODAY)
    assert info.sex == "F"
    assert info.birth_date == date(1985, 12, 31)


def test_check_character_x_in_either_case() -> None:
    number = _first17_with_check("X") + "X"
    assert parse_id(number, today=TODAY).number == number
    assert parse_id(number.lower(), today=TODAY).number == number


def test_full_width_number_with_spaces_and_hyphens() -> None:
    number = _first17_with_check("X") + "X"
    typed = f"{number[:6]}\u3000{number[6:14]}－{number[14:].lower()}".translate(FULL_WIDTH)
    assert typed.isascii() is False
    assert parse_id(typed, today=TODAY).number == number


def test_born_today_is_valid_and_aged_zero() -> None:
    info = parse_id(_valid(f"370103{TODAY:%Y%m%d}001"), today=TODAY)
    assert info.birth_date == TODAY
    assert info.age_on(TODAY) == 0


def test_earliest_birth_date_is_1900() -> None:
    assert parse_id(_valid("37010319000101002"), today=TODAY).birth_date == date(1900, 1, 1)


def test_leap_day_birth_date() -> None:
    assert parse_id(_valid("37010320000229002"), today=TODAY).birth_date == date(2000, 2, 29)


def test_legacy_15_digit_number_becomes_18_characters() -> None:
    info = parse_id("370103900101123", today=TODAY)
    assert info.number == _valid("37010319900101123")
    assert len(info.number) == 18
    assert info.birth_date == date(1990, 1, 1)
    assert info.sex == "M"
    assert info.region_code == "370103"


def test_legacy_number_with_even_last_digit_is_female() -> None:
    assert parse_id("370103851231004", today=TODAY).sex == "F"


# --- age ---------------------------------------------------------------------------------------


def test_age_on_counts_whole_years() -> None:
    info = parse_id(_valid("37010319900615123"), today=TODAY)
    assert info.age_on(date(2025, 6, 14)) == 34
    assert info.age_on(date(2025, 6, 15)) == 35
    assert info.age_on(date(2025, 12, 31)) == 35
    assert info.age_on(date(1990, 6, 15)) == 0


def test_leap_day_birthday_counts_from_first_of_march_in_common_years() -> None:
    info = parse_id(_valid("37010320000229002"), today=TODAY)
    assert info.age_on(date(2001, 2, 28)) == 0
    assert info.age_on(date(2001, 3, 1)) == 1
    assert info.age_on(date(2004, 2, 29)) == 4


def test_age_on_a_day_before_birth_is_an_error() -> None:
    info = parse_id(_valid("37010319900615123"), today=TODAY)
    with pytest.raises(ValueError, match="before the birth date"):
        info.age_on(date(1990, 6, 14))


# --- invalid numbers, each with its message ----------------------------------------------------


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize("raw", ["", "   ", " - - ", "\u3000"])
def test_empty(raw: str) -> None:
    error = _error(raw)
    assert error.code == "empty"
    assert error.message == "The ID card number is empty."


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize("length", [1, 14, 16, 17, 19, 30])
def test_wrong_length_says_how_many_characters(length: int) -> None:
    error = _error("3" * length)
    assert error.code == "length"
    assert error.message == (
        f"The ID card number has {length} characters; it should have 18 "
        "(or 15 for an old-style number)."
    )


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    ("raw", "char", "position"),
    [
        ("37010319900101123A", "A", 18),
        ("3701031990O101123X", "O", 11),
        ("370103199001011X3X", "X", 16),
        ("37010390010112X", "X", 15),
        ("3701039001011.3", ".", 14),
        ("370103\u200b19900101123", "U+200B", 7),
        ("370103199001011٢3X", "٢", 16),
    ],
)
def test_non_digit_characters_are_named_with_their_position(
    raw: str, char: str, position: int
) -> None:
    error = _error(raw)
    assert error.code == "characters"
    assert error.message == (
        f"The ID card number has “{char}” at position {position}; only digits are allowed, "
        "and X only as the last of 18 characters."
    )


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    ("birth", "shown"),
    [
        ("19990230", "1999-02-30"),
        ("19900229", "1990-02-29"),
        ("19901301", "1990-13-01"),
        ("19900001", "1990-00-01"),
        ("19900100", "1990-01-00"),
        ("19900431", "1990-04-31"),
    ],
)
def test_impossible_birth_date(birth: str, shown: str) -> None:
    error = _error(_valid(f"370103{birth}123"))
    assert error.code == "birth_date"
    assert error.message == f"The birth date in the ID card number, {shown}, does not exist."


@pytest.mark.usefixtures("english")
def test_impossible_birth_date_in_a_legacy_number() -> None:
    error = _error("370103990230123")
    assert error.code == "birth_date"
    assert "1999-02-30" in error.message


@pytest.mark.usefixtures("english")
def test_birth_date_in_the_future() -> None:
    tomorrow = TODAY + timedelta(days=1)
    error = _error(_valid(f"370103{tomorrow:%Y%m%d}123"))
    assert error.code == "birth_date_future"
    assert error.message == "The birth date in the ID card number, 2025-06-16, is in the future."


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    ("birth", "shown"), [("18991231", "1899-12-31"), ("00000000", "0000-00-00")]
)
def test_birth_date_before_1900(birth: str, shown: str) -> None:
    error = _error(_valid(f"370103{birth}123"))
    assert error.code == "birth_date_too_early"
    assert error.message == f"The birth date in the ID card number, {shown}, is before 1900."


@pytest.mark.usefixtures("english")
def test_wrong_check_character_names_the_expected_one() -> None:
    error = _error(_first17_with_check("X") + "0")
    assert error.code == "check_digit"
    assert error.message == (
        "The last character should be X, not 0; check the number for a typing error."
    )


@pytest.mark.usefixtures("english")
def test_x_where_a_digit_belongs() -> None:
    first17 = _first17_with_check("7")
    error = _error(first17 + "X")
    assert error.message.startswith("The last character should be 7, not X;")


def test_single_digit_typos_are_all_caught() -> None:
    number = _valid("37010319900101123")
    for position in (0, 3, 5, 14, 15, 16):
        for digit in "0123456789":
            if digit == number[position]:
                continue
            typo = number[:position] + digit + number[position + 1 :]
            with pytest.raises(InvalidIdNumber) as caught:
                parse_id(typo, today=TODAY)
            assert caught.value.code == "check_digit"


def test_invalid_id_number_is_a_value_error_whose_str_is_the_message() -> None:
    error = _error("")
    assert isinstance(error, ValueError)
    assert str(error) == error.message


def test_message_follows_the_active_language() -> None:
    # The message is rendered when raised, in whatever language is active then.
    with translation.override("zh-hans"):
        assert isinstance(_error("").message, str)
    with translation.override("en"):
        assert _error("").message == "The ID card number is empty."


# --- today -------------------------------------------------------------------------------------


def test_default_today_is_the_district_date() -> None:
    assert idcard._local_today() == timezone.localdate()
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id(_valid(f"370103{tomorrow:%Y%m%d}123"))
    assert caught.value.code == "birth_date_future"


def test_default_today_follows_a_changed_time_zone(settings: Settings) -> None:
    # Kiritimati (UTC+14) and Pago Pago (UTC-11) are 25 hours apart: always different dates.
    settings.TIME_ZONE = "Pacific/Kiritimati"
    ahead = idcard._local_today()
    assert ahead == timezone.localdate()
    settings.TIME_ZONE = "Pacific/Pago_Pago"
    behind = idcard._local_today()
    assert behind == timezone.localdate()
    assert ahead - behind in (timedelta(days=1), timedelta(days=2))


# --- synthetic numbers -------------------------------------------------------------------------


def test_synthetic_numbers_always_parse_to_what_was_asked() -> None:
    rng = random.Random(20250615)
    first = date(1900, 1, 1)
    span = (TODAY - first).days
    for _ in range(5000):
        region = f"{rng.randrange(110000, 830000):06d}"
        born = first + timedelta(days=rng.randrange(span + 1))
        sex = rng.choice("MF")
        number = synthetic_id(rng, region_code=region, birth_date=born, sex=sex)
        info = parse_id(number, today=TODAY)
        assert info.number == number
        assert (info.region_code, info.birth_date, info.sex) == (region, born, sex)


def test_synthetic_numbers_are_reproducible_and_varied() -> None:
    def batch(seed: int) -> list[str]:
        rng = random.Random(seed)
        return [
            synthetic_id(rng, region_code="370103", birth_date=date(1990, 1, 1), sex="F")
            for _ in range(50)
        ]

    assert batch(1) == batch(1)
    assert len(set(batch(1))) > 30


@pytest.mark.parametrize(
    ("region", "born", "sex"),
    [
        ("37010", date(1990, 1, 1), "M"),
        ("37010A", date(1990, 1, 1), "M"),
        ("370103", date(1899, 12, 31), "M"),
        ("370103", date(1990, 1, 1), "male"),
        ("370103", date(1990, 1, 1), "m"),
    ],
)
def test_synthetic_id_rejects_bad_arguments(region: str, born: date, sex: str) -> None:
    with pytest.raises(ValueError, match="must"):
        synthetic_id(random.Random(0), region_code=region, birth_date=born, sex=sex)


def test_throughput_sanity_twenty_thousand_numbers() -> None:
    # Speed is measured in the benchmarks; this only runs the hot path at volume.
    rng = random.Random(720000)
    numbers = [
        synthetic_id(
            rng,
            region_code="370103",
            birth_date=date(1940, 1, 1) + timedelta(days=rng.randrange(30000)),
            sex=rng.choice("MF"),
        )
        for _ in range(20_000)
    ]
    parsed = [parse_id(n) for n in numbers]
    assert [p.number for p in parsed] == numbers
    assert {p.sex for p in parsed} == {"M", "F"}
