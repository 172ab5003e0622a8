"""Region tree, service positions and the caller's own identity."""

from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from gridlight.api.pagination import Pagination
from gridlight.core import services
from gridlight.core.access import (
    Perm,
    SignedInRequest,
    assignment_regions,
    assignments,
    get_scoped,
    require,
)
from gridlight.core.models import PositionKind, Region, ServicePosition
from gridlight.core.models.regions import LEVEL_SLUGS
from gridlight.core.selectors import (
    NodeCounts,
    positions_list,
    region_by_code,
    region_children,
    region_node_counts,
    regions_list,
)

router = Router(tags=["core"])

LevelSlug = Literal["district", "street", "community", "grid"]
LEVEL_NAMES = {v: k for k, v in LEVEL_SLUGS.items()}


class AssignmentOut(Schema):
    role: str
    region_code: str | None
    region_name: str | None
    write_region_code: str | None


class MeOut(Schema):
    username: str
    display_name: str
    assignments: list[AssignmentOut]


class CountsOut(Schema):
    streets: int = 0
    communities: int = 0
    grids: int = 0
    positions: dict[str, int] = Field(default_factory=dict)


class RegionOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    level: LevelSlug
    parent_id: int | None
    path: str
    version: int

    @staticmethod
    def resolve_level(obj: Region) -> str:
        return LEVEL_NAMES[obj.level]


class RegionDetailOut(RegionOut):
    counts: CountsOut


class RegionChildOut(RegionOut):
    counts: CountsOut


class RegionIn(Schema):
    parent_id: int
    kind: str
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    sort_order: int = Field(0, ge=0)


class RegionPatch(Schema):
    version: int
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    kind: str
    sort_order: int = Field(0, ge=0)


class PositionOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    region_id: int
    region_code: str
    address: str
    longitude: Decimal | None
    latitude: Decimal | None
    opening_hours: str
    services: list[str]
    phone: str
    version: int

    @staticmethod
    def resolve_region_code(obj: ServicePosition) -> str:
        return obj.region.code


class PositionIn(Schema):
    region_code: str
    kind: PositionKind
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=120)
    address: str = Field("", max_length=200)
    longitude: Decimal | None = Field(None, ge=-180, le=180)
    latitude: Decimal | None = Field(None, ge=-90, le=90)
    opening_hours: str = Field("", max_length=100)
    services: list[str] = Field(default_factory=list)
    phone: str = Field("", max_length=30)


class PositionUpdate(PositionIn):
    version: int


class Message(Schema):
    detail: str


def _counts(c: NodeCounts) -> CountsOut:
    return CountsOut(
        streets=c.levels.get(1, 0),
        communities=c.levels.get(2, 0),
        grids=c.levels.get(3, 0),
        positions=dict(c.positions),
    )


def _with_counts(r: Region, counts: NodeCounts) -> Region:
    r.counts = _counts(counts)  # type: ignore[attr-defined]
    return r


@router.get("/me", response=MeOut, summary="Who am I: roles and scope")
def me(request: SignedInRequest) -> dict[str, Any]:
    user = request.user
    held = assignments(user)
    regions = assignment_regions(held)

    def region(pk: int | None) -> Region | None:
        return regions.get(pk) if pk is not None else None

    return {
        "username": user.get_username(),
        "display_name": getattr(user, "display_name", ""),
        "assignments": [
            {
                "role": a.role,
                "region_code": getattr(region(a.region_id), "code", None),
                "region_name": getattr(region(a.region_id), "name", None),
                "write_region_code": getattr(region(a.write_region_id), "code", None),
            }
            for a in held
        ],
    }


@router.get("/regions", response=list[RegionOut], summary="Regions in scope")
@paginate(Pagination)
def list_regions(
    request: SignedInRequest, level: LevelSlug | None = None, q: str = "", parent: int | None = None
) -> Any:
    qs = regions_list(request.user, level=LEVEL_SLUGS[level] if level else None, q=q)
    if parent is not None:
        qs = qs.filter(parent_id=parent)
    return qs


@router.get("/regions/{region_id}", response=RegionDetailOut)
def get_region(request: SignedInRequest, region_id: int) -> Region:
    region = get_scoped(Region.objects.all(), request.user, Perm.REGION_VIEW, "path", pk=region_id)
    return _with_counts(region, region_node_counts(region))


@router.get("/regions/{region_id}/children", response=list[RegionChildOut])
def get_region_children(request: SignedInRequest, region_id: int) -> list[Region]:
    region = get_scoped(Region.objects.all(), request.user, Perm.REGION_VIEW, "path", pk=region_id)
    return [_with_counts(row.region, row.counts) for row in region_children(region)]


@router.post("/regions", response={201: RegionOut, 400: Message, 403: Message, 409: Message})
def create_region(request: SignedInRequest, payload: RegionIn) -> Status[Region]:
    parent = get_scoped(
        Region.objects.all(), request.user, Perm.REGION_CHANGE, "path", pk=payload.parent_id
    )
    region = services.region_create(
        actor=request.user,
        parent=parent,
        kind=payload.kind,
        code=payload.code,
        name=payload.name,
        sort_order=payload.sort_order,
    )
    return Status(201, region)


@router.patch("/regions/{region_id}", response={200: RegionOut, 400: Message, 409: Message})
def update_region(request: SignedInRequest, region_id: int, payload: RegionPatch) -> Region:
    region = get_scoped(
        Region.objects.select_related("parent"),
        request.user,
        Perm.REGION_CHANGE,
        "path",
        pk=region_id,
    )
    region = services.region_update(
        actor=request.user,
        region=region,
        version=payload.version,
        code=payload.code,
        name=payload.name,
        kind=payload.kind,
        sort_order=payload.sort_order,
    )
    return region


@router.get("/positions", response=list[PositionOut], summary="Service positions in scope")
@paginate(Pagination)
def list_positions(
    request: SignedInRequest, kind: PositionKind | None = None, region: str = "", q: str = ""
) -> Any:
    under = None
    if region:
        under = region_by_code(request.user, Perm.REGION_VIEW, region)
        if under is None:
            return ServicePosition.objects.none()
    return positions_list(request.user, q=q, kind=kind.value if kind else "", region=under)


@router.get("/positions/{position_id}", response=PositionOut)
def get_position(request: SignedInRequest, position_id: int) -> ServicePosition:
    p = get_scoped(
        ServicePosition.objects.select_related("region"),
        request.user,
        Perm.POSITION_VIEW,
        pk=position_id,
    )
    return p


def _target_region(request: HttpRequest, code: str) -> Region:
    return get_scoped(Region.objects.all(), request.user, Perm.POSITION_CHANGE, "path", code=code)


@router.post("/positions", response={201: PositionOut, 400: Message, 403: Message})
def create_position(request: SignedInRequest, payload: PositionIn) -> Status[ServicePosition]:
    require(request.user, Perm.POSITION_CHANGE)
    data = payload.dict()
    region = _target_region(request, data.pop("region_code"))
    data["kind"] = payload.kind.value
    p = services.position_create(actor=request.user, region=region, **data)
    return Status(201, p)


@router.put("/positions/{position_id}", response={200: PositionOut, 400: Message, 409: Message})
def update_position(
    request: SignedInRequest, position_id: int, payload: PositionUpdate
) -> ServicePosition:
    p = get_scoped(
        ServicePosition.objects.select_related("region"),
        request.user,
        Perm.POSITION_CHANGE,
        pk=position_id,
    )
    data = payload.dict()
    region = _target_region(request, data.pop("region_code"))
    version = data.pop("version")
    data["kind"] = payload.kind.value
    p = services.position_update(
        actor=request.user, position=p, version=version, region=region, **data
    )
    return p


@router.delete("/positions/{position_id}", response={204: None})
def delete_position(request: SignedInRequest, position_id: int) -> Status[None]:
    p = get_scoped(
        ServicePosition.objects.select_related("region"),
        request.user,
        Perm.POSITION_CHANGE,
        pk=position_id,
    )
    services.position_delete(actor=request.user, position=p)
    return Status(204, None)
