"""The working-day calendar page: the warning and the regulation's days for a year the national
calendar does not know, the State Council's notice entered in one form, and deadlines shown as
their last day wherever they appear."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridlight.core.models import AuditEvent, CalendarNotice, User, WorkdayOverride
from gridlight.core.workdays import package_covers, statutory_holidays
from gridlight.tickets import deadlines
from gridlight.tickets.models import Notice, Ticket
from tests.conftest import World, login

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _english(user: User) -> Client:
    client = login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _notice(**fields: str) -> dict[str, str]:
    return {
        "notice-year": "2031",
        "notice-document": "关于2031年部分节假日安排的通知",
        "notice-days_off": "2031-01-01\n2031-01-22 ~ 2031-01-29",
        "notice-workdays": "2031-01-19, 2031-02-08",
        "notice-version": "",
        **fields,
    }


def test_the_page_warns_of_an_unknown_year_and_offers_its_statutory_days(world: World) -> None:
    admin = _english(world.users["district_admin"])
    page = admin.get(reverse("tickets:calendar"))
    assert page.status_code == 200
    today = timezone.localdate().year
    unknown = [y for y in (today, today + 1) if not package_covers(y)]
    assert [u["year"] for u in page.context["uncovered"]] == unknown
    body = page.content.decode()
    assert body.count('data-testid="uncovered-year"') == len(unknown)
    if unknown:
        year = unknown[0]
        assert f"The national calendar does not know {year} yet" in body
        first = min(statutory_holidays(year))
        assert f"{first:%Y-%m-%d} New Year&#x27;s Day" in body
        # The notice form starts from the regulation's days, for the year to be announced.
        initial = page.context["notice_form"].initial
        assert initial["year"] == year
        assert initial["days_off"].splitlines() == [
            f"{d:%Y-%m-%d}" for d in sorted(statutory_holidays(year))
        ]


def test_the_notice_is_entered_in_one_form(world: World) -> None:
    admin = _english(world.users["district_admin"])
    url = reverse("tickets:calendar_notice")
    response = admin.post(url, _notice())
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].endswith("?year=2031")
    days = dict(WorkdayOverride.objects.values_list("day", "is_workday"))
    assert days[date(2031, 1, 1)] is False
    assert all(days[date(2031, 1, d)] is False for d in range(22, 30))
    assert days[date(2031, 1, 19)] is True  # a Sunday worked
    assert days[date(2031, 2, 8)] is True  # a Saturday worked
    assert len(days) == 11
    notice = CalendarNotice.objects.get(year=2031)
    assert (
        AuditEvent.objects.filter(action="calendar.notice", object_id=str(notice.pk)).count() == 1
    )
    # The page then offers the notice for correction, with its version.
    page = admin.get(response["Location"])
    assert page.context["notice_form"].initial["version"] == notice.version
    assert "关于2031年部分节假日安排的通知" in page.content.decode()
    # Sent again from the page read before it was entered: refused, nothing changed.
    again = admin.post(url, _notice(**{"notice-workdays": ""}))
    assert again.status_code == 409
    assert WorkdayOverride.objects.filter(is_workday=True).count() == 2


def test_a_notice_with_a_wrong_day_is_shown_again_with_the_reason(world: World) -> None:
    admin = _english(world.users["district_admin"])
    url = reverse("tickets:calendar_notice")
    cases = [
        ({"notice-days_off": "2031-01-32"}, "is not a date such as"),
        ({"notice-days_off": "2031-01-29 ~ 2031-01-22"}, "must run forward"),
        ({"notice-days_off": ""}, "This field is required"),
        ({"notice-workdays": "2031-01-20"}, "is a weekday"),  # a Monday
        ({"notice-year": "1999"}, "greater than or equal to 2000"),
    ]
    for fields, words in cases:
        response = admin.post(url, _notice(**fields))
        assert response.status_code == 400, fields
        assert words in response.content.decode(), fields
    assert not WorkdayOverride.objects.exists()
    assert not CalendarNotice.objects.exists()


def test_only_the_ticket_administrator_reaches_the_notice_form(world: World) -> None:
    url = reverse("tickets:calendar_notice")
    assert login(world.users["district_admin"]).get(url).status_code == 405
    for user in (world.users["street_staff"], world.users["resident"], world.twins["street_staff"]):
        assert login(user).post(url, _notice()).status_code in (403, 404)
    assert not CalendarNotice.objects.exists()


def test_a_single_day_is_set_through_the_audited_service(world: World) -> None:
    admin = login(world.users["district_admin"])
    response = admin.post(
        reverse("tickets:calendar"), {"day": "2031-03-03", "is_workday": "0", "note": "区级"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="calendar.override")
    assert event.changes == {"is_workday": [None, False], "note": [None, "区级"]}


# --- deadlines are shown as their last day -----------------------------------------------------


def test_deadlines_show_their_last_day_not_the_midnight_after_it(world: World) -> None:
    t = world.secret_ticket  # dispatched in the fixture
    # Handle by the end of 10 December: stored as midnight after it.
    Ticket.objects.filter(pk=t.pk).update(
        due_at=datetime(2026, 12, 11, tzinfo=SHANGHAI),
        sign_due=datetime(2026, 12, 5, tzinfo=SHANGHAI),
    )
    admin = _english(world.users["district_admin"])
    detail = admin.get(reverse("tickets:detail", args=[t.pk])).content.decode()
    assert "2026-12-10 (end of day)" in detail
    assert "2026-12-04 (end of day)" in detail
    assert "2026-12-11" not in detail
    listing = admin.get(reverse("tickets:list")).content.decode()
    assert "2026-12-10 (end of day)" in listing
    assert "2026-12-11 00:00" not in listing
    # In Chinese, as "当日".
    chinese = login(world.users["district_admin"])
    assert "2026-12-10 当日" in chinese.get(reverse("tickets:detail", args=[t.pk])).content.decode()


def test_the_dispatch_notice_names_the_last_day(world: World) -> None:
    t = Notice.objects.filter(ticket=world.secret_ticket, kind="dispatched").get()
    ticket = Ticket.objects.get(pk=world.secret_ticket.pk)
    assert ticket.due_at is not None
    last = deadlines.due_day(ticket.due_at)
    assert f"{last:%Y-%m-%d} 当日" in t.text
    assert ":00" not in t.text


def test_the_api_gives_the_last_day_beside_the_moment(world: World) -> None:
    from gridlight.core.services import token_create

    ticket = Ticket.objects.get(pk=world.secret_ticket.pk)
    assert ticket.due_at is not None
    assert ticket.sign_due is not None
    _token, secret = token_create(actor=world.users["district_admin"], name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    client = Client()
    detail = client.get(f"/api/v1/tickets/{ticket.pk}", **auth).json()
    assert detail["due_day"] == str(deadlines.due_day(ticket.due_at))
    assert detail["sign_day"] == str(deadlines.due_day(ticket.sign_due))
    listed = client.get("/api/v1/tickets", **auth).json()["items"]
    row = next(r for r in listed if r["id"] == ticket.pk)
    assert row["due_day"] == detail["due_day"]


def test_open311_expects_the_last_second_of_the_last_day(world: World) -> None:
    from gridlight.core.services import token_create

    ticket = Ticket.objects.get(pk=world.secret_ticket.pk)
    assert ticket.due_at is not None
    _token, secret = token_create(actor=world.users["district_admin"], name="t")
    (r,) = Client().get(f"/open311/v2/requests/{ticket.pk}.json", {"api_key": secret}).json()
    last = deadlines.due_day(ticket.due_at)
    assert r["expected_datetime"] == f"{last:%Y-%m-%d}T23:59:59+08:00"
