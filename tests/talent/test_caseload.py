"""Caseload services and pages: the cadence moves due dates set-based, assignment checks the
commissioner, handover moves a whole caseload in one audited step, contacts schedule the next,
and the caseload and workload pages run a fixed number of queries."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.models import AuditEvent
from gridlight.talent import caseload as services
from gridlight.talent import caseload_selectors as selectors
from gridlight.talent.access import talents_visible
from gridlight.talent.models import Cadence, CommissionerProfile, ServiceLog, Talent
from tests.conftest import CANARY, World, login
from tests.factories import UserFactory, assign

pytestmark = pytest.mark.django_db


def _second_commissioner(world: World, region: object = None) -> object:
    user = UserFactory(username="tc-second", display_name="接任专员")
    assign(user, "talent_commissioner", region or world.district)
    CommissionerProfile.objects.create(user=user, office_phone="0531-1")
    return user


def test_default_cadence_comes_from_the_migration() -> None:
    assert dict(Cadence.objects.values_list("level", "days")) == {
        "A": 30,
        "B": 30,
        "C": 91,
        "D": 91,
        "E": 182,
        "": 91,
    }


def test_cadence_change_moves_every_due_date_of_the_level(world: World) -> None:
    admin = world.users["district_admin"]
    secret = world.caseload.secret_talent
    moved = services.cadence_update(actor=admin, level="B", days=20, version_days=30)
    assert moved == 1
    secret.refresh_from_db()
    assert secret.next_contact_due == secret.last_contact_on + timedelta(days=20)
    event = AuditEvent.objects.get(action="caseload.cadence")
    assert event.changes["days"] == [30, 20]
    with pytest.raises(ConflictError):
        services.cadence_update(actor=admin, level="B", days=25, version_days=30)
    for outsider in (world.users["talent_commissioner"], world.twins["district_admin"]):
        with pytest.raises(PermissionDenied):
            services.cadence_update(actor=outsider, level="B", days=25, version_days=20)


def test_contact_schedules_the_next_one_and_refuses_the_future(world: World) -> None:
    commissioner = world.users["talent_commissioner"]
    talent = world.caseload.secret_talent
    today = timezone.localdate()
    services.contact_record(actor=commissioner, talent=talent, kind="call", on=today)
    talent.refresh_from_db()
    assert (talent.last_contact_on, talent.next_contact_due) == (today, today + timedelta(30))
    with pytest.raises(DomainError):
        services.contact_record(
            actor=commissioner, talent=talent, kind="call", on=today + timedelta(days=1)
        )
    with pytest.raises(DomainError):
        services.contact_record(actor=commissioner, talent=talent, kind="problem", on=today)
    # The twin commissioner serves another district: not its record.
    with pytest.raises(PermissionDenied):
        services.contact_record(
            actor=world.twins["talent_commissioner"], talent=talent, kind="call", on=today
        )
    assert AuditEvent.objects.filter(action="caseload.contact").count() == 1


def test_assignment_needs_an_active_commissioner_serving_the_street(world: World) -> None:
    admin = world.users["district_admin"]
    talent = world.caseload.secret_talent
    elsewhere = _second_commissioner(world, world.open_street)
    with pytest.raises(DomainError):
        services.caseload_assign_talent(
            actor=admin, talent=talent, version=talent.version, commissioner=elsewhere
        )
    CommissionerProfile.objects.filter(user=world.twins["talent_commissioner"]).update(active=False)
    with pytest.raises(DomainError):
        services.caseload_assign_talent(
            actor=admin,
            talent=talent,
            version=talent.version,
            commissioner=world.twins["talent_commissioner"],
        )
    with pytest.raises(PermissionDenied):
        services.caseload_assign_talent(
            actor=world.users["talent_commissioner"],
            talent=talent,
            version=talent.version,
            commissioner=world.users["talent_commissioner"],
        )
    assert Talent.objects.get(pk=talent.pk).commissioner == world.users["talent_commissioner"]


def test_reassignment_is_version_checked(world: World) -> None:
    admin = world.users["district_admin"]
    second = _second_commissioner(world)
    talent = world.caseload.secret_talent
    with pytest.raises(ConflictError):
        services.caseload_reassign(
            actor=admin, commissioner=second, talents=[services.Pick(talent.pk, talent.version + 1)]
        )
    moved = services.caseload_reassign(
        actor=admin, commissioner=second, talents=[services.Pick(talent.pk, talent.version)]
    )
    assert moved == 1
    talent.refresh_from_db()
    assert (talent.commissioner_id, talent.version) == (second.pk, 2)
    event = AuditEvent.objects.get(action="caseload.assign", object_id=str(talent.pk))
    assert event.changes == {"commissioner": [str(world.caseload.commissioner), str(second)]}
    assert event.region_path == talent.region_path


def test_handover_moves_the_whole_caseload_in_one_audited_step(world: World) -> None:
    admin = world.users["district_admin"]
    leaver = world.caseload.commissioner
    second = _second_commissioner(world)
    profile = CommissionerProfile.objects.get(user=leaver)
    with pytest.raises(ConflictError):
        services.caseload_handover(
            actor=admin, leaver=leaver, version=profile.version + 1, successor=second
        )
    with CaptureQueriesContext(connection) as queries:
        done = services.caseload_handover(
            actor=admin, leaver=leaver, version=profile.version, successor=second, deactivate=True
        )
    assert (done.talents, done.enterprises) == (2, 2)
    assert not Talent.objects.filter(commissioner=leaver).exists()
    assert not CommissionerProfile.objects.get(user=leaver).active
    rows = AuditEvent.objects.filter(action="caseload.handover")
    assert rows.count() == 5  # one per record and the summary on the leaver's desk
    assert len(queries) < 25


def test_a_commissioner_with_cases_cannot_stop_taking_them(world: World) -> None:
    admin = world.users["district_admin"]
    leaver = world.caseload.commissioner
    with pytest.raises(DomainError):
        services.commissioner_update(
            actor=admin, commissioner=leaver, version=1, office_phone="1", active=False
        )
    profile = services.commissioner_update(
        actor=leaver, commissioner=leaver, version=1, office_phone="0531-999", active=True
    )
    assert profile.office_phone == "0531-999"
    with pytest.raises(PermissionDenied):
        services.commissioner_update(
            actor=world.twins["district_admin"],
            commissioner=leaver,
            version=2,
            office_phone="x",
            active=True,
        )


def _more_talents(world: World, n: int) -> None:
    today = timezone.localdate()
    Talent.objects.bulk_create(
        [
            Talent(
                name=f"人才{i}",
                street=world.open_street,
                region_path=world.open_street.path,
                level="ABCDE"[i % 5],
                commissioner=world.caseload.commissioner,
                next_contact_due=today - timedelta(days=i),
            )
            for i in range(n)
        ]
    )


def _queries(client: object, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)  # type: ignore[attr-defined]
        assert response.status_code == 200
    return len(ctx)


def test_caseload_and_workload_pages_run_fixed_queries(world: World) -> None:
    admin = login(world.users["district_admin"])
    pk = world.caseload.commissioner.pk
    pages = [
        f"/talent/caseload/commissioners/{pk}/",
        "/talent/caseload/workload/",
        "/api/v1/caseload/workload",
        "/api/v1/caseload/figures",
    ]
    small = [_queries(admin, url) for url in pages]
    _more_talents(world, 120)
    assert [_queries(admin, url) for url in pages] == small


def test_workload_and_figures_count_the_talents_in_scope(world: World) -> None:
    """The workload's talents per commissioner and level, its due counts and its unserved
    talents, and the figures' talents, each equal to the records counted plainly: with a
    talent nobody serves and one served by a commissioner the district does not arrange (in
    the figures, in nobody's load), and none of the other district's."""
    today = timezone.localdate()
    street = world.open_street
    twin = world.twins["talent_commissioner"]
    for name, commissioner, region in (
        ("无专员人才", None, street),
        ("邻区专员人才", twin, street),
        ("邻区人才", twin, world.other_district),
    ):
        Talent.objects.create(
            name=name,
            street=region,
            region_path=region.path,
            level="C",
            commissioner=commissioner,
            next_contact_due=today + timedelta(days=3),
        )
    admin = world.users["district_admin"]
    w = selectors.workload(admin, today=today)
    in_scope = talents_visible(admin)
    assert w.unassigned_talents == in_scope.filter(commissioner__isnull=True).count() == 1
    (load,) = [x for x in w.loads if x.commissioner == world.caseload.commissioner]
    mine = in_scope.filter(commissioner=world.caseload.commissioner)
    by_level = dict(mine.values_list("level").annotate(n=Count("pk")).order_by())
    assert load.by_level == by_level == {"B": 1, "D": 1}
    # The secret talent ten days overdue, the secret enterprise due today (soon).
    assert (load.overdue, load.soon, load.enterprises) == (1, 1, 2)
    assert twin not in [x.commissioner for x in w.loads]
    assert selectors.figures(admin).talents == in_scope.count() == 4
    page = login(admin).get("/talent/caseload/workload/").content.decode()
    assert 'data-testid="fig-talents">4<' in page
    # The other district's administrator: its one talent, in its commissioner's load.
    other = world.twins["district_admin"]
    assert selectors.figures(other).talents == 1
    loads = selectors.workload(other, today=today).loads
    assert [x.by_level for x in loads if x.commissioner == twin] == [{"C": 1}]


def test_caseload_page_lists_the_most_overdue_first(world: World) -> None:
    _more_talents(world, 5)
    page = login(world.users["talent_commissioner"]).get("/talent/caseload/")
    assert page.status_code == 302
    body = login(world.users["talent_commissioner"]).get(page.url).content.decode()
    overdue = body[body.index('data-testid="worklist-overdue"') :]
    # Ten days overdue, then four, then one.
    assert overdue.index(f"{CANARY}人才") < overdue.index("人才4") < overdue.index("人才1")


def test_contact_form_records_and_the_twin_gets_404(world: World) -> None:
    talent = world.caseload.secret_talent
    url = f"/talent/caseload/talents/{talent.pk}/contact/"
    assert login(world.twins["talent_commissioner"]).get(url).status_code == 404
    client = login(world.users["talent_commissioner"])
    response = client.post(
        url, {"kind": "visit", "on": timezone.localdate().isoformat(), "notes": "走访"}
    )
    assert response.status_code == 302
    assert ServiceLog.objects.filter(talent=talent, notes="走访").exists()


def test_api_handover_and_cases(world: World) -> None:
    admin = login(world.users["district_admin"])
    leaver = world.caseload.commissioner
    second = _second_commissioner(world)
    cases = admin.get(f"/api/v1/caseload/commissioners/{leaver.pk}/cases?section=overdue").json()
    assert [c["name"] for c in cases["items"]] == [f"{CANARY}人才"]
    response = admin.post(
        f"/api/v1/caseload/commissioners/{leaver.pk}/handover",
        data=json.dumps({"successor_id": second.pk, "version": 1}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"talents": 2, "enterprises": 2}
    again = admin.post(
        f"/api/v1/caseload/commissioners/{leaver.pk}/handover",
        data=json.dumps({"successor_id": second.pk, "version": 1}),
        content_type="application/json",
    )
    assert again.status_code == 409
    twin = login(world.twins["district_admin"])
    assert (
        twin.get(f"/api/v1/caseload/talents/{world.caseload.secret_talent.pk}/contacts").status_code
        == 404
    )
