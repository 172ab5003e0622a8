"""Enterprise and talent writes: validation at the service boundary (the message names the
field), the audit row in the same transaction, version-checked updates, numbers encrypted and
revealed only with an audit row."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from gridlight.core.errors import ConflictError
from gridlight.core.models import AuditEvent, Role
from gridlight.talent import services
from gridlight.talent.models import Child, CommissionerProfile, Enterprise, EnterpriseTag, Talent
from tests.conftest import SECRET_ID, World
from tests.factories import UserFactory, assign

GOOD_CODE = "91350100M000100Y43"


def _enterprise(world: World, **changes: object) -> services.EnterpriseInput:
    data = services.EnterpriseInput(
        name="测试能源有限公司",
        credit_code=GOOD_CODE,
        industry="energy",
        street=world.open_street,
        headcount=40,
        revenue_yuan=1_000_000,
        revenue_year=2025,
        tags=[
            services.TagInput(kind="key_introduced", year=2023),
            services.TagInput(kind="listing_reserve", stage="tutoring", year=2024),
        ],
        platforms=[
            services.PlatformInput(
                name="院士工作站", kind="academician", level="municipal", year=2024
            )
        ],
    )
    for k, v in changes.items():
        setattr(data, k, v)
    return data


def _talent(world: World, **changes: object) -> services.TalentInput:
    data = services.TalentInput(
        name="李研究员",
        street=world.open_street,
        level="C",
        id_number="370103198802140027",
        phone="13900000111",
        employer=world.open_enterprise,
        children=[services.ChildInput(name="李小", birth_date=date(2018, 3, 1))],
    )
    for k, v in changes.items():
        setattr(data, k, v)
    return data


@pytest.mark.django_db
def test_enterprise_create_writes_tags_platforms_and_one_audit_row(world: World) -> None:
    admin = world.users["district_admin"]
    e = services.enterprise_create(actor=admin, data=_enterprise(world))
    assert e.region_path == world.open_street.path
    assert sorted(EnterpriseTag.objects.filter(enterprise=e).values_list("kind", flat=True)) == [
        "key_introduced",
        "listing_reserve",
    ]
    assert e.platforms.get().name == "院士工作站"
    event = AuditEvent.objects.get(action="enterprise.create", object_id=str(e.pk))
    assert event.actor == admin
    assert event.changes["credit_code"] == [None, GOOD_CODE]


@pytest.mark.django_db
@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"credit_code": "91350100M00O100Y43"}, "Character 12"),
        ({"credit_code": "91350100M000100Y44"}, "Character 18"),
        ({"headcount": -1}, "headcount: cannot be negative"),
        ({"revenue_yuan": -5}, "revenue (yuan): cannot be negative"),
        ({"name": " "}, "enterprise name: is required"),
        ({"industry": "mining"}, "industry: choose one of the list"),
        ({"tags": [services.TagInput(kind="srdi", year=2024)]}, "level: is required"),
        ({"tags": [services.TagInput(kind="key_introduced", year=2999)]}, "2999 is not a year"),
    ],
)
def test_a_bad_enterprise_is_refused_naming_the_field_and_nothing_is_written(
    world: World, changes: dict[str, object], words: str
) -> None:
    before = (Enterprise.objects.count(), AuditEvent.objects.count())
    with pytest.raises(services.FieldError) as caught:
        services.enterprise_create(
            actor=world.users["district_admin"], data=_enterprise(world, **changes)
        )
    assert words in caught.value.message
    assert (Enterprise.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.django_db
def test_a_credit_code_is_registered_once(world: World) -> None:
    data = _enterprise(world, credit_code=world.open_enterprise.credit_code)
    with pytest.raises(services.FieldError) as caught:
        services.enterprise_create(actor=world.users["district_admin"], data=data)
    assert caught.value.field == "credit_code"


@pytest.mark.django_db
def test_concurrent_enterprise_edits_cannot_overwrite_each_other(world: World) -> None:
    admin = world.users["district_admin"]
    e = world.open_enterprise
    stale = Enterprise.objects.get(pk=e.pk)
    data = _enterprise(world, credit_code=e.credit_code, name="第一次修改")
    services.enterprise_update(actor=admin, enterprise=e, version=e.version, data=data)
    with pytest.raises(ConflictError):
        services.enterprise_update(
            actor=admin,
            enterprise=stale,
            version=stale.version,
            data=_enterprise(world, credit_code=e.credit_code, name="第二次修改"),
        )
    assert Enterprise.objects.get(pk=e.pk).name == "第一次修改"
    event = AuditEvent.objects.get(action="enterprise.update", object_id=str(e.pk))
    assert event.changes["name"] == ["公开科技有限公司", "第一次修改"]


@pytest.mark.django_db
def test_staff_cannot_write_outside_their_street(world: World) -> None:
    twin = world.twins["street_staff"]  # views the open street, holds no talent.change
    with pytest.raises(PermissionDenied):
        services.enterprise_create(actor=twin, data=_enterprise(world))
    commissioner_twin = world.twins["talent_commissioner"]  # the other district
    with pytest.raises(PermissionDenied):
        services.talent_create(actor=commissioner_twin, data=_talent(world, employer=None))


@pytest.mark.django_db
def test_talent_numbers_are_encrypted_indexed_and_never_in_the_audit_trail(world: World) -> None:
    t = services.talent_create(actor=world.users["district_admin"], data=_talent(world))
    t = Talent.objects.get(pk=t.pk)
    assert t.id_number_enc
    assert "370103198802140027" not in t.id_number_enc
    assert (t.birth_date, t.sex) == (date(1988, 2, 14), "F")
    assert list(Child.objects.filter(talent=t).values_list("name", flat=True)) == ["李小"]
    event = AuditEvent.objects.get(action="talent.create", object_id=str(t.pk))
    text = str(event.changes)
    assert "370103198802140027" not in text
    assert "13900000111" not in text
    assert t.id_number_index not in text


@pytest.mark.django_db
@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"id_number": "370103198802140026"}, "id_number", "last character should be"),
        ({"phone": "12345"}, "phone", "Phone"),
        ({"level": "F"}, "level", "choose one of the list"),
        (
            {
                "children": [
                    services.ChildInput(birth_date=timezone.localdate() + timedelta(days=30))
                ]
            },
            "children",
            "is in the future",
        ),
        (
            {"arrived_on": timezone.localdate() + timedelta(days=1)},
            "arrived_on",
            "is in the future",
        ),
    ],
)
def test_a_bad_talent_is_refused_naming_the_field(
    world: World, changes: dict[str, object], field: str, words: str
) -> None:
    before = (Talent.objects.count(), Child.objects.count(), AuditEvent.objects.count())
    with pytest.raises(services.FieldError) as caught:
        services.talent_create(actor=world.users["district_admin"], data=_talent(world, **changes))
    assert caught.value.field == field
    assert words in caught.value.message
    assert (Talent.objects.count(), Child.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.django_db
@pytest.mark.usefixtures("english")
def test_an_employer_outside_the_actors_view_is_unknown(world: World) -> None:
    staff = UserFactory(username="open-commissioner")
    assign(staff, Role.TALENT_COMMISSIONER, world.open_street)
    with pytest.raises(services.FieldError) as caught:
        services.employer_by_code(staff, world.secret_enterprise.credit_code)
    assert caught.value.field == "employer"
    assert "no enterprise with this credit code" in caught.value.message
    with pytest.raises(services.FieldError):
        services.talent_create(actor=staff, data=_talent(world, employer=world.secret_enterprise))


@pytest.mark.django_db
@pytest.mark.usefixtures("english")
def test_the_commissioner_must_be_an_active_commissioner_serving_the_street(world: World) -> None:
    admin = world.users["district_admin"]
    outside = world.twins["talent_commissioner"]  # assigned to the other district
    not_one = world.users["street_staff"]
    for user in (outside, not_one):
        with pytest.raises(services.FieldError) as caught:
            services.talent_create(actor=admin, data=_talent(world, commissioner=user))
        assert caught.value.field == "commissioner"
    serving = world.users["talent_commissioner"]
    CommissionerProfile.objects.filter(user=serving).update(active=False)
    with pytest.raises(services.FieldError) as caught:
        services.enterprise_create(actor=admin, data=_enterprise(world, commissioner=serving))
    assert "no longer takes cases" in caught.value.message
    CommissionerProfile.objects.filter(user=serving).update(active=True)
    t = services.talent_create(actor=admin, data=_talent(world, commissioner=serving))
    assert t.commissioner == serving


@pytest.mark.django_db
def test_update_keeps_numbers_left_blank_and_replaces_children(world: World) -> None:
    admin = world.users["district_admin"]
    t = world.secret_talent
    data = _talent(world, street=world.secret_street, id_number="", phone="", employer=None)
    data.children = [
        services.ChildInput(birth_date=date(2020, 9, 1)),
        services.ChildInput(birth_date=date(2012, 1, 2)),
    ]
    services.talent_update(actor=admin, talent=t, version=t.version, data=data)
    t.refresh_from_db()
    assert t.id_number_index == Talent.objects.get(pk=t.pk).id_number_index is not None
    assert services.talent_reveal(actor=admin, talent=t, what="id_number") == SECRET_ID
    assert Child.objects.filter(talent=t).count() == 2
    assert t.version == 2


@pytest.mark.django_db
def test_reveal_needs_talent_reveal_over_the_street_and_is_audited(world: World) -> None:
    t = world.secret_talent
    commissioner = world.users["talent_commissioner"]
    assert services.talent_reveal(actor=commissioner, talent=t, what="id_number") == SECRET_ID
    event = AuditEvent.objects.get(action="reveal.id_number", object_id=str(t.pk))
    assert (event.actor, event.region_path) == (commissioner, t.region_path)
    # A grid worker may reveal residents' numbers, never a talent's.
    for user in (
        world.users["grid_worker"],
        world.users["street_staff"],
        world.twins["talent_commissioner"],
    ):
        with pytest.raises(PermissionDenied):
            services.talent_reveal(actor=user, talent=t, what="phone")
    assert AuditEvent.objects.filter(action__startswith="reveal.").count() == 1


@pytest.mark.django_db
def test_the_page_shows_age_and_a_mask_not_the_birth_date(world: World) -> None:
    # The talent's age is shown, not its birth date (the two would give the number back).
    from gridlight.talent.selectors import shown_talent

    seen = shown_talent(world.secret_talent, timezone.localdate())
    assert seen.id_masked.startswith("1101")
    assert seen.id_masked.endswith("*")
    assert seen.age is not None
    assert seen.age > 80
