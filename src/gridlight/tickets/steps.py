"""The one table of lifecycle steps the pages and the API both take.

Per step: the service that takes it, how the page shows it (label, button style) and a typed
description of its parameters; per parameter (:data:`INPUTS`), how the page asks for it and how
the API documents it. The page's form (``tickets.forms.ActionForm``) and the API's payload
(``ActionIn`` in ``api/routers/tickets.py``) are both built from these tables, and both are
converted to the service's arguments by :func:`arguments`, so adding a step is one row here
(and who may take it in ``tickets.access.ACTORS``). Who may act is the service's check, not
this table's."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core.errors import DomainError
from gridlight.core.models import User
from gridlight.tickets import access, services
from gridlight.tickets.models import CloseReason, Satisfaction, Ticket, Unit

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


class Kind(StrEnum):
    TEXT = "text"  # free text, stripped
    BOOL = "bool"  # yes or no
    DAYS = "days"  # a whole number of working days
    UNIT = "unit"  # a unit: its code (API) or the unit the page's form chose
    TICKET = "ticket"  # another ticket's id, one the actor may see
    CHOICE = "choice"  # one of a model's choices (satisfaction, close reason); the service checks


@dataclass(frozen=True)
class Input:
    """A value steps read, under one name on the page's form and in the API's payload."""

    kind: Kind
    label: StrPromise  # the page's
    help: str = ""  # the API's description, after the names of the steps that read it
    choices: Sequence[tuple[str, Any]] = ()  # CHOICE: (value, label); BOOL: yes, then no
    max_length: int = 500  # TEXT
    textarea: bool = False  # TEXT: several lines on the page
    bounds: tuple[int, int] | None = None  # DAYS: the page's limits (the service checks all)


def _yes_no(yes: StrPromise, no: StrPromise) -> tuple[tuple[str, StrPromise], ...]:
    return (("yes", yes), ("no", no))


INPUTS: dict[str, Input] = {
    "reason": Input(Kind.TEXT, gettext_lazy("Reason"), "free text"),
    "note": Input(Kind.TEXT, gettext_lazy("Note"), "free text"),
    "result": Input(Kind.TEXT, gettext_lazy("What was done"), "what was done", textarea=True),
    "unit": Input(Kind.UNIT, gettext_lazy("Unit"), "the unit's code"),
    "days": Input(Kind.DAYS, gettext_lazy("Working days"), "working days", bounds=(1, 30)),
    "approve": Input(
        Kind.BOOL,
        gettext_lazy("Decision"),
        choices=_yes_no(gettext_lazy("Approve"), gettext_lazy("Refuse")),
    ),
    "passed": Input(
        Kind.BOOL,
        gettext_lazy("Verification"),
        choices=_yes_no(gettext_lazy("Passed"), gettext_lazy("Not passed")),
    ),
    "resolved": Input(
        Kind.BOOL,
        gettext_lazy("Was the problem solved?"),
        choices=_yes_no(gettext_lazy("Yes"), gettext_lazy("No")),
    ),
    "satisfaction": Input(Kind.CHOICE, gettext_lazy("Satisfaction"), choices=Satisfaction.choices),
    # A ticket is closed as rejected by the reject step, not by close.
    "close_reason": Input(
        Kind.CHOICE, gettext_lazy("Closing reason"), choices=CloseReason.choices[:-1]
    ),
    "duplicate_of": Input(
        Kind.TICKET, gettext_lazy("Duplicate of ticket id"), "the other ticket's id"
    ),
}


@dataclass(frozen=True)
class Param:
    field: str  # the canonical name on the page's form and in the API's payload (INPUTS)
    kind: Kind = Kind.TEXT
    required: bool = False
    arg: str = ""  # the service's keyword, when it is not ``field``
    aliases: tuple[str, ...] = ()  # older names still accepted (the API's before the table)

    @property
    def keyword(self) -> str:
        return self.arg or self.field

    @property
    def names(self) -> tuple[str, ...]:
        return (self.field, *self.aliases)


@dataclass(frozen=True)
class Step:
    name: str
    service: Callable[..., Ticket]
    label: Promise
    style: str
    params: tuple[Param, ...] = ()


_REASON = Param("reason")
_NOTE = Param("note")

# In the order the page shows the buttons.
STEPS: dict[str, Step] = {
    s.name: s
    for s in (
        Step("accept", services.accept, gettext_lazy("Accept"), "primary"),
        Step(
            "dispatch",
            services.dispatch,
            gettext_lazy("Dispatch"),
            "primary",
            (Param("unit", Kind.UNIT, required=True), _NOTE),
        ),
        Step("reject", services.reject, gettext_lazy("Reject"), "outline-danger", (_REASON,)),
        Step("sign", services.sign, gettext_lazy("Sign for it"), "primary"),
        Step("start", services.start, gettext_lazy("Start work"), "outline-primary", (_NOTE,)),
        Step(
            "handle",
            services.handle,
            gettext_lazy("Report handled"),
            "success",
            (Param("result"),),
        ),
        Step(
            "request_extension",
            services.request_extension,
            gettext_lazy("Ask for an extension"),
            "outline-secondary",
            (Param("days", Kind.DAYS, required=True), _REASON),
        ),
        Step(
            "send_back",
            services.send_back,
            gettext_lazy("Return to dispatcher"),
            "outline-danger",
            (_REASON,),
        ),
        Step(
            "decide_extension",
            services.decide_extension,
            gettext_lazy("Decide on the extension"),
            "outline-primary",
            (Param("approve", Kind.BOOL, required=True), _REASON),
        ),
        Step(
            "verify",
            services.verify,
            gettext_lazy("Verify on site"),
            "primary",
            (Param("passed", Kind.BOOL, required=True), _NOTE),
        ),
        Step(
            "rate",
            services.rate,
            gettext_lazy("Record the person's judgment"),
            "primary",
            (
                Param("resolved", Kind.BOOL, required=True),
                Param("satisfaction", Kind.CHOICE),
                Param("reason", arg="comment", aliases=("comment", "note")),
            ),
        ),
        Step(
            "reopen", services.reopen, gettext_lazy("Reopen (重办)"), "outline-danger", (_REASON,)
        ),
        Step(
            "close",
            services.close,
            gettext_lazy("Close"),
            "outline-secondary",
            (
                Param("close_reason", Kind.CHOICE, arg="reason", aliases=("reason",)),
                Param("duplicate_of", Kind.TICKET),
                _NOTE,
            ),
        ),
        Step("withdraw", services.withdraw, gettext_lazy("Withdraw"), "outline-danger", (_REASON,)),
    )
}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _unit(value: Any) -> Unit:
    if isinstance(value, Unit):
        return value
    unit = Unit.objects.filter(code=str(value).strip()).first()
    if unit is None:
        raise DomainError(_("Unknown unit."))
    return unit


def _ticket(actor: User, value: Any) -> Ticket:
    other = access.visible(actor).filter(pk=value).first()
    if other is None:
        raise DomainError(_("Name the ticket this one duplicates."))
    return other


def _convert(param: Param, value: Any, actor: User) -> Any:
    if _blank(value):
        if param.required:
            raise DomainError(_("This step needs “%(field)s”.") % {"field": param.field})
        return {Kind.BOOL: False, Kind.DAYS: 0, Kind.UNIT: None, Kind.TICKET: None}.get(
            param.kind, ""
        )
    if param.kind is Kind.BOOL:
        return bool(value)
    if param.kind is Kind.DAYS:
        return int(value)
    if param.kind is Kind.UNIT:
        return _unit(value)
    if param.kind is Kind.TICKET:
        return _ticket(actor, value)
    return str(value).strip()


def arguments(step: Step, values: Mapping[str, Any], actor: User) -> dict[str, Any]:
    """The service's keyword arguments for ``step`` from a form's cleaned data or an API
    payload: each parameter read under its canonical name, else under an older one."""
    found: dict[str, Any] = {}
    for param in step.params:
        value = next((values.get(n) for n in param.names if not _blank(values.get(n))), None)
        found[param.keyword] = _convert(param, value, actor)
    return found


def take(
    name: str, *, actor: User, ticket: Ticket, version: int, values: Mapping[str, Any]
) -> Ticket:
    """Take step ``name`` (a key of :data:`STEPS`; the caller answers 404 for any other)."""
    step = STEPS[name]
    return step.service(
        actor=actor, ticket=ticket, version=version, **arguments(step, values, actor)
    )


def readers() -> dict[str, list[str]]:
    """Per name the API accepts, what reads it: the steps by name under the canonical one, and
    ``<step>: older name of <field>`` under an older one (the API documents both)."""
    found: dict[str, list[str]] = {}
    for step in STEPS.values():
        for param in step.params:
            found.setdefault(param.field, []).append(step.name)
    for step in STEPS.values():
        for param in step.params:
            for alias in param.aliases:
                found.setdefault(alias, []).append(f"{step.name}: older name of {param.field}")
    return found
