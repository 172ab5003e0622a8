"""Unified social credit codes (统一社会信用代码, GB 32100-2015): normalise, validate, generate.

Eighteen characters from a 31-character set (the digits and the capital letters without I, O,
Z, S and V, which are too easily misread): the registration authority (1), the kind of
organisation it registers (1), the administrative division (6 digits), the organisation code
(9, GB 11714) and a check character over the first seventeen::

    C18 = CHARSET[(31 - sum(value(Ci) * 3^(i-1) mod 31) mod 31) mod 31]

A bad code is refused with the position of the first character that is wrong, so the person
who typed it can look at that one character. Pure: no database, no Django models.
"""

from __future__ import annotations

import random
import unicodedata
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {c: i for i, c in enumerate(CHARSET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, …
LENGTH = 18

# Registration authority (position 1) → the kinds of organisation it registers (position 2),
# GB 32100-2015 table 1 with the later additions (A military, N agriculture).
AUTHORITIES: dict[str, str] = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 群众团体, 其他
    "2": "19",  # 外交
    "3": "123459",  # 司法行政: 律师事务所, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会
    "4": "19",  # 文化
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "19",  # 工会
    "9": "123",  # 工商 (市场监管): 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室
    "N": "1239",  # 农业: 组级、村级、乡镇级集体经济组织
    "Y": "1",  # 其他
}


class InvalidCreditCode(ValueError):
    """A code that fails validation. ``message`` says what is wrong in the active language and
    ``position`` (1-18, or 0 for the whole code) where; ``code`` names the failed rule
    ("empty", "length", "characters", "authority", "kind", "division", "check")."""

    def __init__(self, message: str, code: str, position: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.position = position


def normalise_code(raw: str) -> str:
    """``raw`` as the code is written: NFKC (full-width letters and digits folded), spaces and
    hyphens removed, upper case. Does not validate."""
    text = raw if raw.isascii() else unicodedata.normalize("NFKC", raw)
    return "".join(text.split()).replace("-", "").upper()


def check_char(first17: str) -> str:
    """The check character for the first seventeen characters (all from :data:`CHARSET`).
    Raises ValueError otherwise."""
    if len(first17) != LENGTH - 1 or any(c not in VALUES for c in first17):
        raise ValueError("check_char needs 17 characters of the code's character set")
    total = sum(VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def validate(raw: str) -> str:
    """Normalise and validate a code; return it in canonical spelling. Raises
    :class:`InvalidCreditCode` naming the first rule broken, checked in this order: empty,
    length, characters, registration authority, kind of organisation, division, check
    character."""
    code = normalise_code(raw)
    if not code:
        raise InvalidCreditCode(str(_("The unified social credit code is empty.")), "empty")
    if len(code) != LENGTH:
        raise InvalidCreditCode(
            str(
                _("The unified social credit code has %(length)d characters; it should have 18.")
                % {"length": len(code)}
            ),
            "length",
        )
    for position, char in enumerate(code, start=1):
        if char not in VALUES:
            raise _bad(
                _(
                    "Character %(position)d of the unified social credit code, “%(char)s”, is "
                    "not allowed: only digits and capital letters other than I, O, Z, S and V."
                ),
                position,
                char,
                "characters",
            )
    kinds = AUTHORITIES.get(code[0])
    if kinds is None:
        raise _bad(
            _(
                "Character %(position)d of the unified social credit code, “%(char)s”, is not a "
                "registration authority (1-9, A, N or Y)."
            ),
            1,
            code[0],
            "authority",
        )
    if code[1] not in kinds:
        raise _bad(
            _(
                "Character %(position)d of the unified social credit code, “%(char)s”, is not "
                "a kind of organisation that authority registers (it takes %(allowed)s)."
            ),
            2,
            code[1],
            "kind",
            allowed="、".join(kinds),
        )
    for position in range(3, 9):
        if not code[position - 1].isdigit():
            raise _bad(
                _(
                    "Character %(position)d of the unified social credit code, “%(char)s”, "
                    "should be a digit: characters 3 to 8 are the administrative division."
                ),
                position,
                code[position - 1],
                "division",
            )
    expected = check_char(code[:17])
    if code[17] != expected:
        raise _bad(
            _(
                "Character %(position)d of the unified social credit code, the check character, "
                "should be %(expected)s, not “%(char)s”: one of the characters is mistyped."
            ),
            18,
            code[17],
            "check",
            expected=expected,
        )
    return code


def _bad(
    message: StrPromise, position: int, char: str, code: str, **more: str
) -> InvalidCreditCode:
    shown = char if char.isprintable() else f"U+{ord(char):04X}"
    text = str(message % {"position": position, "char": shown, **more})
    return InvalidCreditCode(text, code, position)


def synthetic_code(rng: random.Random, *, division: str = "370103", authority: str = "9") -> str:
    """A valid code for demo and test data: an enterprise (kind 1) of ``authority`` registered
    in ``division`` with a random organisation code."""
    if len(division) != 6 or not division.isdigit():
        raise ValueError("division must be six digits")
    body = authority + AUTHORITIES[authority][0] + division
    # The organisation code (positions 9–17): eight digits and their GB 11714 check character.
    digits = f"{rng.randint(10_000_000, 99_999_999)}"
    check = 11 - sum(int(c) * w for c, w in zip(digits, _ORG_WEIGHTS, strict=True)) % 11
    body += digits + ("X" if check == 10 else "0" if check == 11 else str(check))
    return body + check_char(body)


_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
