"""Chinese resident identity card numbers (GB 11643-1999): normalise, validate, parse, generate.

An 18-character number is six digits of region code, eight of birth date (YYYYMMDD), three of
sequence (the last of them odd for men, even for women) and a check character computed over the
first seventeen (ISO 7064 MOD 11-2, where 10 is written X). Old 15-digit numbers drop the century
("19") and the check character; parse_id converts them to the 18-character form.

parse_id runs once per row in spreadsheet imports of whole districts, so the hot path avoids
regular expressions and strptime: plain string tests, int slicing and one date() constructor.
"""

from __future__ import annotations

import random
import time
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from datetime import time as dtime
from operator import mul
from typing import TYPE_CHECKING, Literal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# check_digit sums the ASCII codes rather than the digits (no int() per character); this is the
# surplus the 48s of "0" contribute, taken off again before the modulus.
_ASCII_ZERO_SURPLUS = ord("0") * sum(WEIGHTS)
EARLIEST_BIRTH_YEAR = 1900

Sex = Literal["M", "F"]


class InvalidIdNumber(ValueError):
    """An ID card number that fails validation.

    ``message`` says what is wrong in the active language, fit to show the person who typed the
    number; ``code`` names the failed rule for programs ("empty", "length", "characters",
    "birth_date", "birth_date_future", "birth_date_too_early", "check_digit").
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True, slots=True)
class IdInfo:
    """What a valid ID card number states about its holder."""

    number: str  # canonical 18 characters, trailing X upper-case
    birth_date: date
    sex: Sex
    region_code: str  # first six digits: the county-level region that issued the number

    def age_on(self, day: date) -> int:
        """Whole years of age on ``day`` (周岁). Someone born on 29 February turns a year older
        on 1 March in common years. Raises ValueError for a day before the birth date."""
        if day < self.birth_date:
            raise ValueError(f"{day.isoformat()} is before the birth date")
        return age_on(self.birth_date, day)


def age_on(born: date, day: date) -> int:
    """Whole years of age (周岁) on ``day`` of someone born on ``born`` (negative before it)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def normalise_id(raw: str) -> str:
    """Return ``raw`` in canonical spelling: NFKC (so full-width digits and letters become
    ASCII), with whitespace and hyphens removed and a trailing lower-case x upper-cased.
    Does not validate."""
    # NFKC is the costly step; numbers typed in ASCII (nearly all of them) skip it.
    text = raw if raw.isascii() else unicodedata.normalize("NFKC", raw)
    text = "".join(text.split()).replace("-", "")
    if text.endswith("x"):
        text = text[:-1] + "X"
    return text


def check_digit(first17: str) -> str:
    """Return the check character ("0"-"9" or "X") for the first seventeen digits of a number.
    Raises ValueError unless ``first17`` is exactly seventeen ASCII digits."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("check_digit needs exactly 17 ASCII digits")
    return _check_char(first17)


def _check_char(first17: str) -> str:
    # Callers have checked for 17 ASCII digits.
    total = sum(map(mul, first17.encode("ascii"), WEIGHTS)) - _ASCII_ZERO_SURPLUS
    return CHECK_CHARS[total % 11]


def parse_id(raw: str, *, today: date | None = None) -> IdInfo:
    """Normalise and validate an ID card number and return what it states.

    Accepts the 18-character form and the legacy 15-digit form (converted to 18 characters).
    ``today`` (default: today in the district's time zone) bounds the birth date; bulk callers may
    pass it once. Raises InvalidIdNumber with a message naming the first rule the number breaks,
    checked in this order: empty, length, characters, birth date, check character.
    """
    number = normalise_id(raw)
    length = len(number)
    if length == 18:
        body = number[:17]
        last = number[17]
        if not (body.isascii() and body.isdigit() and (last == "X" or "0" <= last <= "9")):
            raise _bad_characters(number)
    elif length == 15:
        if not (number.isascii() and number.isdigit()):
            raise _bad_characters(number)
        body = number[:6] + "19" + number[6:]
        last = ""
    elif length == 0:
        raise InvalidIdNumber(str(_("The ID card number is empty.")), "empty")
    else:
        raise InvalidIdNumber(
            str(
                _(
                    "The ID card number has %(length)d characters; it should have 18 "
                    "(or 15 for an old-style number)."
                )
                % {"length": length}
            ),
            "length",
        )

    year = int(body[6:10])
    if year < EARLIEST_BIRTH_YEAR:
        raise _bad_birth_date(
            _("The birth date in the ID card number, %(date)s, is before 1900."),
            body,
            "birth_date_too_early",
        )
    try:
        born = date(year, int(body[10:12]), int(body[12:14]))
    except ValueError:
        raise _bad_birth_date(
            _("The birth date in the ID card number, %(date)s, does not exist."), body, "birth_date"
        ) from None
    if born > (today if today is not None else _local_today()):
        raise _bad_birth_date(
            _("The birth date in the ID card number, %(date)s, is in the future."),
            body,
            "birth_date_future",
        )

    expected = _check_char(body)
    if last and last != expected:
        raise InvalidIdNumber(
            str(
                _(
                    "The last character should be %(expected)s, not %(found)s; check the number "
                    "for a typing error."
                )
                % {"expected": expected, "found": last}
            ),
            "check_digit",
        )
    return IdInfo(
        number=body + expected,
        birth_date=born,
        sex="M" if body[16] in "13579" else "F",
        region_code=body[:6],
    )


def synthetic_id(rng: random.Random, *, region_code: str, birth_date: date, sex: str) -> str:
    """Return a valid 18-character number for demo and test data: the given region, birth date
    and sex ("M" or "F"), random sequence digits. Raises ValueError on a malformed argument."""
    if len(region_code) != 6 or not (region_code.isascii() and region_code.isdigit()):
        raise ValueError("region_code must be six ASCII digits")
    if sex not in ("M", "F"):
        raise ValueError('sex must be "M" or "F"')
    if birth_date.year < EARLIEST_BIRTH_YEAR:
        raise ValueError("birth_date must not be before 1900")
    # The 17th digit carries the sex: odd for men, even for women.
    sequence = rng.randrange(100) * 10 + rng.randrange(0, 10, 2) + (sex == "M")
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + _check_char(first17)


def _bad_birth_date(message: StrPromise, body: str, code: str) -> InvalidIdNumber:
    shown = f"{body[6:10]}-{body[10:12]}-{body[12:14]}"
    return InvalidIdNumber(str(message % {"date": shown}), code)


def _bad_characters(number: str) -> InvalidIdNumber:
    position, char = next(
        (i, c)
        for i, c in enumerate(number, start=1)
        if not ("0" <= c <= "9" or (c == "X" and i == 18))
    )
    # An invisible character (zero-width space, say) is named by its code point instead.
    shown = char if char.isprintable() else f"U+{ord(char):04X}"
    return InvalidIdNumber(
        str(
            _(
                "The ID card number has “%(char)s” at position %(position)d; only digits are "
                "allowed, and X only as the last of 18 characters."
            )
            % {"char": shown, "position": position}
        ),
        "characters",
    )


# (local midnight ending the day as a Unix timestamp, that day, the zone it was computed in)
_today_cache: tuple[float, date, tzinfo] | None = None


def _local_today() -> date:
    """Today in the configured time zone (settings.TIME_ZONE, the district's own).

    timezone.localdate() costs microseconds, which adds up to seconds over a district-wide import,
    so the answer is kept until the next local midnight."""
    global _today_cache
    now = time.time()
    zone = timezone.get_default_timezone()
    cached = _today_cache
    if cached is not None and now < cached[0] and cached[2] is zone:
        return cached[1]
    today = datetime.fromtimestamp(now, zone).date()
    midnight = datetime.combine(today + timedelta(days=1), dtime.min, tzinfo=zone)
    _today_cache = (midnight.timestamp(), today, zone)
    return today
