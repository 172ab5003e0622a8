"""The portal of talents and enterprises: its own record only, the commissioner, problems as the
public see them, and self-correction (audited, version-checked, validated)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from gridlight.core.crypto import blind_index, decrypt
from gridlight.core.errors import ConflictError
from gridlight.core.models import AuditEvent
from gridlight.talent.models import Child, Enterprise, Talent
from gridlight.talent.portal import enterprise_self_correct, talent_self_correct
from gridlight.talent.problems import NotYours, raise_problem
from gridlight.talent.services import ChildInput, FieldError
from gridlight.tickets import services as tickets
from gridlight.tickets.models import Ticket
from tests.conftest import CANARY, TALENT_PHONE, World, login, raise_secret_problems


def test_talent_lands_on_its_portal_from_home(world: World) -> None:
    client = login(world.users["talent"])
    home = client.get("/").content.decode()
    assert 'data-testid="home-talent-portal"' in home
    assert "/me/talent/" in home
    page = client.get("/me/talent/")
    body = page.content.decode()
    assert page.status_code == 200
    assert f"{CANARY}人才" in body
    assert str(world.users["talent_commissioner"]) in body
    assert "0531-80000001" in body  # the commissioner's office phone
    assert 'data-testid="policies-for-me"' in body


def test_enterprise_user_sees_its_enterprise(world: World) -> None:
    body = login(world.users["enterprise"]).get("/me/talent/profile/").content.decode()
    assert f"{CANARY}科技" in body
    assert world.secret_enterprise.credit_code in body


@pytest.mark.parametrize("role", ["talent", "enterprise"])
def test_the_twin_never_sees_the_other_record_or_its_problems(world: World, role: str) -> None:
    problems = raise_secret_problems(world)
    twin = login(world.twins[role])
    for url in ("/", "/me/talent/", "/me/talent/problems/", "/me/talent/profile/"):
        response = twin.get(url)
        assert response.status_code == 200, url
        assert CANARY not in response.content.decode(), url
    for p in problems:
        assert twin.get(f"/me/talent/problems/{p.pk}/").status_code == 404
        assert twin.get(f"/api/v1/me/talent/problems/{p.pk}").status_code == 404
    api = twin.get("/api/v1/me/talent/problems").json()
    assert api["items"] == []
    assert CANARY not in twin.get("/api/v1/me/talent").content.decode()


def test_staff_and_residents_have_no_portal(world: World) -> None:
    for user in (world.users["talent_commissioner"], world.users["resident"]):
        client = login(user)
        assert client.get("/me/talent/").status_code == 404
        assert client.get("/me/talent/profile/edit/").status_code == 404
        assert client.get("/api/v1/me/talent").status_code == 404


def test_my_problem_shows_progress_as_the_public_see_it(world: World) -> None:
    problem = raise_secret_problems(world)[0]
    admin = world.users["district_admin"]
    admin.display_name = "调度员甲"
    admin.save(update_fields=["display_name"])
    t = Ticket.objects.get(pk=problem.ticket_id)
    tickets.dispatch(
        actor=admin, ticket=t, version=t.version, unit=world.units["education"], note="内部备注乙"
    )
    client = login(world.users["talent"])
    body = client.get(f"/me/talent/problems/{problem.pk}/").content.decode()
    assert f"{CANARY}子女入学" in body
    assert world.units["education"].name in body
    assert "调度员甲" not in body  # no staff names
    assert "内部备注乙" not in body  # no internal notes
    listing = client.get("/me/talent/problems/").content.decode()
    assert f"{CANARY}子女入学" in listing
    assert f"{CANARY}人才公寓" not in listing  # the enterprise's problem is not the talent's
    api = client.get(f"/api/v1/me/talent/problems/{problem.pk}").json()
    assert [s["step"] for s in api["timeline"]] == ["submit", "accept", "dispatch"]
    assert "调度员甲" not in str(api)
    assert "内部备注乙" not in str(api)


def test_raise_from_the_portal(world: World) -> None:
    client = login(world.users["enterprise"])
    assert client.get("/me/talent/problems/new/").status_code == 200
    response = client.post(
        "/me/talent/problems/new/",
        {"category": "policy", "title": "政策咨询", "description": "研发费用加计扣除"},
    )
    assert response.status_code == 302
    problem = world.secret_enterprise.problems.get()
    assert response["Location"] == f"/me/talent/problems/{problem.pk}/"
    bad = client.post("/me/talent/problems/new/", {"category": "policy", "title": ""})
    assert bad.status_code == 400
    assert world.secret_enterprise.problems.count() == 1


# --- self-correction ------------------------------------------------------------------------


def _correct(world: World, **kw: object) -> Talent:
    t = Talent.objects.get(pk=world.secret_talent.pk)
    args: dict[str, object] = {
        "actor": world.users["talent"],
        "talent": t,
        "version": t.version,
        "phone": "",
        "spouse_employment": "employed",
        "housing": "apartment",
        "children": [ChildInput(name="小明", birth_date=date(2019, 3, 1))],
    }
    args.update(kw)
    return talent_self_correct(**args)  # type: ignore[arg-type]


def test_talent_corrects_phone_and_family_audited_with_masked_numbers(world: World) -> None:
    t = _correct(world, phone="139 0000 0099")
    assert decrypt(t.phone_enc) == "13900000099"
    assert t.phone_index == blind_index("13900000099", purpose="phone")
    assert (t.spouse_employment, t.housing, t.version) == ("employed", "apartment", 2)
    assert list(t.children.values_list("name", "birth_date")) == [("小明", date(2019, 3, 1))]
    event = AuditEvent.objects.get(action="talent.self_correct")
    assert event.actor == world.users["talent"]
    assert event.changes["phone"] == ["139****0001", "139****0099"]
    assert "13900000099" not in str(event.changes)
    assert TALENT_PHONE not in str(event.changes)
    assert event.changes["housing"] == ["", "apartment"]
    assert event.changes["children"] == [["C******* 2016-05-01"], ["小* 2019-03-01"]]


def test_bad_corrections_are_refused_and_nothing_is_written(world: World, english: None) -> None:
    future = timezone.localdate() + timedelta(days=1)
    cases: list[tuple[dict[str, object], str]] = [
        ({"children": [ChildInput(birth_date=future)]}, "in the future"),
        # The parent (SECRET_ID) was born on 1 January 1940.
        ({"children": [ChildInput(birth_date=date(1940, 1, 1))]}, "not after the parent"),
        ({"children": [ChildInput(birth_date=date(2001, 1, 1))] * 11}, "at most 10"),
        ({"phone": "12345"}, "mobile number"),
        ({"housing": "castle"}, "housing"),
        ({"spouse_employment": "astronaut"}, "spouse"),
    ]
    for kw, words in cases:
        # The services' own checks and messages, naming the field (as the staff form's).
        with pytest.raises(FieldError, match=words):
            _correct(world, **kw)
    t = Talent.objects.get(pk=world.secret_talent.pk)
    assert (t.version, t.housing, Child.objects.filter(talent=t).count()) == (1, "", 1)
    assert not AuditEvent.objects.filter(action="talent.self_correct").exists()


def test_a_stale_version_is_a_conflict_and_others_may_not_correct(world: World) -> None:
    _correct(world)
    with pytest.raises(ConflictError):
        _correct(world, version=1, housing="rents")
    with pytest.raises(NotYours):
        _correct(world, actor=world.twins["talent"])
    assert Talent.objects.get(pk=world.secret_talent.pk).housing == "apartment"


def test_correction_pages(world: World) -> None:
    client = login(world.users["talent"])
    assert client.get("/me/talent/profile/edit/").status_code == 200
    form = {
        "version": "1",
        "phone": "",
        "spouse_employment": "seeking",
        "housing": "rents",
        "child-TOTAL_FORMS": "1",
        "child-INITIAL_FORMS": "0",
        "child-MIN_NUM_FORMS": "0",
        "child-MAX_NUM_FORMS": "10",
        "child-0-name": "小红",
        "child-0-birth_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
    }
    refused = client.post("/me/talent/profile/edit/", form)
    assert refused.status_code == 400
    assert not Child.objects.filter(name="小红").exists()
    form["child-0-birth_date"] = "2020-06-01"
    assert client.post("/me/talent/profile/edit/", form).status_code == 302
    profile = client.get("/me/talent/profile/").content.decode()
    assert "小红" in profile
    assert "2020-06-01" in profile
    assert "139****0001" in profile
    assert TALENT_PHONE not in profile
    # Sent again with the old version: a conflict, shown with the form.
    assert client.post("/me/talent/profile/edit/", form).status_code == 409


def test_enterprise_corrects_address_and_headcount(world: World) -> None:
    client = login(world.users["enterprise"])
    response = client.post(
        "/me/talent/profile/edit/", {"version": "1", "address": "新地址9号", "headcount": "150"}
    )
    assert response.status_code == 302
    e = Enterprise.objects.get(pk=world.secret_enterprise.pk)
    assert (e.address, e.headcount, e.version) == ("新地址9号", 150, 2)
    event = AuditEvent.objects.get(action="enterprise.self_correct")
    assert event.changes["headcount"] == [120, 150]
    bad = client.post("/me/talent/profile/edit/", {"version": "2", "headcount": "-3"})
    assert bad.status_code == 400
    with pytest.raises(NotYours):
        enterprise_self_correct(
            actor=world.twins["enterprise"], enterprise=e, version=2, address="x", headcount=1
        )


# --- the API --------------------------------------------------------------------------------


def test_api_profile_commissioner_raise_and_correct(world: World) -> None:
    client = login(world.users["talent"])
    me = client.get("/api/v1/me/talent").json()
    assert me["kind"] == "talent"
    assert me["phone_masked"] == "139****0001"
    assert TALENT_PHONE not in str(me)
    assert client.get("/api/v1/me/talent/commissioner").json() == {
        "name": str(world.users["talent_commissioner"]),
        "office_phone": "0531-80000001",
    }
    created = client.post(
        "/api/v1/me/talent/problems",
        {"category": "medical", "title": "就医", "description": "绿色通道"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["category"] == "medical"
    assert client.get("/api/v1/me/talent/problems").json()["count"] == 1
    body = {
        "version": 1,
        "phone": "",
        "spouse_employment": "employed",
        "housing": "owns",
        "children": [{"name": "", "birth_date": "2099-01-01"}],
    }
    refused = client.put("/api/v1/me/talent/profile", body, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["detail"]
    body["children"] = []
    ok = client.put("/api/v1/me/talent/profile", body, content_type="application/json")
    assert ok.status_code == 200
    assert ok.json()["housing"] == "owns"
    stale = client.put("/api/v1/me/talent/profile", body, content_type="application/json")
    assert stale.status_code == 409
    # The talent's endpoint is not the enterprise's.
    wrong = client.put(
        "/api/v1/me/talent/enterprise",
        {"version": 2, "address": "x", "headcount": 1},
        content_type="application/json",
    )
    assert wrong.status_code == 404


def test_api_staff_list_raise_and_solved(world: World) -> None:
    raise_secret_problems(world)
    commissioner = login(world.users["talent_commissioner"])
    listing = commissioner.get("/api/v1/talent/problems?status=open").json()
    assert listing["count"] == 2
    created = commissioner.post(
        "/api/v1/talent/problems",
        {
            "talent_id": world.secret_talent.pk,
            "category": "travel",
            "title": "出入境",
            "description": "签证延期",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["commissioner_id"] == world.users["talent_commissioner"].pk
    solved = commissioner.get("/api/v1/talent/problems/solved?by=category").json()
    assert solved["total"] == {
        "key": None,
        "label": solved["total"]["label"],
        "solved": 0,
        "raised": 3,
    }
    twin = login(world.twins["talent_commissioner"])
    assert twin.get("/api/v1/talent/problems").json()["count"] == 0
    out = twin.post(
        "/api/v1/talent/problems",
        {
            "talent_id": world.secret_talent.pk,
            "category": "travel",
            "title": "x",
            "description": "y",
        },
        content_type="application/json",
    )
    assert out.status_code == 404
    assert login(world.users["talent"]).get("/api/v1/talent/problems").status_code == 403
    assert (
        commissioner.get(
            "/api/v1/talent/problems/solved?start=2026-05-01&end=2020-01-01"
        ).status_code
        == 400
    )
    neither = commissioner.post(
        "/api/v1/talent/problems",
        {"category": "travel", "title": "x", "description": "y"},
        content_type="application/json",
    )
    assert neither.status_code == 400


def test_problem_raised_by_the_commissioner_appears_in_the_talents_portal(world: World) -> None:
    problem = raise_problem(
        actor=world.users["talent_commissioner"],
        talent=world.secret_talent,
        category="hukou",
        title="落户办理",
        description="代为反映",
    )
    body = login(world.users["talent"]).get("/me/talent/problems/").content.decode()
    assert f"/me/talent/problems/{problem.pk}/" in body
