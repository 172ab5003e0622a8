"""Writing audit events. Services call :func:`record` inside their transaction."""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import CharField, Expression, F, Model, QuerySet
from django.db.models.functions import Cast, Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core.compiled import insert
from gridlight.core.models import AuditEvent, User

# Set by middleware for the duration of a request so services need not pass the address around.
current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_ip", default=None)


def record(
    *,
    actor: User | None,
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


def record_each(
    rows: QuerySet[Any],
    *,
    actor: User | None,
    action: str,
    object_label: Expression | F,
    region_path: Expression | F,
    changes: Expression | F,
) -> int:
    """One audit event per row of ``rows``, as :func:`record` writes it for one object, made
    by the database in one ``INSERT … SELECT``: for changes to thousands of records, where
    thousands of model objects would cost seconds. ``object_label`` and ``region_path`` are
    expressions over the rows; ``changes`` one giving JSON text (``Concat`` of the values,
    which the caller knows need no escaping). Call it inside the change's transaction, before
    the UPDATE when the events record the old values. Returns how many events were written."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    model = rows.model
    select = (
        rows.order_by()
        .annotate(
            audit_object_id=Cast("pk", CharField(max_length=64)),
            audit_object_label=Substr(object_label, 1, 200),
            audit_region_path=region_path,
            audit_changes=changes,
        )
        .values("audit_object_id", "audit_object_label", "audit_region_path", "audit_changes")
    )
    sql, params = select.query.sql_with_params()
    json_type = "jsonb" if connection.vendor == "postgresql" else "text"
    insert_sql = (
        f"INSERT INTO {AuditEvent._meta.db_table} (at, actor_id, actor_label, action, "  # noqa: S608
        "object_type, ip, object_id, object_label, region_path, changes) "
        "SELECT %s, %s, %s, %s, %s, %s, q.audit_object_id, q.audit_object_label, "
        f"q.audit_region_path, CAST(q.audit_changes AS {json_type}) FROM ({sql}) q"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            insert_sql,
            [
                connection.ops.adapt_datetimefield_value(timezone.now()),
                user.pk if user else None,
                str(user.get_username()) if user else "system",
                action,
                model._meta.label_lower,
                current_ip.get(),
                *params,
            ],
        )
        return int(cursor.rowcount)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The fields that changed, as ``{field: [old, new]}`` (values made JSON-safe as text)."""
    if not before:  # a record created (an import's hundred thousand rows): each field set
        return {k: [None, _plain(v)] for k in sorted(after) if (v := after[k]) is not None}
    return {
        k: [_plain(before.get(k)), _plain(after.get(k))]
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | list):
        return value
    return str(value)


# --- reading the trail: labels for actions and changes ------------------------------------------
#
# One mapping from an action code (``ticket.handle``) to what people read (工单 · 已办结): the
# noun of its prefix and the verb of the whole code. Each app registers its own (tickets take the
# labels of their workflow steps); codes nobody registered read as themselves.

_NOUNS: dict[str, Any] = {}
_VERBS: dict[str, Any] = {}


def register_actions(noun: str, label: Any, verbs: Mapping[str, Any]) -> None:
    """Name the actions ``<noun>.<verb>``: ``label`` for the noun, ``verbs`` maps each verb."""
    _NOUNS[noun] = label
    for verb, verb_label in verbs.items():
        _VERBS[f"{noun}.{verb}"] = verb_label


def action_label(code: str) -> str:
    """What an action code reads as: "noun · verb", or the code itself if unregistered."""
    noun, _sep, _verb = code.partition(".")
    if code not in _VERBS or noun not in _NOUNS:
        return code
    return f"{_NOUNS[noun]} · {_VERBS[code]}"


def action_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The audit search's list: per noun, all its actions (``noun.``) and each one."""
    groups = []
    for noun, label in sorted(_NOUNS.items(), key=lambda n: str(n[1])):
        codes = [code for code in _VERBS if code.startswith(noun + ".")]
        everything = (f"{noun}.", _("%(noun)s · all") % {"noun": label})
        groups.append((str(label), [everything, *((c, action_label(c)) for c in codes)]))
    return groups


_FIELD_FALLBACK = {
    "status": gettext_lazy("Status"),
    "reason": gettext_lazy("Reason"),
    "created": gettext_lazy("Records created"),
    "attributes": gettext_lazy("Attributes"),
    "relation": gettext_lazy("Relation"),
}


@dataclass(frozen=True)
class Change:
    """One line of an audit event's changes as people read it."""

    field: str
    before: str
    after: str
    changed: bool  # a before/after pair, rather than a single value


def changes_display(event: AuditEvent) -> list[Change]:
    """An event's ``changes`` with field names and coded values (statuses, lights, …) read
    through the model's own verbose names and choices."""
    model = _model(event.object_type)
    shown = []
    for name, value in (event.changes or {}).items():
        field = _field(model, name)
        label = str(field.verbose_name) if field is not None else name
        if label == name.replace("_", " ") and name in _FIELD_FALLBACK:
            label = str(_FIELD_FALLBACK[name])
        choices = dict(field.flatchoices) if field is not None and field.choices else {}
        if isinstance(value, list) and len(value) == 2:
            before, after = (_value(v, choices) for v in value)
            shown.append(Change(label, before, after, True))
        else:
            shown.append(Change(label, "", _value(value, choices), False))
    return shown


def actor_display(event: AuditEvent) -> str:
    """Who acted, by display name (the text label once the account is gone)."""
    if event.actor is not None:
        return str(event.actor)
    return str(_("system")) if event.actor_label == "system" else event.actor_label


def _model(object_type: str) -> type[Model] | None:
    from django.apps import apps

    try:
        return apps.get_model(object_type) if "." in object_type else None
    except LookupError:
        return None


def _field(model: type[Model] | None, name: str) -> Any:
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    # Only the model's own fields have a label and choices; a reverse relation
    # ("residents", "visits") named by a change is shown by its name.
    return field if hasattr(field, "verbose_name") else None


def _value(value: Any, choices: dict[Any, Any]) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, list):
        return "、".join(_value(v, choices) for v in value)
    if isinstance(value, dict):  # a nested record (a child, a platform, a formula's inputs)
        return "；".join(f"{k}: {_value(v, {})}" for k, v in value.items())
    return str(choices.get(value, value))


register_actions(
    "auth",
    gettext_lazy("Account"),
    {
        "login": gettext_lazy("signed in"),
        "logout": gettext_lazy("signed out"),
        "login_failed": gettext_lazy("wrong password"),
        "locked": gettext_lazy("account locked"),
    },
)
register_actions(
    "region",
    gettext_lazy("Region"),
    {
        "create": gettext_lazy("created"),
        "update": gettext_lazy("changed"),
        "import": gettext_lazy("imported"),
    },
)
register_actions(
    "position",
    gettext_lazy("Service position"),
    {
        "create": gettext_lazy("created"),
        "update": gettext_lazy("changed"),
        "delete": gettext_lazy("deleted"),
        "import": gettext_lazy("imported"),
    },
)
register_actions(
    "assignment",
    gettext_lazy("Role"),
    {"grant": gettext_lazy("granted"), "revoke": gettext_lazy("revoked")},
)
register_actions("user", gettext_lazy("User"), {"create": gettext_lazy("created")})
register_actions(
    "token",
    gettext_lazy("API token"),
    {"create": gettext_lazy("created"), "revoke": gettext_lazy("revoked")},
)
register_actions("boundary", gettext_lazy("Region outlines"), {"import": gettext_lazy("imported")})
register_actions("demo", gettext_lazy("Demo district"), {"load": gettext_lazy("built")})
register_actions(
    "calendar",
    gettext_lazy("Working-day calendar"),
    {
        "override": gettext_lazy("day set"),
        "override_delete": gettext_lazy("day setting removed"),
        "notice": gettext_lazy("State Council notice entered"),
    },
)
register_actions(
    "reveal",
    gettext_lazy("Personal data"),
    {
        "id_number": gettext_lazy("ID number revealed"),
        "phone": gettext_lazy("phone number revealed"),
        "export": gettext_lazy("exported"),
    },
)


@dataclass(frozen=True)
class Readable:
    """An audit event as the trail shows it: who, what and which changes, in words."""

    event: AuditEvent
    actor: str
    action: str
    changes: list[Change]


def readable(events: Iterable[AuditEvent]) -> list[Readable]:
    """The events in words (their ``actor`` should be selected with them)."""
    return [
        Readable(e, actor_display(e), action_label(e.action), changes_display(e)) for e in events
    ]
