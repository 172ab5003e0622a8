"""Writing audit events. Services call :func:`record` inside their transaction."""

from __future__ import annotations

import contextvars
from typing import Any

from django.db.models import Model

from gridlight.core.compiled import insert
from gridlight.core.models import AuditEvent

# Set by middleware for the duration of a request so services need not pass the address around.
current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_ip", default=None)


def record(
    *,
    actor: Any,
    action: str,
    obj: Model | None = None,
    object_type: str = "",
    object_label: str = "",
    region_path: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event. Call it inside the same transaction as the change it records."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        actor=user,
        actor_label=str(user.get_username()) if user else "system",
        action=action,
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=str(obj.pk) if obj is not None else "",
        object_label=(object_label or str(obj))[:200] if obj is not None else object_label[:200],
        region_path=region_path,
        changes=changes or {},
        ip=current_ip.get(),
    )
    # Written by every service, the busiest with each intake: the statement is compiled once.
    return insert(event)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The fields that changed, as ``{field: [old, new]}`` (values made JSON-safe as text)."""
    return {
        k: [_plain(before.get(k)), _plain(after.get(k))]
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | list):
        return value
    return str(value)
