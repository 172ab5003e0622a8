"""Showing amounts: integer fen as yuan with two decimals (no float on the way)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """``1234567`` fen → ``12,345.67``; None (not known yet) → ``—``."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}"
