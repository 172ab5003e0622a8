"""The review steps of an application, one table for the pages and the API (as
``tickets.steps``): the service each step calls, how the page shows it, and the values it reads
(:data:`INPUTS`). The page's form and the API's payload are both converted by
:func:`arguments`; who may act is the service's check."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core.errors import DomainError
from gridlight.core.models import User
from gridlight.policies import applications as services
from gridlight.policies.models import Application, ApplicationStatus


@dataclass(frozen=True)
class Input:
    label: Promise
    kind: str = "text"  # text, or yuan (an amount in yuan with at most 2 decimals → fen)
    max_length: int = 300


INPUTS: dict[str, Input] = {
    "note": Input(gettext_lazy("Note")),
    "reason": Input(gettext_lazy("Reason")),
    "amount_yuan": Input(gettext_lazy("Amount (yuan), if not the computed one"), "yuan"),
}


@dataclass(frozen=True)
class Step:
    name: str
    service: Callable[..., Application]
    label: Promise
    style: str
    when: tuple[str, ...]  # the states it applies to
    params: tuple[str, ...] = ()
    required: tuple[str, ...] = ()


S = ApplicationStatus
_REVIEW = (S.SUBMITTED, S.ACCEPTED, S.FIRST_PASSED)
STEPS: dict[str, Step] = {
    s.name: s
    for s in (
        Step("accept", services.accept, gettext_lazy("Accept (受理)"), "primary", (S.SUBMITTED,)),
        Step(
            "first_review",
            services.first_review,
            gettext_lazy("Pass first review (初审)"),
            "primary",
            (S.ACCEPTED,),
            ("note",),
        ),
        Step(
            "approve",
            services.approve,
            gettext_lazy("Approve (复核)"),
            "success",
            (S.FIRST_PASSED,),
            ("amount_yuan", "reason"),
        ),
        Step(
            "return",
            services.return_for_correction,
            gettext_lazy("Return for correction (补正)"),
            "outline-secondary",
            _REVIEW,
            ("reason",),
            ("reason",),
        ),
        Step(
            "refuse",
            services.refuse,
            gettext_lazy("Refuse"),
            "outline-danger",
            _REVIEW,
            ("reason",),
            ("reason",),
        ),
    )
}


def available(app: Application) -> list[Step]:
    return [s for s in STEPS.values() if app.status in s.when]


def to_fen(value: Any) -> int | None:
    """An amount in yuan (text or number, at most two decimals) in fen; None when blank."""
    if value is None or str(value).strip() == "":
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise DomainError(_("The amount is a number of yuan.")) from exc
    fen = amount * 100
    if not amount.is_finite() or fen != fen.to_integral_value() or fen < 0 or fen > 10**15:
        # 0 is the service's to judge: a benefit in kind, or a money benefit with a reason.
        raise DomainError(_("The amount is 0 yuan or more, with at most two decimals."))
    return int(fen)


def arguments(step: Step, data: Mapping[str, Any]) -> dict[str, Any]:
    """The service's keyword arguments from a form's cleaned data or an API payload."""
    out: dict[str, Any] = {}
    for name in step.params:
        value = data.get(name)
        if name in step.required and not str(value or "").strip():
            raise DomainError(_("%(f)s is required.") % {"f": INPUTS[name].label})
        if INPUTS[name].kind == "yuan":
            out["amount_fen"] = to_fen(value)
        else:
            out[name] = str(value or "")
    return out


def take(
    step_name: str,
    *,
    actor: User,
    application: Application,
    edit_version: int,
    data: Mapping[str, Any],
) -> Application:
    step = STEPS.get(step_name)
    if step is None:
        raise DomainError(_("Unknown step."))
    return step.service(
        actor=actor, application=application, edit_version=edit_version, **arguments(step, data)
    )
