"""What pages, the API and the export show of a member's ID number, with the real roles: a mask
and the age, which together leave too many numbers to guess from; the full number only to the
roles that deal with the person, each time audited."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from gridlight.core.access import ROLE_PERMS, Perm
from gridlight.core.idcard import age_on, check_digit, parse_id
from gridlight.core.models import AuditEvent
from gridlight.core.services import token_create
from tests.conftest import SECRET_ID, SECRET_PHONE, World, login

pytestmark = pytest.mark.django_db

MAY_REVEAL = {"district_admin", "community_secretary", "grid_worker"}


def _numbers_fitting(shown: dict[str, Any], today: date) -> int:
    """How many valid ID numbers agree with everything the API shows of a member, for someone
    who also knows the number's first six digits (its issuing county: the worst case)."""
    masked = shown["id_number_masked"]
    region = SECRET_ID[:6]
    if shown.get("birth_date"):
        births = [date.fromisoformat(str(shown["birth_date"]))]
    else:
        first = today.replace(year=today.year - shown["age"] - 1)
        births = [
            first + timedelta(days=n)
            for n in range(370)
            if first + timedelta(days=n) <= today
            and age_on(first + timedelta(days=n), today) == shown["age"]
        ]
    parity = {"M": "13579", "F": "02468"}.get(shown.get("sex", ""), "0123456789")
    fitting = 0
    for born in births:
        for sequence in range(1000):
            if str(sequence % 10) not in parity:
                continue
            first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
            number = first17 + check_digit(first17)
            if all(m in ("*", n) for m, n in zip(masked, number, strict=True)):
                fitting += 1
    return fitting


def test_mask_and_age_leave_a_hundred_thousand_numbers(world: World) -> None:
    """The old mask (first and last four) beside the birth date left one number here; now the
    mask keeps only the province and city, and the age stands in for the birth date."""
    client = login(world.users["street_staff"])
    detail = client.get(f"/api/v1/households/{world.secret_household.pk}").json()
    member = detail["members"][0]
    today = timezone.localdate()
    assert "birth_date" not in member
    assert member["age"] == parse_id(SECRET_ID).age_on(today)
    assert member["id_number_masked"] == SECRET_ID[:4] + "*" * 14
    fitting = _numbers_fitting(member, today)
    assert fitting > 100_000
    # The sex halves the sequence; the check character follows from the rest.
    days = fitting // 500
    assert fitting == days * 500
    assert 365 <= days <= 366


def test_household_page_shows_age_and_sex_not_the_birth_date(world: World) -> None:
    body = login(world.users["street_staff"]).get(f"/households/{world.secret_household.pk}/")
    text = body.content.decode()
    age = parse_id(SECRET_ID).age_on(timezone.localdate())
    assert f"{age}岁" in text
    assert "男" in text
    assert "1940-01-01" not in text
    assert "1940年1月1日" not in text
    assert SECRET_ID[:4] + "*" * 14 in text
    assert SECRET_ID[4:] not in text
    assert "/reveal/" not in text  # the street office views, it does not reveal


@pytest.mark.parametrize("role", sorted(ROLE_PERMS))
def test_only_those_who_meet_the_person_may_reveal(world: World, role: str) -> None:
    """Grid workers and community secretaries (and the district) reveal, on the page and the
    API, each reveal audited; the street office views households with masked numbers only, and
    an evaluator, a handler, a commissioner or a resident reveals nothing."""
    h, r = world.secret_household, world.secret_resident
    user = world.users[role]
    page = login(user).post(f"/households/{h.pk}/members/{r.pk}/reveal/id_number/")
    _token, secret = token_create(actor=user, name="reveal")
    api = Client(raise_request_exception=False).post(
        f"/api/v1/households/{h.pk}/members/{r.pk}/reveal?what=phone",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    events = AuditEvent.objects.filter(action__startswith="reveal.", actor=user)
    if role in MAY_REVEAL:
        assert Perm.PERSONAL_REVEAL in ROLE_PERMS[role]
        assert SECRET_ID in page.content.decode()
        assert api.json() == {"value": SECRET_PHONE}
        assert sorted(events.values_list("action", flat=True)) == [
            "reveal.id_number",
            "reveal.phone",
        ]
    else:
        assert Perm.PERSONAL_REVEAL not in ROLE_PERMS[role]
        assert (page.status_code, api.status_code) in {(403, 403), (404, 404)}
        assert SECRET_ID not in page.content.decode()
        assert SECRET_PHONE not in api.content.decode()
        assert not events.exists()


def test_export_without_the_reveal_is_masked_like_the_page_and_not_audited(world: World) -> None:
    client = login(world.users["street_staff"])
    sheet = load_workbook(io.BytesIO(client.get("/households/export/?reveal=1").content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    secret = next(row for row in rows if row[0] == world.secret_household.code)
    assert secret[5] == SECRET_ID[:4] + "*" * 14
    assert SECRET_PHONE not in str(secret[6])
    assert not AuditEvent.objects.filter(action="reveal.export").exists()
