"""``{{ ticket.due_at|deadline }}``: a deadline shown as its last day ("2026-12-10 当日")."""

from __future__ import annotations

from datetime import datetime

from django import template

from gridlight.tickets.deadlines import deadline_label

register = template.Library()


@register.filter
def deadline(value: datetime | None) -> str:
    return deadline_label(value)
