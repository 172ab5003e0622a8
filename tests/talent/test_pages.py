"""The enterprise and talent pages: lists with search and filters in a fixed number of queries,
detail pages with masked numbers and an audited reveal, the forms writing through the
services, and the public users kept to their own record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridlight.core.models import AuditEvent
from gridlight.talent import services
from gridlight.talent.creditcode import check_char
from gridlight.talent.models import Enterprise, Talent
from tests.conftest import CANARY, SECRET_ID, World, login


def _add(world: World, i: int) -> None:
    """An enterprise with two tags and a talent it employs, overdue for contact."""
    body = f"91370103MB{i:07d}"
    admin = world.users["district_admin"]
    e = services.enterprise_create(
        actor=admin,
        data=services.EnterpriseInput(
            name=f"又一企业{i}",
            credit_code=body + check_char(body),
            industry="finance",
            street=world.secret_street,
            tags=[
                services.TagInput(kind="key_introduced", year=2023),
                services.TagInput(kind="srdi", level="national", year=2024),
            ],
            commissioner=world.users["talent_commissioner"],
        ),
    )
    services.talent_create(
        actor=admin,
        data=services.TalentInput(
            name=f"又一人才{i}",
            street=world.secret_street,
            level="D",
            employer=e,
            commissioner=world.users["talent_commissioner"],
        ),
    )
    Talent.objects.filter(name=f"又一人才{i}").update(
        next_contact_due=timezone.localdate() - timedelta(days=3)
    )


def _queries(client: object, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)  # type: ignore[attr-defined]
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/talent/enterprises/",
        "/talent/enterprises/?tag=key_introduced&industry=finance",
        "/talent/talents/",
        "/talent/talents/?level=D&overdue=on",
    ],
)
def test_lists_take_the_same_queries_for_few_and_many_rows(world: World, url: str) -> None:
    client = login(world.users["district_admin"])
    for i in range(2):
        _add(world, i)
    small = _queries(client, url)
    for i in range(2, 14):
        _add(world, i)
    cache.clear()  # the list's count is cached for a minute
    assert _queries(client, url) == small


@pytest.mark.django_db
def test_filters_narrow_the_lists(world: World) -> None:
    client = login(world.users["district_admin"])
    body = client.get(f"/talent/enterprises/?street={world.open_street.code}").content.decode()
    assert "公开科技有限公司" in body
    assert f"{CANARY}科技有限公司" not in body
    body = client.get("/talent/enterprises/?q=91900001MA0000001").content.decode()
    assert f"{CANARY}科技有限公司" in body
    assert "公开科技" not in body
    body = client.get("/talent/enterprises/?tag=srdi&tag_level=national").content.decode()
    assert "科技有限公司" not in body
    Talent.objects.filter(pk=world.open_talent.pk).update(
        next_contact_due=timezone.localdate() - timedelta(days=1)
    )
    Talent.objects.filter(pk=world.secret_talent.pk).update(
        next_contact_due=timezone.localdate() + timedelta(days=1)
    )
    body = client.get("/talent/talents/?overdue=on").content.decode()
    assert "公开人才" in body
    assert f"{CANARY}人才" not in body
    body = client.get(f"/talent/talents/?q={SECRET_ID}").content.decode()
    assert f"{CANARY}人才" in body
    assert "公开人才" not in body
    commissioner = world.users["talent_commissioner"].pk
    Talent.objects.filter(pk=world.open_talent.pk).update(commissioner=None)
    body = client.get(f"/talent/talents/?commissioner={commissioner}").content.decode()
    assert f"{CANARY}人才" in body
    assert "公开人才" not in body


@pytest.mark.django_db
def test_talent_page_shows_mask_age_and_school_stage_and_reveals_with_an_audit_row(
    world: World,
) -> None:
    client = login(world.users["talent_commissioner"])
    t = world.secret_talent
    body = client.get(f"/talent/talents/{t.pk}/").content.decode()
    assert "1101**************" in body
    assert SECRET_ID not in body
    assert "1940" not in body  # the birth date is not shown beside the mask
    assert "小学" in body  # the child born in 2016 is in primary school
    response = client.post(f"/talent/talents/{t.pk}/reveal/id_number/")
    assert SECRET_ID in response.content.decode()
    assert AuditEvent.objects.filter(action="reveal.id_number", object_id=str(t.pk)).count() == 1
    # Street staff view talents but may not reveal their numbers.
    staff = login(world.users["street_staff"])
    assert staff.get(f"/talent/talents/{t.pk}/").status_code == 200
    assert staff.post(f"/talent/talents/{t.pk}/reveal/id_number/").status_code == 403


@pytest.mark.django_db
def test_enterprise_page_lists_tags_and_employed_talents(world: World) -> None:
    client = login(world.users["district_admin"])
    body = client.get(f"/talent/enterprises/{world.secret_enterprise.pk}/").content.decode()
    assert "专精特新" in body
    assert f"{CANARY}人才" in body


@pytest.mark.django_db
def test_forms_create_and_edit_through_the_services(world: World) -> None:
    client = login(world.users["district_admin"])
    form = {
        "name": "表单企业",
        "credit_code": "91350100M000100Y44",
        "industry": "urban",
        "street": world.open_street.code,
        "srdi_level": "municipal",
        "srdi_year": "2024",
        "p-TOTAL_FORMS": "1",
        "p-INITIAL_FORMS": "0",
        "p-0-name": "工程中心",
        "p-0-kind": "engineering",
        "p-0-level": "provincial",
        "p-0-year": "2022",
    }
    response = client.post("/talent/enterprises/new/", form)
    assert response.status_code == 400
    assert "第18位" in response.content.decode()  # the check character, named by position
    assert not Enterprise.objects.filter(name="表单企业").exists()
    form["credit_code"] = "91350100M000100Y43"
    response = client.post("/talent/enterprises/new/", form)
    assert response.status_code == 302
    e = Enterprise.objects.get(name="表单企业")
    assert e.platforms.get().name == "工程中心"
    assert e.tags.get().level == "municipal"

    talent = {
        "name": "表单人才",
        "street": world.open_street.code,
        "level": "A",
        "employer_code": e.credit_code,
        "c-TOTAL_FORMS": "1",
        "c-INITIAL_FORMS": "0",
        "c-0-birth_date": (timezone.localdate() + timedelta(days=10)).isoformat(),
    }
    response = client.post("/talent/talents/new/", talent)
    assert response.status_code == 400
    assert "出生日期" in response.content.decode()
    talent["c-0-birth_date"] = "2019-06-01"
    assert client.post("/talent/talents/new/", talent).status_code == 302
    t = Talent.objects.get(name="表单人才")
    assert t.employer == e
    edit = client.get(f"/talent/talents/{t.pk}/edit/")
    assert edit.status_code == 200
    talent.update(version=str(t.version), name="表单人才改", **{"c-INITIAL_FORMS": "1"})
    assert client.post(f"/talent/talents/{t.pk}/edit/", talent).status_code == 302
    # The same form posted again carries the old version: refused, not overwritten.
    talent["name"] = "晚到的修改"
    assert client.post(f"/talent/talents/{t.pk}/edit/", talent).status_code == 409
    assert Talent.objects.get(pk=t.pk).name == "表单人才改"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["talent", "enterprise"])
def test_public_users_reach_no_staff_page(world: World, role: str) -> None:
    for user in (world.users[role], world.twins[role]):
        client = login(user)
        for url in (
            "/talent/talents/",
            "/talent/enterprises/",
            f"/talent/talents/{world.open_talent.pk}/",
            f"/talent/enterprises/{world.open_enterprise.pk}/",
        ):
            response = client.get(url)
            assert response.status_code == 403
            assert CANARY not in response.content.decode()


@pytest.mark.django_db
def test_the_menu_shows_talents_to_staff_with_talent_view(world: World) -> None:
    assert "/talent/talents/" in login(world.users["street_staff"]).get("/").content.decode()
    assert "/talent/talents/" not in login(world.users["grid_worker"]).get("/").content.decode()
