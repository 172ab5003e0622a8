"""Matching and precise push: a policy's matches (filters, pages), one talent's or enterprise's
stored matches with their tracking, the reminder worklist, push KPIs per policy, street and
month, and "policies for me" (``/me/policies``: the caller's own, no staff names). The same
access functions and selectors as the pages; amounts in integer fen."""

from datetime import date, datetime
from typing import Any, Literal

from django.http import Http404
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from gridlight.api.pagination import Pagination
from gridlight.core.access import SignedInRequest
from gridlight.policies import matching, tracking
from gridlight.policies.access import get_policy
from gridlight.policies.models import Match
from gridlight.talent.access import get_enterprise, get_talent
from gridlight.talent.models import Talent
from gridlight.talent.portal import portal_record

router = Router(tags=["policy matching and push"])


class MatchOut(Schema):
    id: int
    subject_type: str
    subject_id: int
    policy_id: int
    policy_code: str
    version: int
    state: str
    status: str
    offered: bool
    superseded_by: str
    amount_fen: int | None
    missing: list[str]
    is_new: bool
    explanation: dict[str, Any]
    matched_at: datetime | None
    pushed_at: datetime | None
    opened_at: datetime | None
    applied_at: datetime | None

    @staticmethod
    def resolve_policy_code(obj: Match) -> str:
        return obj.policy.code

    @staticmethod
    def resolve_version(obj: Match) -> int:
        return obj.version.number


class MatchFilterIn(Schema):
    state: Literal["", "met", "unknown", "not_met"] = ""
    status: Literal["", "current", "withdrawn", "superseded"] = ""
    tracking: Literal["", "pushed", "not_pushed", "opened", "applied", "reminder"] = ""
    street: str = ""
    new: bool = False


class KpiOut(Schema):
    policy: str
    street: str
    industry: str
    month: str
    pushes: int
    opened: int
    applied: int
    reach: float | None


class MineOut(Schema):
    policy_code: str
    title: str
    issuer: str
    doc_number: str
    mode: str
    state: str
    amount_fen: int | None
    missing: list[str]
    materials: list[str]
    applied_at: datetime | None


@router.get("/policies/{policy_id}/matches", response=list[MatchOut])
@paginate(Pagination)
def policy_matches(request: SignedInRequest, policy_id: int, filters: Query[MatchFilterIn]) -> Any:
    """One policy's matches in the caller's scope (superseded ones only when asked for)."""
    policy = get_policy(request.user, policy_id)
    f = tracking.MatchFilter(**filters.dict())
    return tracking.policy_matches(request.user, policy, f).select_related("policy")


@router.get("/talents/{talent_id}/matches", response=list[MatchOut])
def talent_matches(request: SignedInRequest, talent_id: int) -> Any:
    talent = get_talent(request.user, talent_id)
    return list(tracking.subject_matches("talent", talent.pk))


@router.get("/enterprises/{enterprise_id}/matches", response=list[MatchOut])
def enterprise_matches(request: SignedInRequest, enterprise_id: int) -> Any:
    enterprise = get_enterprise(request.user, enterprise_id)
    return list(tracking.subject_matches("enterprise", enterprise.pk))


@router.get("/policy-reminders", response=list[MatchOut])
@paginate(Pagination)
def reminders(request: SignedInRequest) -> Any:
    """Pushed, neither opened nor applied after the configured working days."""
    return tracking.reminders(request.user).select_related("version")


@router.get("/policy-pushes/kpi", response=list[KpiOut])
def push_kpi(request: SignedInRequest, since: date | None = None, by_industry: bool = False) -> Any:
    """Pushes, opened, applied per policy, street and month (and the subject's industry with
    ``by_industry``; else ``industry`` is empty)."""
    rows = tracking.push_kpis(request.user, since=since, industry=by_industry)
    return [{**r.__dict__, "reach": r.reach} for r in rows]


@router.get("/me/policies", response=list[MineOut])
def my_policies(request: SignedInRequest) -> Any:
    """The caller's own matched and possibly matched policies; reading them marks the pushed
    ones opened."""
    record = portal_record(request.user)
    if record is None:
        raise Http404
    subject_type = "talent" if isinstance(record, Talent) else "enterprise"
    matching.mark_opened(subject_type, record.pk)
    return [
        {
            "policy_code": m.match.policy.code,
            "title": m.match.policy.title,
            "issuer": m.match.policy.issuer,
            "doc_number": m.match.policy.doc_number,
            "mode": m.match.policy.mode,
            "state": m.state,
            "amount_fen": m.match.amount_fen,
            "missing": m.missing_labels,
            "materials": list(m.match.policy.materials or []),
            "applied_at": m.match.applied_at,
        }
        for m in tracking.my_policies(subject_type, record.pk)
    ]
