"""The ticket pages as their users see them: intake, the consoles, one ticket's steps."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.urls import reverse

from gridlight.core.models import WorkdayOverride
from gridlight.tickets.models import Attachment, Status, Ticket
from tests.conftest import CANARY, World, login

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def test_talent_reports_a_problem_with_a_photo_and_follows_it(world: World) -> None:
    client = login(world.users["talent"])
    page = client.get(reverse("tickets:new"))
    assert page.status_code == 200
    photo = io.BytesIO(PNG)
    photo.name = "photo.png"
    response = client.post(
        reverse("tickets:new"),
        {
            "category": "school_enrolment",
            "region": world.open_community.code,
            "title": "孩子入学咨询",
            "description": "刚引进的人才，孩子需要就近入学",
            "attachments": [photo],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket = Ticket.objects.get(title="孩子入学咨询")
    assert ticket.requester == world.users["talent"]
    assert ticket.talent
    assert ticket.source == "talent"
    assert Attachment.objects.get(ticket=ticket).content_type == "image/png"
    detail = client.get(response["Location"])
    assert "孩子入学咨询" in detail.content.decode()
    # Their list shows their own tickets and nothing of anyone else's.
    listing = client.get(reverse("tickets:list")).content.decode()
    assert "孩子入学咨询" in listing
    assert CANARY not in listing


def test_disguised_attachment_is_refused_and_nothing_is_saved(world: World, english: None) -> None:
    client = login(world.users["resident"])
    fake = io.BytesIO(b"MZ\x90\x00 not really a picture")
    fake.name = "photo.jpg"
    response = client.post(
        reverse("tickets:new"),
        {
            "category": "noise",
            "region": world.open_community.code,
            "title": "噪音",
            "description": "夜间施工",
            "attachments": [fake],
        },
    )
    assert response.status_code == 400
    assert "只接受 JPEG、PNG 和 PDF" in response.content.decode()
    assert not Ticket.objects.filter(title="噪音").exists()


def test_dispatcher_console_and_dispatch_step(world: World) -> None:
    admin = login(world.users["district_admin"])
    page = admin.get(reverse("tickets:dispatch"))
    assert page.status_code == 200
    t = world.open_ticket
    assert "公开噪音" in page.content.decode()
    response = admin.post(
        reverse("tickets:action", args=[t.pk, "dispatch"]),
        {"dispatch-version": t.version, "dispatch-unit": world.units["ecology"].pk},
    )
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.status == Status.DISPATCHED
    assert t.unit == world.units["ecology"]
    # The same form again, with the version it was shown with: a clear conflict, no change.
    again = admin.post(
        reverse("tickets:action", args=[t.pk, "dispatch"]),
        {"dispatch-version": t.version - 2, "dispatch-unit": world.units["urban"].pk},
    )
    assert again.status_code == 409
    t.refresh_from_db()
    assert t.unit == world.units["ecology"]


def test_handler_worklist_shows_the_units_tickets(world: World) -> None:
    handler = login(world.users["department_handler"])
    page = handler.get(reverse("tickets:worklist"))
    assert page.status_code == 200
    assert CANARY in page.content.decode()
    twin = login(world.twins["department_handler"])
    page = twin.get(reverse("tickets:worklist"))
    assert page.status_code in (200, 403)
    assert CANARY not in page.content.decode()


def test_pages_render_for_the_admin(world: World) -> None:
    admin = login(world.users["district_admin"])
    for name in ("list", "supervision", "catalogue", "calendar", "inbox", "new"):
        assert admin.get(reverse(f"tickets:{name}")).status_code == 200, name
    detail = admin.get(reverse("tickets:detail", args=[world.secret_ticket.pk]))
    assert detail.status_code == 200
    assert "13900000001" not in detail.content.decode()


def test_calendar_override_is_saved_and_audited(world: World) -> None:
    admin = login(world.users["district_admin"])
    response = admin.post(
        reverse("tickets:calendar"), {"day": "2027-02-08", "is_workday": "0", "note": "春节"}
    )
    assert response.status_code == 302
    assert WorkdayOverride.objects.get(day="2027-02-08").is_workday is False
    secretary = login(world.users["community_secretary"])
    assert secretary.get(reverse("tickets:calendar")).status_code == 403


def test_export_lists_the_filtered_tickets_without_personal_data(world: World) -> None:
    from python_calamine import CalamineWorkbook

    admin = login(world.users["district_admin"])
    response = admin.get(reverse("tickets:export") + "?category=school_enrolment")
    assert response.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    data = rows.to_python()
    assert data[0][0] == "工单号"
    assert len(data) == 2
    assert data[1][3] == f"{CANARY}入学"
    assert "13900000001" not in str(data)


def test_admin_adds_a_handler_to_a_unit(world: World, english: None) -> None:
    admin = login(world.users["district_admin"])
    unit = world.units["ecology"]
    url = reverse("tickets:unit", args=[unit.pk])
    refused = admin.post(url, {"username": "grid_worker"})
    assert refused.status_code == 400
    assert "没有承办工单的角色" in refused.content.decode()
    assert admin.post(url, {"username": "department_handler"}).status_code == 302
    assert unit.members.filter(username="department_handler").exists()
    handler = login(world.users["department_handler"])
    assert handler.post(url, {"username": "street_staff"}).status_code in (403, 404)


def test_home_shows_each_role_what_waits_for_them(world: World) -> None:
    from gridlight.tickets.widgets import tickets as widget

    class Req:
        def __init__(self, user: object) -> None:
            self.user = user

    resident = widget(Req(world.users["resident"]))  # type: ignore[arg-type]
    assert resident is not None
    assert ("my_open", 1, "list") in resident["tiles"]
    handler = widget(Req(world.users["department_handler"]))  # type: ignore[arg-type]
    assert handler is not None
    assert ("to_sign", 1, "worklist") in handler["tiles"]
    twin = widget(Req(world.twins["department_handler"]))  # type: ignore[arg-type]
    assert twin is not None
    assert ("to_sign", 0, "worklist") in twin["tiles"]
    admin = widget(Req(world.users["district_admin"]))  # type: ignore[arg-type]
    assert admin is not None
    assert ("to_dispatch", 1, "dispatch") in admin["tiles"]
    assert widget(Req(world.users["evaluator"])) is None  # type: ignore[arg-type]
    page = login(world.users["department_handler"]).get("/")
    assert 'data-testid="home-tickets"' in page.content.decode()


def _upload(name: str, data: bytes) -> io.BytesIO:
    f = io.BytesIO(data)
    f.name = name
    return f


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ([("big.png", PNG + b"\0" * (5 * 1024 * 1024))], "larger than 5 MB"),
        ([("photo.pdf", PNG)], "does not match its content"),
        ([("empty.png", b"")], "is empty"),
        ([(f"p{i}.png", PNG) for i in range(6)], "At most 5 attachments"),
    ],
)
def test_attachments_too_large_misnamed_empty_or_too_many_are_refused(
    world: World, english: None, files: list[tuple[str, bytes]], words: str
) -> None:
    client = login(world.users["resident"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        reverse("tickets:new"),
        {
            "category": "noise",
            "region": world.open_community.code,
            "title": "附件检查",
            "description": "夜间施工",
            "attachments": [_upload(n, d) for n, d in files],
        },
    )
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not Ticket.objects.filter(title="附件检查").exists()
    assert not Attachment.objects.filter(ticket__title="附件检查").exists()


@pytest.mark.parametrize(
    "url",
    [
        "/tickets/?q=%C2%B2",
        "/tickets/export/?q=%C2%B2",
        "/tickets/99999999999999999999/",
        "/tickets/kpi/?start=9999-11&end=9999-12",
        "/tickets/kpi/?end=9999-12",
        "/tickets/kpi/?start=0001-01",
        "/tickets/kpi/export/?start=0001-01&end=9999-12",
        "/tickets/?q=%00",
    ],
)
def test_odd_input_on_the_pages_is_never_a_500(world: World, url: str) -> None:
    response = login(world.users["district_admin"]).get(url)
    assert response.status_code in (200, 400, 404), (url, response.status_code)


def test_kpi_page_says_what_is_wrong_with_the_period(world: World, english: None) -> None:
    client = login(world.users["district_admin"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/tickets/kpi/?start=0001-01").content.decode()
    assert "between 2000 and 2100" in page
    page = client.get("/tickets/kpi/?start=2001-01&end=2025-12").content.decode()
    assert "at most 60 months" in page


def test_a_kpi_period_with_one_end_runs_twelve_months_from_it(world: World) -> None:
    from datetime import date

    from gridlight.tickets.views.kpi import period

    assert period(date(2023, 6, 1), None) == (date(2023, 6, 1), date(2024, 5, 1))
    assert period(None, date(2023, 6, 1)) == (date(2022, 7, 1), date(2023, 6, 1))
    client = login(world.users["district_admin"])
    page = client.get("/tickets/kpi/?end=2023-06")
    assert page.status_code == 200
    assert "invalid-feedback" not in page.content.decode()


def test_removing_a_member_with_a_malformed_id_changes_nothing(world: World) -> None:
    unit = world.units["education"]
    members = set(unit.members.all())
    admin = login(world.users["district_admin"])
    response = admin.post(reverse("tickets:unit", args=[unit.pk]), {"remove": "abc"})
    assert response.status_code == 302
    assert set(unit.members.all()) == members


def test_a_deadline_in_a_year_without_national_holidays_is_flagged(
    world: World, english: None
) -> None:
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from gridlight.tickets.deadlines import calendar_gaps, due_day, end_of

    assert calendar_gaps(date(2025, 10, 1), None) == []
    assert calendar_gaps(date(2025, 10, 1), date(2099, 1, 5)) == [2099]
    # A deadline of 31 December is midnight after it: the year after is not its year.
    assert due_day(end_of(date(2025, 12, 31))) == date(2025, 12, 31)
    t = world.open_ticket
    admin = login(world.users["district_admin"])
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    Ticket.objects.filter(pk=t.pk).update(
        due_at=datetime(2025, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai")), sign_due=None
    )
    page = admin.get(reverse("tickets:detail", args=[t.pk])).content.decode()
    assert 'data-testid="calendar-gap"' not in page
    Ticket.objects.filter(pk=t.pk).update(
        due_at=datetime(2099, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    )
    page = admin.get(reverse("tickets:detail", args=[t.pk])).content.decode()
    assert 'data-testid="calendar-gap"' in page
    assert "make-up working days (调休) of 2099 are not known yet" in page
