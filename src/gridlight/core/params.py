"""Values typed into URLs and forms, read without surprises: a record id is ASCII digits that
fit a 64-bit key (``"²".isdigit()`` is true, and ``int("²")`` fails; twenty digits overflow the
database's integer), anything else is no id at all."""

from __future__ import annotations

from typing import Any

MAX_ID = 2**63 - 1


def parse_id(raw: Any) -> int | None:
    """The record id in ``raw`` (surrounding blanks allowed), or None."""
    text = str(raw).strip() if raw is not None else ""
    if not (text and len(text) <= 19 and text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= MAX_ID else None
