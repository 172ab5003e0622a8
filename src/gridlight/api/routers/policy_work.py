"""Policy applications and grants: the review queue and its steps, the grant console's
re-confirmation, payment batches and the KPIs for staff; for a talent or an enterprise
(``/me/policies…``) its own applications (submitted and corrected with multipart uploads),
its grant-without-application offers and their one-click confirmation. The same access
functions, services and step table as the pages. Amounts are integer fen."""

from datetime import date
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from gridlight.api.pagination import Pagination
from gridlight.core.access import SignedInRequest
from gridlight.core.uploads import MAX_BYTES, Upload
from gridlight.policies import applications as apps
from gridlight.policies import grants, kpi, steps
from gridlight.policies.access import (
    applications_reviewable,
    batches_visible,
    get_application,
    get_batch,
    get_own_application,
    get_policy,
    grants_workable,
    policies_open_to,
    subject_q,
)
from gridlight.policies.models import Application, Grant, Mode, Policy
from gridlight.talent.portal import portal_record

router = Router(tags=["policy applications and grants"])

StepName = Literal["accept", "first_review", "approve", "return", "refuse"]


class Message(Schema):
    detail: str


class StepOut(Schema):
    step: str
    from_status: str
    to_status: str
    note: str
    due_on: date | None
    at: Any


class ApplicationOut(Schema):
    id: int
    policy_id: int
    policy_version_id: int
    subject_type: str
    subject_name: str
    status: str
    statement: str
    computed_fen: int | None
    amount_fen: int | None
    adjust_reason: str
    decision_reason: str
    submitted_on: date
    due_on: date | None
    decided_on: date | None
    edit_version: int


class ApplicationDetailOut(ApplicationOut):
    facts: dict[str, Any]
    materials: dict[str, str]
    steps: list[StepOut]


class StepIn(Schema):
    edit_version: int = Field(ge=1, le=2**31 - 1)
    note: str = Field("", max_length=300)
    reason: str = Field("", max_length=300)
    amount_fen: int | None = Field(None, ge=0, le=10**15)  # 0: see applications.approve


class GrantOut(Schema):
    id: int
    policy_id: int
    subject_type: str
    subject_name: str
    period: str
    amount_fen: int
    source: str
    status: str
    application_id: int | None
    batch_id: int | None
    paid_on: date | None


class ReconfirmIn(Schema):
    grant_ids: list[int] = Field(min_length=1, max_length=1000)
    approve: bool = True
    reason: str = Field("", max_length=300)


class CountOut(Schema):
    count: int


class BatchOut(Schema):
    id: int
    policy_id: int
    number: int
    count: int
    total_fen: int
    paid: bool
    paid_on: date | None
    version: int


class PaidIn(Schema):
    version: int = Field(ge=1, le=2**31 - 1)
    paid_on: date | None = None


class OfferOut(Schema):
    match_id: int
    policy_id: int
    title: str
    amount_fen: int


class EditIn(Schema):
    edit_version: int = Field(ge=1, le=2**31 - 1)


class KpiRowOut(Schema):
    key: str
    label: str
    applications: int
    matched: int
    rate: float | None
    decided: int
    approved: int
    approval_days: float | None
    grants: int
    granted_fen: int


class KpiOut(Schema):
    by: str
    start: date
    end: date
    rows: list[KpiRowOut]
    total: KpiRowOut


def _app(a: Application, detail: bool = False) -> dict[str, Any]:
    out = {k: getattr(a, k) for k in ApplicationOut.model_fields}
    if detail:
        out["facts"] = a.facts
        out["materials"] = {m: f.name for m, f in apps.current_materials(a).items()}
        out["steps"] = [{k: getattr(s, k) for k in StepOut.model_fields} for s in a.steps.all()]
    return out


def _batch(b: Any) -> dict[str, Any]:
    return {k: getattr(b, k) for k in BatchOut.model_fields}


# --- staff ---------------------------------------------------------------------------------------


@router.get("/policy-applications", response=list[ApplicationOut])
@paginate(Pagination)
def list_applications(
    request: SignedInRequest,
    status: Literal[
        "submitted", "accepted", "first_passed", "returned", "approved", "refused", "withdrawn"
    ]
    | None = None,
    policy_id: int | None = None,
) -> Any:
    """The applications the caller may review (its region, or the policies its department
    leads), by due date."""
    qs = applications_reviewable(request.user)
    if status:
        qs = qs.filter(status=status)
    if policy_id:
        qs = qs.filter(policy_id=policy_id)
    return qs.order_by("due_on", "pk")


@router.get("/policy-applications/{application_id}", response=ApplicationDetailOut)
def application_detail(request: SignedInRequest, application_id: int) -> dict[str, Any]:
    return _app(get_application(request.user, application_id), detail=True)


@router.post(
    "/policy-applications/{application_id}/steps/{step}",
    response={200: ApplicationOut, 400: Message, 409: Message},
)
def take_step(
    request: SignedInRequest, application_id: int, step: StepName, payload: StepIn
) -> dict[str, Any]:
    """accept (受理), first_review (初审), approve (复核: ``amount_fen`` other than the computed
    one needs a ``reason``), return (补正, ``reason``), refuse (``reason``). A stale
    ``edit_version`` is a 409."""
    app = get_application(request.user, application_id)
    data: dict[str, Any] = payload.dict()
    if payload.amount_fen is not None:
        data["amount_yuan"] = f"{payload.amount_fen / 100:.2f}"
    app = steps.take(
        step, actor=request.user, application=app, edit_version=payload.edit_version, data=data
    )
    return _app(app)


@router.get("/policy-grants", response=list[GrantOut])
@paginate(Pagination)
def list_grants(
    request: SignedInRequest,
    status: Literal["pending", "confirmed", "batched", "paid", "cancelled"] | None = None,
    policy_id: int | None = None,
) -> Any:
    qs = grants_workable(request.user)
    if status:
        qs = qs.filter(status=status)
    if policy_id:
        qs = qs.filter(policy_id=policy_id)
    return qs.order_by("pk")


@router.post("/policy-grants/reconfirm", response={200: CountOut, 400: Message, 409: Message})
def reconfirm(request: SignedInRequest, payload: ReconfirmIn) -> dict[str, Any]:
    """二次确认 of pending grants, all or none; ``approve: false`` cancels them (a reason)."""
    n = grants.reconfirm(
        actor=request.user,
        grant_ids=payload.grant_ids,
        approve=payload.approve,
        reason=payload.reason,
    )
    return {"count": n}


@router.post("/policies/{policy_id}/payment-batches", response={201: BatchOut, 400: Message})
def create_batch(request: SignedInRequest, policy_id: int) -> Status[dict[str, Any]]:
    batch = grants.create_batch(actor=request.user, policy=get_policy(request.user, policy_id))
    return Status(201, _batch(batch))


@router.get("/payment-batches", response=list[BatchOut])
@paginate(Pagination)
def list_batches(request: SignedInRequest) -> Any:
    return batches_visible(request.user)


@router.get("/payment-batches/{batch_id}", response=BatchOut)
def batch_detail(request: SignedInRequest, batch_id: int) -> dict[str, Any]:
    return _batch(get_batch(request.user, batch_id))


@router.post(
    "/payment-batches/{batch_id}/paid", response={200: BatchOut, 400: Message, 409: Message}
)
def mark_paid(request: SignedInRequest, batch_id: int, payload: PaidIn) -> dict[str, Any]:
    batch = grants.mark_paid(
        actor=request.user,
        batch=get_batch(request.user, batch_id),
        version=payload.version,
        paid_on=payload.paid_on,
    )
    return _batch(batch)


@router.get("/policy-kpi", response=KpiOut)
def policy_kpi(
    request: SignedInRequest,
    by: Literal["policy", "street", "industry", "month"] = "policy",
    start: date | None = None,
    end: date | None = None,
    policy_id: int | None = None,
) -> dict[str, Any]:
    """Applications, application rate, approval time in working days, amounts granted, by
    policy, street, the subject's industry or month."""
    end = end or timezone.localdate()
    start = start or date(end.year, 1, 1)
    if start > end:
        start, end = end, start
    rep = kpi.report(request.user, by=by, start=start, end=end, policy=policy_id)

    def row(r: kpi.Row) -> dict[str, Any]:
        out = {k: getattr(r, k) for k in KpiRowOut.model_fields}
        out["key"] = str(r.key)
        return out

    return {
        "by": rep.by,
        "start": rep.start,
        "end": rep.end,
        "rows": [row(r) for r in rep.rows],
        "total": row(rep.total),
    }


# --- the applicant -------------------------------------------------------------------------------


def _uploads(request: HttpRequest, policy: Policy) -> dict[str, Upload]:
    out = {}
    for i, material in enumerate(policy.materials or []):
        f = request.FILES.get(f"material_{i}")
        if f is not None:
            out[material] = Upload(f.name or "", f.read(MAX_BYTES + 1))
    return out


@router.get("/me/policies/applications", response=list[ApplicationOut])
@paginate(Pagination)
def my_applications(request: SignedInRequest) -> Any:
    return Application.objects.filter(subject_q(request.user))


@router.get("/me/policies/applications/{application_id}", response=ApplicationDetailOut)
def my_application(request: SignedInRequest, application_id: int) -> dict[str, Any]:
    return _app(get_own_application(request.user, application_id), detail=True)


@router.post(
    "/me/policies/policies/{policy_id}/applications",
    response={201: ApplicationOut, 400: Message},
)
def apply(request: SignedInRequest, policy_id: int) -> Status[dict[str, Any]]:
    """Apply (multipart/form-data): ``material_0`` … one file per required material in the
    policy's order, and an optional ``statement``."""
    from django.http import Http404

    record = portal_record(request.user)
    if record is None:
        raise Http404
    policy = policies_open_to(record.region_path).filter(pk=policy_id, mode=Mode.APPLY).first()
    if policy is None:
        raise Http404
    app = apps.submit(
        actor=request.user,
        policy=policy,
        statement=str(request.POST.get("statement", "")),
        uploads=_uploads(request, policy),
    )
    return Status(201, _app(app))


@router.post(
    "/me/policies/applications/{application_id}/resubmit",
    response={200: ApplicationOut, 400: Message, 409: Message},
)
def resubmit(request: SignedInRequest, application_id: int) -> dict[str, Any]:
    """Correct and resubmit (multipart/form-data): ``edit_version``, newer ``material_<i>``
    files, an optional ``statement``."""
    from gridlight.core.errors import DomainError

    app = get_own_application(request.user, application_id)
    try:
        version = int(str(request.POST.get("edit_version", "")))
    except ValueError as exc:
        raise DomainError("edit_version is required.") from exc
    app = apps.resubmit(
        actor=request.user,
        application=app,
        edit_version=version,
        statement=request.POST.get("statement") or None,
        uploads=_uploads(request, app.policy),
    )
    return _app(app)


@router.post(
    "/me/policies/applications/{application_id}/withdraw",
    response={200: ApplicationOut, 400: Message, 409: Message},
)
def withdraw(request: SignedInRequest, application_id: int, payload: EditIn) -> dict[str, Any]:
    app = get_own_application(request.user, application_id)
    return _app(
        apps.withdraw(actor=request.user, application=app, edit_version=payload.edit_version)
    )


@router.get("/me/policies/offers", response=list[OfferOut])
def my_offers(request: SignedInRequest) -> list[dict[str, Any]]:
    return [
        {
            "match_id": m.pk,
            "policy_id": m.policy_id,
            "title": m.policy.title,
            "amount_fen": m.amount_fen,
        }
        for m in grants.offers_for(request.user)[:100]
    ]


@router.get("/me/policies/grants", response=list[GrantOut])
@paginate(Pagination)
def my_grants(request: SignedInRequest) -> Any:
    return Grant.objects.filter(subject_q(request.user))


@router.post("/me/policies/offers/{match_id}/confirm", response={201: GrantOut, 400: Message})
def confirm(request: SignedInRequest, match_id: int) -> Status[dict[str, Any]]:
    """One-click confirmation of a grant-without-application offer."""
    grant = grants.confirm(actor=request.user, match_id=match_id)
    return Status(201, {k: getattr(grant, k) for k in GrantOut.model_fields})
