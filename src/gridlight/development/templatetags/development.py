"""Display helpers for the development pages: money and figures as people read them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def yi(fen: Any) -> str:
    """Integer fen as 亿元 (100 million yuan) with two decimals."""
    if fen is None:
        return "—"
    value = Decimal(int(fen)) / Decimal(10_000_000_000)
    return f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


@register.filter
def wan(fen: Any) -> str:
    """Integer fen as 万元 (10,000 yuan) with two decimals."""
    if fen is None:
        return "—"
    value = Decimal(int(fen)) / Decimal(1_000_000)
    return f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


@register.filter
def figure(value: Any, places: int = 2) -> str:
    """A computed figure (a Fraction or Decimal) rounded for show; missing shows as "—"."""
    if value is None:
        return "—"
    exact = (
        Decimal(value.numerator) / Decimal(value.denominator)
        if hasattr(value, "denominator")
        else Decimal(value)
    )
    return f"{exact.quantize(Decimal(1).scaleb(-int(places)), ROUND_HALF_UP):,}"


@register.filter
def percent(value: Any) -> str:
    """A share (a Fraction) as a percentage with one decimal."""
    if value is None:
        return "—"
    return figure(value * 100, 1)
