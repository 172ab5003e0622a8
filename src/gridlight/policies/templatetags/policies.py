"""Showing amounts: integer fen as yuan with two decimals (no float on the way); a benefit in
kind (a place, a service: 0 fen) as what it is, not as 0.00."""

from __future__ import annotations

from typing import Protocol

from django import template
from django.utils.translation import gettext

register = template.Library()


class InKind(Protocol):
    """A policy version, or a KPI row of one policy: knows whether its benefit is money."""

    @property
    def in_kind(self) -> bool: ...


@register.filter
def yuan(fen: int | None) -> str:
    """``1234567`` fen → ``12,345.67``; None (not known yet) → ``—``."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}"


@register.filter
def benefit(fen: int | None, version: InKind | None) -> str:
    """A grant's or an application's amount under its policy version: ``非资金类待遇`` for a
    benefit in kind, else :func:`yuan` (``{{ g.amount_fen|benefit:g.policy_version }}``)."""
    if version is not None and version.in_kind:
        return gettext("Benefit in kind")
    return yuan(fen)


@register.filter
def benefit_yuan(fen: int | None, version: InKind | None) -> str:
    """:func:`benefit` followed by the unit (元) when it is money, for sentences."""
    shown = benefit(fen, version)
    if version is not None and version.in_kind:
        return shown
    return f"{shown} {gettext('yuan')}"
