"""The cockpit's numbers as text: grouped digits, at most two decimals, and a missing figure as
"—" (never 0)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def figure(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
        return text or "0"
    return str(value)
