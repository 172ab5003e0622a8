"""Policies: the catalogue, drafts and publishing, simulation, and eligibility of one talent or
enterprise with its explanation — through the same access functions, selectors and services as
the pages. Amounts are integer fen."""

from datetime import date, datetime
from typing import Any, Literal

from django.http import Http404, HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from gridlight.api.pagination import Pagination
from gridlight.core.access import Perm, SignedInRequest, get_scoped
from gridlight.core.errors import DomainError
from gridlight.core.models import Region
from gridlight.core.uploads import MAX_BYTES, Upload, download_response
from gridlight.policies import services
from gridlight.policies.access import get_policy, get_version
from gridlight.policies.selectors import (
    SubjectPolicies,
    policies_for,
    policies_list,
    source_file_of,
    versions,
)
from gridlight.policies.simulate import simulate
from gridlight.talent.access import get_enterprise, get_talent

router = Router(tags=["policies"])

SubjectName = Literal["talent", "enterprise", "household"]
ModeName = Literal["push", "apply", "auto_grant"]


class Message(Schema):
    detail: str


class PolicyOut(Schema):
    id: int
    code: str
    title: str
    issuer: str
    doc_number: str
    source_url: str
    subject_type: str
    mode: str
    budget_fen: int | None
    period_start: date | None
    period_end: date | None
    materials: list[str]
    exclusive_group: str
    lead_unit_id: int | None
    version: int


class VersionOut(Schema):
    id: int
    number: int
    status: str
    effective_from: date | None
    effective_to: date | None
    note: str
    edit_version: int
    definition: dict[str, Any]


class SourceFileOut(Schema):
    """The issuing document kept for a policy (download it from ``…/source-file``)."""

    name: str
    content_type: str
    size: int
    created_at: datetime


class PolicyDetailOut(PolicyOut):
    source_file: SourceFileOut | None
    versions: list[VersionOut]


class PolicyIn(Schema):
    code: str = Field(min_length=1, max_length=60)
    region_code: str = Field(min_length=1, max_length=30)
    subject_type: SubjectName
    title: str = Field(min_length=1, max_length=200)
    issuer: str = Field(min_length=1, max_length=120)
    mode: ModeName
    doc_number: str = Field("", max_length=80)
    source_url: str = Field("", max_length=300)
    budget_fen: int | None = Field(None, ge=0, le=10**15)
    period_start: date | None = None
    period_end: date | None = None
    materials: list[str] = Field(default_factory=list, max_length=30)
    exclusive_group: str = Field("", max_length=60)
    lead_unit_id: int | None = None


class PolicyPatch(Schema):
    """The fields to change (the others are kept), with the ``version`` read: a stale one is a
    409. ``lead_unit_id``: an active unit's id, or null for none."""

    version: int = Field(ge=1, le=2**31 - 1)
    title: str | None = Field(None, min_length=1, max_length=200)
    issuer: str | None = Field(None, min_length=1, max_length=120)
    mode: ModeName | None = None
    doc_number: str | None = Field(None, max_length=80)
    source_url: str | None = Field(None, max_length=300)
    budget_fen: int | None = Field(None, ge=0, le=10**15)
    period_start: date | None = None
    period_end: date | None = None
    materials: list[str] | None = Field(None, max_length=30)
    exclusive_group: str | None = Field(None, max_length=60)
    lead_unit_id: int | None = None


class DraftIn(Schema):
    edit_version: int = Field(ge=1, le=2**31 - 1)
    definition: dict[str, Any]
    note: str = Field("", max_length=200)


class PublishIn(Schema):
    effective_from: date
    effective_to: date | None = None


class TallyOut(Schema):
    label: str
    met: int
    not_met: int
    unknown: int


class SimulationOut(Schema):
    total: TallyOut
    streets: list[TallyOut]
    industries: list[TallyOut]
    batch: bool


class SeenOut(Schema):
    label: str
    value: Any
    source: str
    as_of: date | None


class LineOut(Schema):
    label: str
    state: str
    depth: int
    seen: list[SeenOut]


class ResultOut(Schema):
    policy_id: int
    code: str
    title: str
    version: int
    state: Literal["met", "not_met", "unknown"]
    amount_fen: int | None
    missing: list[str]
    offered: bool
    superseded_by: str
    explanation: list[LineOut]


class MissingOut(Schema):
    field: str
    label: str
    decides: int
    concerns: int


class EligibilityOut(Schema):
    as_of: date
    results: list[ResultOut]
    missing: list[MissingOut]


def _policy_out(p: Any) -> dict[str, Any]:
    return {**{k: getattr(p, k) for k in PolicyOut.model_fields}}


def _detail(p: Any) -> dict[str, Any]:
    found = source_file_of(p)
    return _policy_out(p) | {
        "source_file": {k: getattr(found, k) for k in SourceFileOut.model_fields}
        if found
        else None,
        "versions": [{k: getattr(v, k) for k in VersionOut.model_fields} for v in versions(p)],
    }


def _tally(t: Any) -> dict[str, Any]:
    return {"label": t.label, **t.counts}


def _eligibility(found: SubjectPolicies) -> dict[str, Any]:
    return {
        "as_of": found.as_of,
        "results": [
            {
                "policy_id": r.policy.pk,
                "code": r.policy.code,
                "title": r.policy.title,
                "version": r.version.number,
                "state": r.result.state,
                "amount_fen": r.result.amount.fen if r.result.amount else None,
                "missing": sorted(r.result.missing),
                "offered": r.result.offered,
                "superseded_by": r.result.superseded_by,
                "explanation": [
                    {
                        "label": line.label,
                        "state": line.state,
                        "depth": line.depth,
                        "seen": [s.__dict__ for s in line.seen],
                    }
                    for line in r.lines
                ],
            }
            for r in found.results
        ],
        "missing": [
            {
                "field": m.field,
                "label": found.field_labels.get(m.field, m.field),
                "decides": m.decides,
                "concerns": m.concerns,
            }
            for m in found.missing
        ],
    }


@router.get("/policies", response=list[PolicyOut], summary="Policies visible to the caller")
@paginate(Pagination)
def list_policies(
    request: SignedInRequest,
    q: str = "",
    subject_type: SubjectName | None = None,
    mode: ModeName | None = None,
    state: Literal["in_force", "not_in_force"] | None = None,
) -> Any:
    return policies_list(
        request.user, q=q, subject_type=subject_type or "", mode=mode or "", state=state or ""
    )


@router.get("/policies/{policy_id}", response=PolicyDetailOut)
def get_policy_detail(request: SignedInRequest, policy_id: int) -> dict[str, Any]:
    return _detail(get_policy(request.user, policy_id))


@router.post("/policies", response={201: PolicyDetailOut, 400: Message})
def create_policy(request: SignedInRequest, payload: PolicyIn) -> Status[dict[str, Any]]:
    region = get_scoped(
        Region.objects.all(), request.user, Perm.POLICY_MANAGE, "path", code=payload.region_code
    )
    data = payload.dict()
    for key in ("code", "region_code", "subject_type"):
        data.pop(key)
    data["lead_unit"] = services.lead_unit_of(data.pop("lead_unit_id"))
    policy = services.policy_create(
        actor=request.user,
        region=region,
        code=payload.code,
        subject_type=payload.subject_type,
        **data,
    )
    return Status(201, _detail(policy))


# The fields a PATCH may set to null (none); null elsewhere means "keep it".
_NULLABLE = {"budget_fen", "period_start", "period_end", "lead_unit_id"}


@router.patch("/policies/{policy_id}", response={200: PolicyDetailOut, 400: Message, 409: Message})
def update_policy(request: SignedInRequest, policy_id: int, payload: PolicyPatch) -> dict[str, Any]:
    """Change a policy's catalogue entry, its lead department (牵头部门) among it."""
    policy = get_policy(request.user, policy_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    data = {k: v for k, v in data.items() if v is not None or k in _NULLABLE}
    if "lead_unit_id" in data:
        data["lead_unit"] = services.lead_unit_of(data.pop("lead_unit_id"))
    policy = services.policy_update(actor=request.user, policy=policy, version=version, **data)
    return _detail(policy)


@router.post(
    "/policies/{policy_id}/source-file",
    response={200: PolicyDetailOut, 400: Message, 409: Message},
)
def upload_source_file(request: SignedInRequest, policy_id: int) -> dict[str, Any]:
    """Upload the policy's issuing document (multipart/form-data): ``file`` (PDF, JPEG or
    PNG, checked by content and size) and the policy's ``version``; it replaces the one kept."""
    policy = get_policy(request.user, policy_id)
    try:
        version = int(str(request.POST.get("version", "")))
    except ValueError as exc:
        raise DomainError("version is required.") from exc
    f = request.FILES.get("file")
    if f is None:
        raise DomainError("file is required.")
    policy = services.policy_update(
        actor=request.user,
        policy=policy,
        version=version,
        source_file=Upload(f.name or "", f.read(MAX_BYTES + 1)),
    )
    return _detail(policy)


@router.get("/policies/{policy_id}/source-file")
def download_source_file(request: SignedInRequest, policy_id: int) -> HttpResponse:
    """The policy's issuing document, to whoever may see the policy."""
    found = source_file_of(get_policy(request.user, policy_id), with_data=True)
    if found is None:
        raise Http404
    return download_response(bytes(found.data), found.content_type, f"policy-{policy_id}-source")


@router.post("/policies/{policy_id}/drafts", response={201: VersionOut, 400: Message})
def create_draft(request: SignedInRequest, policy_id: int) -> Status[dict[str, Any]]:
    draft = services.draft_create(actor=request.user, policy=get_policy(request.user, policy_id))
    return Status(201, {k: getattr(draft, k) for k in VersionOut.model_fields})


@router.put("/policies/versions/{version_id}", response={200: VersionOut, 400: Message})
def update_draft(request: SignedInRequest, version_id: int, payload: DraftIn) -> dict[str, Any]:
    draft = services.draft_update(
        actor=request.user,
        draft=get_version(request.user, version_id),
        edit_version=payload.edit_version,
        definition=payload.definition,
        note=payload.note,
    )
    return {k: getattr(draft, k) for k in VersionOut.model_fields}


@router.post("/policies/versions/{version_id}/publish", response={200: VersionOut, 400: Message})
def publish_version(
    request: SignedInRequest, version_id: int, payload: PublishIn
) -> dict[str, Any]:
    version = services.publish(
        actor=request.user,
        draft=get_version(request.user, version_id),
        effective_from=payload.effective_from,
        effective_to=payload.effective_to,
    )
    return {k: getattr(version, k) for k in VersionOut.model_fields}


@router.get("/policies/versions/{version_id}/simulation", response=SimulationOut)
def simulate_version(request: SignedInRequest, version_id: int) -> dict[str, Any]:
    result = simulate(request.user, get_version(request.user, version_id), timezone.localdate())
    return {
        "total": _tally(result.total),
        "streets": [_tally(t) for t in result.streets],
        "industries": [_tally(t) for t in result.industries],
        "batch": result.batch,
    }


@router.get("/talents/{talent_id}/policies", response=EligibilityOut)
def talent_policies(request: SignedInRequest, talent_id: int) -> dict[str, Any]:
    """Every policy in force for the talent: met, not met or unknown with the facts missing."""
    talent = get_talent(request.user, talent_id)
    return _eligibility(policies_for("talent", talent, timezone.localdate()))


@router.get("/enterprises/{enterprise_id}/policies", response=EligibilityOut)
def enterprise_policies(request: SignedInRequest, enterprise_id: int) -> dict[str, Any]:
    enterprise = get_enterprise(request.user, enterprise_id)
    return _eligibility(policies_for("enterprise", enterprise, timezone.localdate()))
