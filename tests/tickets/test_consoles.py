"""The staff's ticket pages beyond intake: catalogue and calendar editing (locked against
concurrent edits, audited), the supervision board, the unit's worklist, the hotline's intake
and a ticket raised from a household visit."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridlight.core.models import AuditEvent, User, WorkdayOverride
from gridlight.households.services import visit_record
from gridlight.tickets import services
from gridlight.tickets.models import Card, Category, SlaPolicy, Source, Status, Ticket
from tests.conftest import CANARY, SECRET_PHONE, World, login


def _english(user: User) -> Client:
    client = login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _policy_form(policy: SlaPolicy, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": policy.name,
        "response_days": policy.response_days,
        "handle_days": policy.handle_days,
        "max_extension_days": policy.max_extension_days,
        "return_days": policy.return_days,
        "yellow_days": policy.yellow_days,
        "supervise_days": policy.supervise_days,
        "verify_on_site": "on" if policy.verify_on_site else "",
        "version": policy.version,
    }
    data.update(changes)
    return data


def test_a_policy_is_edited_audited_and_locked_against_a_stale_form(
    world: World, english: None
) -> None:
    policy = SlaPolicy.objects.get(code="standard")
    admin = _english(world.users["district_admin"])
    url = reverse("tickets:policy_edit", args=[policy.pk])
    stale = _policy_form(policy, handle_days=3)
    assert admin.post(url, _policy_form(policy, handle_days=7)).status_code == 302
    policy.refresh_from_db()
    assert (policy.handle_days, policy.version) == (7, 2)
    event = AuditEvent.objects.get(action="ticket_policy.update", object_id=str(policy.pk))
    assert event.changes["handle_days"] == [5, 7]
    # A form read before that save is refused; nothing of it is applied.
    conflict = admin.post(url, stale)
    assert conflict.status_code == 409
    assert "Someone else changed this policy" in conflict.content.decode()
    policy.refresh_from_db()
    assert policy.handle_days == 7
    # The yellow card must come before the deadline.
    wrong = admin.post(url, _policy_form(policy, yellow_days=9))
    assert wrong.status_code == 400
    policy.refresh_from_db()
    assert policy.yellow_days == 1


def test_a_category_is_edited_audited_and_locked_against_a_stale_form(
    world: World, english: None
) -> None:
    category = Category.objects.get(code="noise")
    admin = _english(world.users["district_admin"])
    url = reverse("tickets:category_edit", args=[category.pk])
    form = {
        "name": category.name,
        "name_en": category.name_en,
        "policy": category.policy_id,
        "default_unit": category.default_unit_id or "",
        "to_street": "on" if category.to_street else "",
        "public": "on" if category.public else "",
        "active": "on",
        "version": category.version,
    }
    assert admin.post(url, {**form, "name": "噪声扰民"}).status_code == 302
    category.refresh_from_db()
    assert (category.name, category.version) == ("噪声扰民", 2)
    assert AuditEvent.objects.get(action="ticket_category.update").changes["name"] == [
        "噪音扰民",
        "噪声扰民",
    ]
    conflict = admin.post(url, {**form, "name": "旧表单"})
    assert conflict.status_code == 409
    category.refresh_from_db()
    assert category.name == "噪声扰民"
    # Staff who may not administer the catalogue cannot edit it at all.
    street = login(world.users["street_staff"])
    assert street.post(url, {**form, "version": 2, "name": "x"}).status_code == 403


def test_a_calendar_override_is_removed_and_the_removal_audited(world: World) -> None:
    override = WorkdayOverride.objects.create(day=date(2031, 1, 2), is_workday=False, note="测试")
    admin = login(world.users["district_admin"])
    url = reverse("tickets:calendar_delete", args=[override.pk])
    assert admin.get(url).status_code == 405
    assert admin.post(url).status_code == 302
    assert not WorkdayOverride.objects.filter(pk=override.pk).exists()
    event = AuditEvent.objects.get(action="calendar.override_delete")
    assert event.object_label == "2031-01-02"
    assert login(world.users["street_staff"]).post(url).status_code in (403, 404)


def test_the_supervision_board_counts_cards_in_scope_only(world: World) -> None:
    secret = world.secret_ticket
    Ticket.objects.filter(pk=secret.pk).update(card=Card.RED, supervised=True)
    admin = login(world.users["district_admin"])
    page = admin.get(reverse("tickets:supervision"))
    assert page.status_code == 200
    body = page.content.decode()
    assert secret.title in body  # listed among the red and supervised
    assert page.context["by_unit"][0]["red"] == 1
    assert page.context["by_unit"][0]["supervised"] == 1
    twin = login(world.twins["district_admin"]).get(reverse("tickets:supervision"))
    assert CANARY not in twin.content.decode()
    assert all(row["red"] == 0 for row in twin.context["by_unit"])


def test_the_worklist_sorts_the_units_tickets_into_sign_overdue_and_due(world: World) -> None:
    handler = world.users["department_handler"]
    secret = world.secret_ticket  # dispatched to the handler's unit, not yet signed for
    page = login(handler).get(reverse("tickets:worklist"))
    sections = {s["key"]: [t.pk for t in s["rows"]] for s in page.context["sections"]}
    assert secret.pk in sections["sign"]
    t = services.sign(actor=handler, ticket=secret, version=secret.version)
    Ticket.objects.filter(pk=t.pk).update(due_at=timezone.now() - timedelta(hours=1))
    page = login(handler).get(reverse("tickets:worklist"))
    sections = {s["key"]: [t.pk for t in s["rows"]] for s in page.context["sections"]}
    assert secret.pk in sections["overdue"]
    assert secret.pk not in sections["sign"]
    Ticket.objects.filter(pk=t.pk).update(due_at=timezone.now() + timedelta(days=1))
    page = login(handler).get(reverse("tickets:worklist"))
    sections = {s["key"]: [t.pk for t in s["rows"]] for s in page.context["sections"]}
    assert secret.pk in sections["due"]


def test_a_hotline_call_is_entered_with_the_callers_phone_stored_masked(world: World) -> None:
    admin = login(world.users["district_admin"])
    response = admin.post(
        reverse("tickets:new"),
        {
            "category": "noise",
            "region": world.open_community.code,
            "region_code": world.open_grid.code,
            "title": "热线：夜间施工",
            "description": "来电反映夜间施工噪音",
            "requester_name": "来电人",
            "requester_phone": "13912345678",
            "source": Source.HOTLINE,
        },
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    ticket = Ticket.objects.get(title="热线：夜间施工")
    assert ticket.source == Source.HOTLINE
    assert ticket.region == world.open_grid
    assert "13912345678" not in ticket.requester_phone_enc
    detail = admin.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "13912345678" not in detail
    assert "139****5678" in detail
    assert SECRET_PHONE not in detail


def test_a_grid_worker_raises_a_ticket_from_a_visit(world: World) -> None:
    worker = world.users["grid_worker"]
    visit = visit_record(
        actor=worker,
        household=world.secret_household,
        method="home",
        visited_on=timezone.localdate(),
        problems="楼道灯坏了，老人夜里出行不便",
    )
    client = login(worker)
    form = client.get(reverse("tickets:new"), {"visit": visit.pk})
    assert form.status_code == 200
    assert "楼道灯坏了" in form.content.decode()  # the problems found fill the form
    response = client.post(
        reverse("tickets:new"),
        {
            "category": "street_light",
            "region": world.secret_community.code,
            "region_code": world.secret_grid.code,
            "title": "楼道灯坏了",
            "description": visit.problems,
            "source": Source.GRID,
            "visit": visit.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    ticket = Ticket.objects.get(title="楼道灯坏了")
    assert ticket.visit_id == visit.pk
    assert ticket.source == Source.GRID
    assert ticket.status == Status.SUBMITTED
    # Another grid's worker cannot attach someone else's visit.
    twin = login(world.twins["grid_worker"])
    assert (
        "楼道灯坏了，老人"
        not in twin.get(reverse("tickets:new"), {"visit": visit.pk}).content.decode()
    )
