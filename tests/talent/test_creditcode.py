"""Unified social credit codes (GB 32100-2015) for any code rather than a handful: a code with
the right check character passes, and every single-character change is refused with the
position of a wrong character. The check character is computed here from the standard's
formula (weights 3^(i-1) mod 31), not with the code under test."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridlight.talent.creditcode import AUTHORITIES, InvalidCreditCode, validate

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _check(first17: str) -> str:
    total = sum(CHARSET.index(c) * 3**i for i, c in enumerate(first17))
    return CHARSET[-total % 31]


@st.composite
def valid_codes(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from(sorted(AUTHORITIES)))
    kind = draw(st.sampled_from(AUTHORITIES[authority]))
    division = draw(st.integers(min_value=0, max_value=999_999).map(lambda n: f"{n:06d}"))
    org = draw(st.text(alphabet=CHARSET, min_size=9, max_size=9))
    first17 = authority + kind + division + org
    return first17 + _check(first17)


def _refused(code: str) -> InvalidCreditCode:
    with pytest.raises(InvalidCreditCode) as caught:
        validate(code)
    return caught.value


def test_a_real_code_passes() -> None:
    assert validate("91350100M000100Y43") == "91350100M000100Y43"
    assert validate(" 9135 0100-m000100y43 ") == "91350100M000100Y43"
    assert validate("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


@given(valid_codes())
def test_every_code_with_its_check_character_passes(code: str) -> None:
    assert validate(code) == code
    assert validate(code.lower()) == code


@given(valid_codes(), st.integers(min_value=0, max_value=17), st.sampled_from(CHARSET + "IOZSV*"))
def test_every_single_character_change_is_refused_at_a_position(
    code: str, index: int, char: str
) -> None:
    if code[index] == char:
        return
    changed = code[:index] + char + code[index + 1 :]
    error = _refused(changed)
    # The error names the changed character, or (when the changed one is still well-formed)
    # the check character, whose mismatch every single change causes. The kind (2) is read
    # against the authority (1): a new authority may make the kind the one that does not fit.
    allowed = {index + 1, 18} | ({2} if index == 0 else set())
    assert error.position in allowed
    assert f"{error.position}" in error.message


@given(valid_codes(), st.integers(min_value=0, max_value=15))
def test_swapping_two_neighbours_is_refused_unless_they_are_equal(code: str, index: int) -> None:
    a, b = code[index], code[index + 1]
    if a == b:
        return
    swapped = code[:index] + b + a + code[index + 2 :]
    _refused(swapped)


@pytest.mark.parametrize(
    ("code", "rule", "position"),
    [
        ("", "empty", 0),
        ("91350100M000100Y4", "length", 0),
        ("91350100M00O100Y43", "characters", 12),
        ("B1350100M000100Y43", "authority", 1),
        ("94350100M000100Y43", "kind", 2),
        ("913501A0M000100Y43", "division", 7),
        ("91350100M000100Y44", "check", 18),
    ],
)
def test_each_rule_names_its_position(code: str, rule: str, position: int) -> None:
    error = _refused(code)
    assert (error.code, error.position) == (rule, position)


def test_the_message_is_chinese_by_default() -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        error = _refused("91350100M00O100Y43")
    assert "第12位" in error.message
