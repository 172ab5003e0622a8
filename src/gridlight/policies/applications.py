"""Online application (申报网上办理): a talent or an enterprise applies for a policy in force,
with the materials its checklist names; staff accept it (受理), review it twice (初审, 复核) and
decide it — approved with the computed amount, adjusted only with a reason, or refused with a
reason — or return it for correction (补正), which the applicant resubmits.

Every step is one conditional UPDATE on the status and ``edit_version`` the actor read (two
reviewers acting at once: the second is told to reload, nothing is overwritten), a history row
(:class:`ApplicationStep`) and an audit event, in one transaction. Each open state has a
deadline in working days from the district's work calendar (``DEADLINES``). Reviewers act only
in their scope (``access.applications_reviewable``); the second review is someone other than
the first reviewer. An approval creates the grant through ``grants.create_grant``, which
charges the policy's budget: over budget, or granted already in the period, the approval is
refused and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core import audit
from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.models import User
from gridlight.core.uploads import Upload, check_upload
from gridlight.core.workdays import district_calendar
from gridlight.policies.access import (
    applications_reviewable,
    policies_open_to,
    subject_key,
    subject_q,
)
from gridlight.policies.matching import mark_applied
from gridlight.policies.models import (
    ENDED_WITHOUT_GRANT,
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    ApplicationStep,
    GrantSource,
    Match,
    Mode,
    Policy,
    PolicyVersion,
)
from gridlight.policies.selectors import policies_for
from gridlight.talent.models import Enterprise, Talent

audit.register_actions(
    "application",
    gettext_lazy("Policy application"),
    {
        "submit": gettext_lazy("submitted"),
        "accept": gettext_lazy("accepted"),
        "first_review": gettext_lazy("first review passed"),
        "approve": gettext_lazy("approved"),
        "refuse": gettext_lazy("refused"),
        "return": gettext_lazy("returned for correction"),
        "resubmit": gettext_lazy("resubmitted"),
        "withdraw": gettext_lazy("withdrawn"),
    },
)

S = ApplicationStatus
# Working days the next step has, by the state the application is in.
DEADLINES: dict[str, int] = {
    S.SUBMITTED: 2,  # to accept (受理)
    S.ACCEPTED: 5,  # first review
    S.FIRST_PASSED: 5,  # second review and decision
    S.RETURNED: 10,  # the applicant's correction
}
MAX_STATEMENT = 2000
MAX_REASON = 300
Subject = Talent | Enterprise


def subject_of(app: Application | Any) -> Subject:
    """The talent or enterprise of an application or a grant."""
    obj: Subject | None = app.talent if app.talent_id else app.enterprise
    assert obj is not None
    return obj


def _jsonable(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class Assessment:
    """A policy for one subject today: its version in force, state and computed amount."""

    version: PolicyVersion
    state: str
    amount_fen: int | None
    missing: frozenset[str]
    facts: dict[str, Any]


def assess(policy: Policy, obj: Subject, day: date) -> Assessment:
    """Evaluate ``policy`` for ``obj`` on ``day`` with every other policy in force (a formula
    may read their amounts) and what the subject already receives; DomainError when the
    policy has no version in force or is for another kind of subject."""
    from gridlight.policies.grants import receiving_codes
    from gridlight.rules.subjects import get_subject

    subject_type = "talent" if isinstance(obj, Talent) else "enterprise"
    if not policies_open_to(obj.region_path).filter(pk=policy.pk).exists():
        raise DomainError(_("This policy is not issued for your street."))
    if policy.subject_type != subject_type:
        raise DomainError(_("This policy is not for you: it is for another kind of applicant."))
    found = policies_for(subject_type, obj, day, receiving=receiving_codes(subject_key(obj)))
    row = next((r for r in found.results if r.policy.pk == policy.pk), None)
    if row is None:
        raise DomainError(_("This policy has no version in force today."))
    amount = row.result.amount.fen if row.result.amount else None
    facts = _jsonable(get_subject(subject_type).values(obj, day))
    return Assessment(row.version, row.result.state, amount, row.result.missing, facts)


def _checked_materials(
    policy: Policy, uploads: dict[str, Upload], *, partial: bool
) -> list[tuple[str, Upload, str]]:
    """Every upload checked by content and size, each naming a material of the checklist;
    unless ``partial`` (a correction), every required material is there."""
    required = list(policy.materials or [])
    unknown = sorted(set(uploads) - set(required))
    if unknown:
        raise DomainError(
            _("Not a material this policy asks for: %(m)s") % {"m": ", ".join(unknown)}
        )
    if not partial:
        missing = [m for m in required if m not in uploads]
        if missing:
            raise DomainError(_("Materials missing: %(m)s") % {"m": "、".join(missing)})
    return [(m, up, check_upload(up)) for m, up in uploads.items()]


def _store_materials(app: Application, checked: list[tuple[str, Upload, str]], actor: User) -> None:
    ApplicationMaterial.objects.bulk_create(
        ApplicationMaterial(
            application=app,
            material=m,
            name=up.name[:120],
            content_type=content_type,
            size=len(up.data),
            data=up.data,
            uploaded_by=actor,
        )
        for m, up, content_type in checked
    )


def _due(status: str, day: date) -> date | None:
    days = DEADLINES.get(status)
    return district_calendar().add_workdays(day, days) if days else None


def _history(app: Application, step: str, before: str, actor: User | None, note: str) -> None:
    ApplicationStep.objects.create(
        application=app,
        step=step,
        from_status=before,
        to_status=app.status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note=note[:MAX_REASON],
        due_on=app.due_on,
        at=timezone.now(),
    )


def _audit(app: Application, step: str, actor: User, changes: dict[str, Any]) -> None:
    audit.record(
        actor=actor,
        action=f"application.{step}",
        obj=app,
        object_label=f"{app.policy.title} · {app.subject_name}",
        region_path=app.region_path,
        changes=changes,
    )


@transaction.atomic
def submit(
    *, actor: User, policy: Policy, statement: str = "", uploads: dict[str, Upload]
) -> Application:
    """Apply for ``policy`` as the signed-in talent or enterprise: the policy takes online
    applications, a version is in force, the subject is not known to be ineligible, every
    required material is uploaded (each checked by content type and size), and it has no live
    application for the policy. Its profile's facts and the computed amount are kept."""
    from gridlight.talent.access import own_enterprise, own_talent

    obj: Subject | None = own_talent(actor) or own_enterprise(actor)
    if obj is None:
        raise DomainError(_("Only a talent or an enterprise applies for a policy."))
    if policy.mode != Mode.APPLY:
        raise DomainError(_("This policy does not take online applications."))
    if len(statement) > MAX_STATEMENT:
        raise DomainError(_("The statement is at most %(n)s characters.") % {"n": MAX_STATEMENT})
    day = timezone.localdate()
    found = assess(policy, obj, day)
    if found.state == "not_met":
        raise DomainError(
            _("Your profile does not meet this policy's conditions; see its explanation.")
        )
    from gridlight.policies.grants import period_of

    checked = _checked_materials(policy, uploads, partial=False)
    key = subject_key(obj)
    period = period_of(policy, day)
    # One in review at a time, whatever its period; approved: once per period (a yearly
    # policy is applied for again the next year, as grants are made once per period).
    if (
        Application.objects.filter(policy=policy, subject_key=key)
        .exclude(status__in=ENDED_WITHOUT_GRANT)
        .filter(~Q(status=ApplicationStatus.APPROVED) | Q(period=period))
        .exists()
    ):
        raise DomainError(_("You have applied for this policy already."))
    app = Application(
        policy=policy,
        policy_version=found.version,
        subject_type=policy.subject_type,
        talent=obj if isinstance(obj, Talent) else None,
        enterprise=obj if isinstance(obj, Enterprise) else None,
        subject_key=key,
        subject_name=obj.name,
        street_id=obj.street_id,
        region_path=obj.region_path,
        applicant=actor,
        statement=statement.strip(),
        facts=found.facts,
        computed_fen=found.amount_fen,
        submitted_on=day,
        period=period,
        due_on=_due(S.SUBMITTED, day),
    )
    try:
        with transaction.atomic():
            app.save()
    except IntegrityError as exc:  # a second submit at the same moment
        raise DomainError(_("You have applied for this policy already.")) from exc
    _store_materials(app, checked, actor)
    _history(app, "submit", "", actor, "")
    match = Match.objects.filter(
        subject_type=app.subject_type, subject_id=obj.pk, version=found.version
    ).first()
    if match is not None:
        mark_applied(match)
    _audit(app, "submit", actor, {"amount_fen": found.amount_fen, "state": found.state})
    return app


def _move(
    app: Application,
    *,
    actor: User,
    step: str,
    edit_version: int,
    allowed: tuple[str, ...],
    to: str,
    note: str = "",
    changes: dict[str, Any] | None = None,
    **fields: Any,
) -> Application:
    """The one way a step changes an application: conditional on the state and the version
    the actor read; 409 when someone else acted first, 400 when the step does not apply."""
    if app.status not in allowed:
        raise DomainError(
            _("This step does not apply to an application that is %(s)s.")
            % {"s": app.get_status_display()}
        )
    before = app.status
    day = timezone.localdate()
    due = _due(to, day)
    updated = Application.objects.filter(
        pk=app.pk, edit_version=edit_version, status__in=allowed
    ).update(
        status=to,
        due_on=due,
        edit_version=F("edit_version") + 1,
        updated_at=timezone.now(),
        **fields,
    )
    if not updated:
        raise ConflictError(
            _("This application was changed by someone else. Reload it and try again.")
        )
    app.refresh_from_db()
    _history(app, step, before, actor, note)
    _audit(app, step, actor, {"from": before, "to": to, **(changes or {})})
    return app


def _reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise DomainError(_("Give a reason."))
    if len(reason) > MAX_REASON:
        raise DomainError(_("The reason is at most %(n)s characters.") % {"n": MAX_REASON})
    return reason


def _in_scope(actor: User, app: Application) -> None:
    """Reviewers act only on the applications in their scope (404 otherwise)."""
    from django.http import Http404

    if not applications_reviewable(actor).filter(pk=app.pk).exists():
        raise Http404


@transaction.atomic
def accept(*, actor: User, application: Application, edit_version: int) -> Application:
    """受理: the application is complete enough to be reviewed."""
    _in_scope(actor, application)
    return _move(
        application,
        actor=actor,
        step="accept",
        edit_version=edit_version,
        allowed=(S.SUBMITTED,),
        to=S.ACCEPTED,
    )


@transaction.atomic
def first_review(
    *, actor: User, application: Application, edit_version: int, note: str = ""
) -> Application:
    """初审 passed: on to the second review (by someone else)."""
    _in_scope(actor, application)
    return _move(
        application,
        actor=actor,
        step="first_review",
        edit_version=edit_version,
        allowed=(S.ACCEPTED,),
        to=S.FIRST_PASSED,
        note=_reason(note, required=False),
        first_reviewer=actor,
    )


@transaction.atomic
def approve(
    *,
    actor: User,
    application: Application,
    edit_version: int,
    amount_fen: int | None = None,
    reason: str = "",
) -> Application:
    """复核 and decision: approved with the computed amount, or another amount with a reason.
    The grant is created and charged to the budget in the same transaction. A benefit in kind
    (a place, a service: the version names no amount) is approved at 0 fen and charges
    nothing; a money benefit is approved at 0 only with a reason."""
    from gridlight.policies.grants import create_grant

    _in_scope(actor, application)
    if application.first_reviewer_id == actor.pk:
        raise DomainError(_("The second review is made by someone other than the first reviewer."))
    reason = _reason(reason, required=False)
    computed = application.computed_fen
    if application.policy_version.in_kind:
        if amount_fen:
            raise DomainError(
                _(
                    "This policy's benefit is not money (a place or a service): "
                    "approve it without an amount."
                )
            )
        amount_fen = computed = 0
    amount = computed if amount_fen is None else amount_fen
    if amount is None:
        raise DomainError(_("The amount could not be computed: enter it, with a reason."))
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise DomainError(_("The amount is a whole number of fen, not negative."))
    if amount == 0 and not application.policy_version.in_kind and not reason:
        raise DomainError(_("A money benefit is approved at 0 yuan only with a reason."))
    if amount != computed and not reason:
        raise DomainError(_("An amount other than the computed one needs a reason."))
    app = _move(
        application,
        actor=actor,
        step="approve",
        edit_version=edit_version,
        allowed=(S.FIRST_PASSED,),
        to=S.APPROVED,
        note=reason,
        changes={"amount_fen": amount, "computed_fen": computed},
        amount_fen=amount,
        adjust_reason=reason if amount != computed else "",
        decided_on=timezone.localdate(),
    )
    create_grant(
        actor=actor,
        policy=app.policy,
        version=app.policy_version,
        obj=subject_of(app),
        amount_fen=amount,
        source=GrantSource.APPLICATION,
        application=app,
    )
    return app


@transaction.atomic
def refuse(*, actor: User, application: Application, edit_version: int, reason: str) -> Application:
    _in_scope(actor, application)
    reason = _reason(reason, required=True)
    return _move(
        application,
        actor=actor,
        step="refuse",
        edit_version=edit_version,
        allowed=(S.SUBMITTED, S.ACCEPTED, S.FIRST_PASSED),
        to=S.REFUSED,
        note=reason,
        decision_reason=reason,
        decided_on=timezone.localdate(),
    )


@transaction.atomic
def return_for_correction(
    *, actor: User, application: Application, edit_version: int, reason: str
) -> Application:
    """补正: back to the applicant, saying what to correct."""
    _in_scope(actor, application)
    reason = _reason(reason, required=True)
    return _move(
        application,
        actor=actor,
        step="return",
        edit_version=edit_version,
        allowed=(S.SUBMITTED, S.ACCEPTED, S.FIRST_PASSED),
        to=S.RETURNED,
        note=reason,
        decision_reason=reason,
        first_reviewer=None,
    )


def _own(actor: User, application: Application) -> None:
    from django.http import Http404

    if not Application.objects.filter(subject_q(actor), pk=application.pk).exists():
        raise Http404


@transaction.atomic
def resubmit(
    *,
    actor: User,
    application: Application,
    edit_version: int,
    statement: str | None = None,
    uploads: dict[str, Upload] | None = None,
) -> Application:
    """The applicant's correction: newer materials (each checked) and statement, then back to
    be accepted; the facts and the computed amount are taken again from the profile."""
    _own(actor, application)
    if application.status != S.RETURNED:
        raise DomainError(_("Only an application returned for correction is resubmitted."))
    checked = _checked_materials(application.policy, uploads or {}, partial=True)
    if statement is not None and len(statement) > MAX_STATEMENT:
        raise DomainError(_("The statement is at most %(n)s characters.") % {"n": MAX_STATEMENT})
    found = assess(application.policy, subject_of(application), timezone.localdate())
    extra: dict[str, Any] = {"facts": found.facts, "computed_fen": found.amount_fen}
    if statement is not None:
        extra["statement"] = statement.strip()
    app = _move(
        application,
        actor=actor,
        step="resubmit",
        edit_version=edit_version,
        allowed=(S.RETURNED,),
        to=S.SUBMITTED,
        changes={"materials": sorted(m for m, _u, _t in checked)},
        **extra,
    )
    _store_materials(app, checked, actor)
    return app


@transaction.atomic
def withdraw(*, actor: User, application: Application, edit_version: int) -> Application:
    _own(actor, application)
    return _move(
        application,
        actor=actor,
        step="withdraw",
        edit_version=edit_version,
        allowed=(S.SUBMITTED, S.ACCEPTED, S.FIRST_PASSED, S.RETURNED),
        to=S.WITHDRAWN,
        decided_on=timezone.localdate(),
    )


def current_materials(app: Application) -> dict[str, ApplicationMaterial]:
    """The newest upload of each material (a correction's replaces the earlier one)."""
    out: dict[str, ApplicationMaterial] = {}
    for m in app.materials.defer("data").order_by("material", "-created_at", "-id"):
        out.setdefault(m.material, m)
    return out
