"""Enterprises and talents, read and written through the same access functions, selectors and
services as the pages. A talent or enterprise user (public role) sees its own record only."""

from datetime import date
from typing import Any, Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from gridlight.api.pagination import Pagination
from gridlight.core.access import Perm, SignedInRequest, get_scoped, require
from gridlight.core.industries import Industry
from gridlight.core.models import Region, RegionLevel, User
from gridlight.talent import selectors, services
from gridlight.talent.access import get_enterprise, get_talent
from gridlight.talent.models import (
    Degree,
    Enterprise,
    ListingStage,
    PlatformKind,
    PlatformLevel,
    TagKind,
    TagLevel,
    Talent,
    TalentLevel,
    TalentOrigin,
)

router = Router(tags=["talent"])


class Message(Schema):
    detail: str


class TagSchema(Schema):
    kind: TagKind
    level: TagLevel = TagLevel.NONE
    stage: ListingStage = ListingStage.NONE
    year: int
    on: date | None = None


class PlatformSchema(Schema):
    name: str = Field(min_length=1, max_length=120)
    kind: PlatformKind
    level: PlatformLevel
    year: int


class EnterpriseOut(Schema):
    id: int
    name: str
    credit_code: str
    industry: str
    street_code: str
    address: str
    headcount: int | None
    revenue_yuan: int | None
    revenue_year: int | None
    commissioner: str | None
    next_contact_due: date | None
    version: int

    @staticmethod
    def resolve_street_code(obj: Enterprise) -> str:
        return str(obj.street.code)

    @staticmethod
    def resolve_commissioner(obj: Enterprise) -> str | None:
        return obj.commissioner.get_username() if obj.commissioner else None


class EnterpriseDetailOut(EnterpriseOut):
    tags: list[TagSchema]
    platforms: list[PlatformSchema]

    @staticmethod
    def resolve_tags(obj: Enterprise) -> list[Any]:
        return list(obj.tags.all())

    @staticmethod
    def resolve_platforms(obj: Enterprise) -> list[Any]:
        return list(obj.platforms.all())


class EnterpriseIn(Schema):
    name: str = Field(max_length=120)
    credit_code: str = Field(max_length=40)
    industry: str
    street_code: str = Field(max_length=40)
    address: str = Field("", max_length=200)
    headcount: int | None = Field(None, le=10_000_000)
    revenue_yuan: int | None = Field(None, le=10**15)
    revenue_year: int | None = None
    tags: list[TagSchema] = Field(default_factory=list)
    platforms: list[PlatformSchema] = Field(default_factory=list)


class EnterpriseCreateIn(EnterpriseIn):
    commissioner_id: int | None = None


class EnterpriseUpdateIn(EnterpriseIn):
    version: int


class ChildOut(Schema):
    name: str
    age: int | None
    school_stage: str
    grade: int | None


class TalentOut(Schema):
    """Masked numbers with age and sex, never the birth date (the two together would give the
    number back); the full number only through the audited reveal."""

    id: int
    name: str
    level: str
    origin: str
    degree: str
    field: str
    street_code: str
    employer_id: int | None
    employer_name: str
    commissioner: str | None
    next_contact_due: date | None
    version: int

    @staticmethod
    def resolve_street_code(obj: Any) -> str:
        return str(obj["street_code"] if isinstance(obj, dict) else obj.street.code)

    @staticmethod
    def resolve_employer_name(obj: Any) -> str:
        if isinstance(obj, dict):
            return str(obj["employer_name"])
        return str(obj.employer.name if obj.employer else obj.employer_name)

    @staticmethod
    def resolve_commissioner(obj: Any) -> str | None:
        name = obj["commissioner"] if isinstance(obj, dict) else obj.commissioner
        return str(name.get_username() if hasattr(name, "get_username") else name) if name else None


class TalentDetailOut(TalentOut):
    id_number_masked: str
    phone_masked: str
    age: int | None
    sex: str
    arrived_on: date | None
    spouse_employment: str
    housing: str
    children: list[ChildOut]


class ChildIn(Schema):
    name: str = Field("", max_length=60)
    birth_date: date


class TalentIn(Schema):
    name: str = Field(max_length=60)
    id_number: str = Field("", max_length=30)
    phone: str = Field("", max_length=30)
    street_code: str = Field(max_length=40)
    level: str
    origin: str = ""
    degree: str = ""
    field: str = Field("", max_length=60)
    employer_code: str = Field("", max_length=40)
    employer_name: str = Field("", max_length=120)
    arrived_on: date | None = None
    spouse_employment: str = ""
    housing: str = ""
    children: list[ChildIn] = Field(default_factory=list)


class TalentCreateIn(TalentIn):
    commissioner_id: int | None = None


class TalentUpdateIn(TalentIn):
    version: int


class RevealOut(Schema):
    value: str


# --- helpers -----------------------------------------------------------------------------------


def _street(request: SignedInRequest, code: str) -> Region:
    street = Region.objects.filter(code=code.strip(), level=RegionLevel.STREET).first()
    if street is None:
        raise services.FieldError("street", "street_code", _("no street with this code."))
    return street


def _commissioner(pk: int | None) -> User | None:
    if pk is None:
        return None
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise services.FieldError("commissioner", "commissioner_id", _("no such user."))
    return user


def _enterprise_input(
    request: SignedInRequest, payload: EnterpriseIn, commissioner: User | None = None
) -> services.EnterpriseInput:
    return services.EnterpriseInput(
        name=payload.name,
        credit_code=payload.credit_code,
        industry=payload.industry,
        street=_street(request, payload.street_code),
        address=payload.address,
        headcount=payload.headcount,
        revenue_yuan=payload.revenue_yuan,
        revenue_year=payload.revenue_year,
        tags=[services.TagInput(**t.dict()) for t in payload.tags],
        platforms=[services.PlatformInput(**p.dict()) for p in payload.platforms],
        commissioner=commissioner,
    )


def _talent_input(
    request: SignedInRequest, payload: TalentIn, commissioner: User | None = None
) -> services.TalentInput:
    return services.TalentInput(
        name=payload.name,
        id_number=payload.id_number,
        phone=payload.phone,
        street=_street(request, payload.street_code),
        level=payload.level,
        origin=payload.origin,
        degree=payload.degree,
        field=payload.field,
        employer=services.employer_by_code(request.user, payload.employer_code),
        employer_name=payload.employer_name,
        arrived_on=payload.arrived_on,
        spouse_employment=payload.spouse_employment,
        housing=payload.housing,
        children=[
            services.ChildInput(name=c.name, birth_date=c.birth_date) for c in payload.children
        ],
        commissioner=commissioner,
    )


def _talent_detail(t: Talent) -> dict[str, Any]:
    today = timezone.localdate()
    seen = selectors.shown_talent(t, today)
    data = TalentOut.from_orm(t).dict()
    data.update(
        id_number_masked=seen.id_masked,
        phone_masked=seen.phone_masked,
        age=seen.age,
        sex=seen.sex,
        arrived_on=t.arrived_on,
        spouse_employment=t.spouse_employment,
        housing=t.housing,
        children=[
            {
                "name": row.child.name,
                "age": row.stage.age,
                "school_stage": row.stage.stage.value,
                "grade": row.stage.grade,
            }
            for row in selectors.children_of(t, today)
        ],
    )
    return data


def _talent(request: SignedInRequest, pk: int) -> Talent:
    get_talent(request.user, pk)  # 404 unless visible
    return Talent.objects.select_related("street", "employer", "commissioner").get(pk=pk)


def _enterprise(request: SignedInRequest, pk: int) -> Enterprise:
    get_enterprise(request.user, pk)
    return Enterprise.objects.select_related("street", "commissioner").get(pk=pk)


# --- enterprises -------------------------------------------------------------------------------


@router.get("/enterprises", response=list[EnterpriseOut], summary="Enterprises you may see")
@paginate(Pagination)
def list_enterprises(
    request: SignedInRequest,
    q: str = "",
    industry: Industry | None = None,
    tag: TagKind | None = None,
    tag_level: TagLevel | None = None,
    street: str = "",
    commissioner_id: int | None = None,
) -> Any:
    under = None
    if street:
        under = Region.objects.filter(code=street, level=RegionLevel.STREET).first()
        if under is None:
            return Enterprise.objects.none()
    return selectors.enterprise_list(
        request.user,
        selectors.EnterpriseFilter(
            q=q,
            industry=industry or "",
            tag=tag or "",
            tag_level=tag_level or "",
            street=under,
            commissioner=commissioner_id,
        ),
    )


@router.get("/enterprises/{enterprise_id}", response=EnterpriseDetailOut)
def get_enterprise_detail(request: SignedInRequest, enterprise_id: int) -> Enterprise:
    return _enterprise(request, enterprise_id)


@router.post("/enterprises", response={201: EnterpriseDetailOut, 400: Message, 403: Message})
def create_enterprise(request: SignedInRequest, payload: EnterpriseCreateIn) -> Status[Enterprise]:
    require(request.user, Perm.TALENT_CHANGE)
    data = _enterprise_input(request, payload, _commissioner(payload.commissioner_id))
    e = services.enterprise_create(actor=request.user, data=data)
    return Status(201, _enterprise(request, e.pk))


@router.put(
    "/enterprises/{enterprise_id}",
    response={200: EnterpriseDetailOut, 400: Message, 403: Message, 409: Message},
)
def update_enterprise(
    request: SignedInRequest, enterprise_id: int, payload: EnterpriseUpdateIn
) -> Enterprise:
    require(request.user, Perm.TALENT_CHANGE)
    e = get_enterprise(request.user, enterprise_id)
    services.enterprise_update(
        actor=request.user,
        enterprise=e,
        version=payload.version,
        data=_enterprise_input(request, payload),
    )
    return _enterprise(request, enterprise_id)


# --- talents -----------------------------------------------------------------------------------


@router.get("/talents", response=list[TalentOut], summary="Talents you may see")
@paginate(Pagination)
def list_talents(
    request: SignedInRequest,
    q: str = "",
    level: TalentLevel | None = None,
    origin: TalentOrigin | None = None,
    degree: Degree | None = None,
    street: str = "",
    employer_id: int | None = None,
    commissioner_id: int | None = None,
    overdue: bool = False,
) -> Any:
    under = None
    if street:
        under = Region.objects.filter(code=street, level=RegionLevel.STREET).first()
        if under is None:
            return Talent.objects.none()
    return selectors.talent_list(
        request.user,
        selectors.TalentFilter(
            q=q,
            level=level or "",
            origin=origin or "",
            degree=degree or "",
            street=under,
            employer=employer_id,
            commissioner=commissioner_id,
            overdue=overdue,
        ),
    )


@router.get("/talents/{talent_id}", response=TalentDetailOut)
def get_talent_detail(request: SignedInRequest, talent_id: int) -> dict[str, Any]:
    return _talent_detail(_talent(request, talent_id))


@router.post("/talents", response={201: TalentDetailOut, 400: Message, 403: Message})
def create_talent(request: SignedInRequest, payload: TalentCreateIn) -> Status[dict[str, Any]]:
    require(request.user, Perm.TALENT_CHANGE)
    data = _talent_input(request, payload, _commissioner(payload.commissioner_id))
    t = services.talent_create(actor=request.user, data=data)
    return Status(201, _talent_detail(_talent(request, t.pk)))


@router.put(
    "/talents/{talent_id}",
    response={200: TalentDetailOut, 400: Message, 403: Message, 409: Message},
)
def update_talent(
    request: SignedInRequest, talent_id: int, payload: TalentUpdateIn
) -> dict[str, Any]:
    require(request.user, Perm.TALENT_CHANGE)
    t = get_talent(request.user, talent_id)
    services.talent_update(
        actor=request.user, talent=t, version=payload.version, data=_talent_input(request, payload)
    )
    return _talent_detail(_talent(request, talent_id))


@router.post(
    "/talents/{talent_id}/reveal",
    response={200: RevealOut, 400: Message, 403: Message},
    summary="A talent's full ID or phone number (audited)",
)
def reveal_talent(
    request: SignedInRequest, talent_id: int, what: Literal["id_number", "phone"]
) -> dict[str, str]:
    t = get_scoped(Talent.objects.all(), request.user, Perm.TALENT_REVEAL, pk=talent_id)
    return {"value": services.talent_reveal(actor=request.user, talent=t, what=what)}
