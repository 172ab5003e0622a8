"""Households, the traffic light, visits and the worklist, scoped exactly like the pages."""

from datetime import date
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from gridlight.api.pagination import Pagination
from gridlight.core.access import Perm, SignedInRequest, get_scoped
from gridlight.core.models import Region
from gridlight.core.selectors import region_by_code
from gridlight.households import personal, services
from gridlight.households.classify import explain
from gridlight.households.models import Household, Relation, Resident, ResidentStatus
from gridlight.households.selectors import households_list, light_counts_by_child, worklist

router = Router(tags=["households"])

LightName = Literal["red", "yellow", "green"]


class Message(Schema):
    detail: str


class HouseholdOut(Schema):
    id: int
    code: str
    grid_code: str
    address: str
    status: str
    light: str
    computed_light: str
    reasons: list[str]
    override_light: str
    override_until: date | None
    next_visit_due: date | None
    last_visit_on: date | None
    version: int

    @staticmethod
    def resolve_grid_code(obj: Any) -> str:
        return obj["grid_code"] if isinstance(obj, dict) else str(obj.grid.code)


class MemberOut(Schema):
    """A member as anyone who may view the household sees them: age, not the birth date, beside
    the masked ID number (the two together would give the number back)."""

    id: int
    name: str
    relation: str
    status: str
    age: int | None
    sex: str
    id_number_masked: str
    phone_masked: str


class RuleFired(Schema):
    code: str
    label: str
    outcome: str
    explanation: str
    seen: dict[str, Any]


class HouseholdDetailOut(HouseholdOut):
    members: list[MemberOut]
    rule_version: int
    fired: list[RuleFired]
    missing_information: list[str]


class MemberIn(Schema):
    name: str = Field(min_length=1, max_length=60)
    id_number: str = ""
    phone: str = ""
    relation: Relation = Relation.OTHER  # the list the service checks (relation_problem)
    attributes: dict[str, int | None] = Field(default_factory=dict)


class HouseholdIn(Schema):
    grid_code: str
    code: str = Field(min_length=1, max_length=40)
    address: str = Field(min_length=1, max_length=200)
    attributes: list[str] = Field(default_factory=list)
    members: list[MemberIn] = Field(min_length=1)


class VisitIn(Schema):
    method: Literal["home", "phone", "message"]
    visited_on: date
    notes: str = ""
    problems: str = ""


class MoveIn(Schema):
    grid_code: str = Field(min_length=1, max_length=40)
    version: int


class OverrideIn(Schema):
    light: LightName
    reason: str = Field(min_length=1, max_length=200)
    until: date


class LightCountsOut(Schema):
    region_code: str
    region_name: str
    red: int
    yellow: int
    green: int
    overdue: int
    visited_30d: int


class RevealOut(Schema):
    value: str


def _household(request: HttpRequest, pk: int, perm: Perm = Perm.HOUSEHOLD_VIEW) -> Household:
    return get_scoped(
        Household.objects.select_related("grid", "light_version"), request.user, perm, pk=pk
    )


def _detail(h: Household) -> dict[str, Any]:
    version, evaluation = explain(h)
    today = timezone.localdate()
    members = []
    for r in h.residents.filter(status=ResidentStatus.PRESENT).order_by("id"):
        seen = personal.shown(r, today)
        members.append(
            {
                "id": r.pk,
                "name": r.name,
                "relation": r.relation,
                "status": r.status,
                "age": seen.age,
                "sex": seen.sex,
                "id_number_masked": seen.id_masked,
                "phone_masked": seen.phone_masked,
            }
        )
    data: dict[str, Any] = {
        name: getattr(h, name) for name in HouseholdOut.model_fields if name != "grid_code"
    }
    data.update(
        grid_code=h.grid.code,
        members=members,
        rule_version=version.number,
        fired=[
            {
                "code": r.code,
                "label": r.label,
                "outcome": r.outcome,
                "explanation": r.verdict.label,
                "seen": {str(k): v for k, v in r.verdict.seen.items()},
            }
            for r in evaluation.fired
        ],
        missing_information=[r.label for r in evaluation.unknown],
    )
    return data


@router.get("/households", response=list[HouseholdOut], summary="Households in scope")
@paginate(Pagination)
def list_households(
    request: SignedInRequest,
    q: str = "",
    light: LightName | None = None,
    attribute: str = "",
    region: str = "",
) -> Any:
    under = None
    if region:
        under = region_by_code(request.user, Perm.HOUSEHOLD_VIEW, region)
        if under is None:
            return Household.objects.none()
    return households_list(
        request.user, q=q, light=light or "", attribute=attribute, region=under
    ).select_related("grid")


@router.get("/households/{household_id}", response=HouseholdDetailOut)
def get_household(request: SignedInRequest, household_id: int) -> dict[str, Any]:
    return _detail(_household(request, household_id))


@router.post("/households", response={201: HouseholdDetailOut, 400: Message})
def register_household(request: SignedInRequest, payload: HouseholdIn) -> Status[dict[str, Any]]:
    grid = get_scoped(
        Region.objects.all(), request.user, Perm.HOUSEHOLD_CHANGE, "path", code=payload.grid_code
    )
    h = services.household_register(
        actor=request.user,
        grid=grid,
        code=payload.code,
        address=payload.address,
        attributes=payload.attributes,
        members=[services.MemberInput(**m.dict()) for m in payload.members],
    )
    return Status(201, _detail(_household(request, h.pk)))


@router.post("/households/{household_id}/visits", response={201: Message, 400: Message})
def record_visit(
    request: SignedInRequest, household_id: int, payload: VisitIn
) -> Status[dict[str, str]]:
    h = _household(request, household_id, Perm.VISIT_RECORD)
    services.visit_record(actor=request.user, household=h, **payload.dict())
    return Status(201, {"detail": "recorded"})


@router.post(
    "/households/{household_id}/override", response={200: HouseholdDetailOut, 400: Message}
)
def override_light(
    request: SignedInRequest, household_id: int, payload: OverrideIn
) -> dict[str, Any]:
    h = _household(request, household_id, Perm.HOUSEHOLD_CHANGE)
    services.household_override(actor=request.user, household=h, **payload.dict())
    return _detail(_household(request, household_id))


@router.post(
    "/households/{household_id}/move",
    response={200: HouseholdDetailOut, 400: Message, 409: Message},
    summary="Move a household to another grid, with its members, visits and light history",
)
def move_household(request: SignedInRequest, household_id: int, payload: MoveIn) -> dict[str, Any]:
    h = _household(request, household_id, Perm.HOUSEHOLD_CHANGE)
    grid = get_scoped(
        Region.objects.all(), request.user, Perm.HOUSEHOLD_CHANGE, "path", code=payload.grid_code
    )
    services.household_move(actor=request.user, household=h, version=payload.version, grid=grid)
    return _detail(_household(request, household_id))


@router.post(
    "/households/{household_id}/members/{member_id}/reveal",
    response=RevealOut,
    summary="The full ID or phone number (audited)",
)
def reveal(
    request: SignedInRequest, household_id: int, member_id: int, what: Literal["id_number", "phone"]
) -> dict[str, str]:
    resident = get_scoped(
        Resident.objects.select_related("household"),
        request.user,
        Perm.PERSONAL_REVEAL,
        "household__region_path",
        pk=member_id,
        household_id=household_id,
    )
    return {"value": services.reveal(actor=request.user, resident=resident, what=what)}


@router.get(
    "/worklist",
    response=dict[str, list[HouseholdOut]],
    summary="Visits overdue, due today and due this week",
)
def my_worklist(request: SignedInRequest) -> dict[str, list[Household]]:
    from gridlight.core.access import require

    require(request.user, Perm.VISIT_RECORD)
    return worklist(request.user)


@router.get(
    "/lights",
    response=list[LightCountsOut],
    summary="Lights, overdue visits and coverage per child region",
)
def light_counts(request: SignedInRequest, region: str) -> list[dict[str, Any]]:
    node = get_scoped(Region.objects.all(), request.user, Perm.HOUSEHOLD_VIEW, "path", code=region)
    total, children = light_counts_by_child(request.user, node)
    rows = [(node, total), *children]
    return [
        {
            "region_code": r.code,
            "region_name": r.name,
            "red": n.red,
            "yellow": n.yellow,
            "green": n.green,
            "overdue": n.overdue,
            "visited_30d": n.visited_30d,
        }
        for r, n in rows
    ]


class RuleVersionOut(Schema):
    id: int
    number: int
    status: str
    effective_from: date | None
    effective_to: date | None
    note: str
    definition: dict[str, Any]


class AreaOut(Schema):
    region_code: str | None
    region_name: str | None
    households: int
    before: dict[str, int]
    after: dict[str, int]
    changing: int


class SimulationOut(Schema):
    households: int
    changing: int
    seconds: float
    areas: list[AreaOut]


class AttributeOut(Schema):
    code: str
    name: str
    name_en: str
    applies_to: str
    graded: bool
    active: bool


class PackageOut(Schema):
    light: str
    visit_interval_days: int
    items: list[str]


def _rule_versions() -> Any:
    from gridlight.rules.models import RuleSetVersion

    return RuleSetVersion.objects.filter(rule_set__code="traffic_light")


@router.get(
    "/traffic-light/versions",
    response=list[RuleVersionOut],
    summary="Versions of the traffic-light rule set",
)
def rule_versions(request: SignedInRequest) -> Any:
    from gridlight.core.access import require

    require(request.user, Perm.HOUSEHOLD_VIEW)
    return _rule_versions().order_by("-number")


@router.post(
    "/traffic-light/versions/{version_id}/simulate",
    response=SimulationOut,
    summary="Preview a version against today's data (changes nothing)",
)
def simulate_version(request: SignedInRequest, version_id: int) -> dict[str, Any]:
    from django.http import Http404

    from gridlight.households.classify import require_rules_scope
    from gridlight.households.simulate import simulate

    require_rules_scope(request.user)
    version = _rule_versions().filter(pk=version_id).first()
    if version is None:
        raise Http404
    result = simulate(request.user, version)
    return {
        "households": result.total.total,
        "changing": result.total.changed,
        "seconds": round(result.seconds, 3),
        "areas": [
            {
                "region_code": a.region.code if a.region else None,
                "region_name": a.region.name if a.region else None,
                "households": a.total,
                "before": a.before,
                "after": a.after,
                "changing": a.changed,
            }
            for a in result.areas
        ],
    }


@router.get("/traffic-light/attributes", response=list[AttributeOut])
def attributes(request: SignedInRequest) -> Any:
    from gridlight.core.access import require
    from gridlight.households.models import Attribute

    require(request.user, Perm.HOUSEHOLD_VIEW)
    return Attribute.objects.all()


@router.get("/traffic-light/packages", response=list[PackageOut])
def packages(request: SignedInRequest) -> Any:
    from gridlight.core.access import require
    from gridlight.households.models import ServicePackage

    require(request.user, Perm.HOUSEHOLD_VIEW)
    return ServicePackage.objects.all()
