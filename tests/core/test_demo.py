"""The Shizhong demo district reproduces the report's figures, and building it is repeatable."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from gridlight.core.demo.build import DISTRICT_CODE, build_demo, demo_password, demo_users
from gridlight.core.models import Assignment, AuditEvent, Region, ServicePosition, User

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    under = Region.objects.get(code=DISTRICT_CODE).path
    regions = Region.objects.filter(path__startswith=under)
    positions = ServicePosition.objects.filter(region_path__startswith=under)
    return {
        "streets": regions.filter(level=1).count(),
        "communities": regions.filter(level=2).count(),
        "grids": regions.filter(level=3).count(),
        "party_mass_centre": positions.filter(kind="party_mass_centre").count(),
        "grid_station": positions.filter(kind="grid_station").count(),
        "warm_heart_station": positions.filter(kind="warm_heart_station").count(),
    }


def test_demo_reproduces_the_reported_figures() -> None:
    build_demo()
    assert _counts() == {
        "streets": 17,
        "communities": 116,
        "grids": 615,
        "party_mass_centre": 116,
        "grid_station": 615,
        "warm_heart_station": 125,
    }
    names = set(Region.objects.values_list("name", flat=True))
    assert {"建新社区", "乐山社区", "睦和苑社区", "舜华社区", "英雄山社区", "春元里社区"} <= names
    village = Region.objects.get(name="小庄村")
    assert village.kind == "village"
    assert ServicePosition.objects.filter(region=village, kind="culture_square").exists()


def test_demo_is_repeatable() -> None:
    build_demo()
    snapshot = (
        Region.objects.count(),
        ServicePosition.objects.count(),
        User.objects.count(),
        Assignment.objects.count(),
        AuditEvent.objects.count(),
    )
    assert build_demo() == 0
    assert snapshot == (
        Region.objects.count(),
        ServicePosition.objects.count(),
        User.objects.count(),
        Assignment.objects.count(),
        AuditEvent.objects.count(),
    )


def test_every_role_has_a_demo_user_and_an_out_of_scope_twin() -> None:
    build_demo()
    users = demo_users()
    roles = {u.role for u in users if u.twin_of is None}
    assert len(roles) == 10
    for u in users:
        if u.twin_of is None:
            twin = next(t for t in users if t.twin_of == u.username)
            assert twin.role == u.role
            assert twin.region_code != u.region_code or u.region_code is None
    admin = User.objects.get(username="admin")
    assert admin.check_password(demo_password("admin"))


def test_load_demo_command_prints_the_sign_ins(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("load_demo", households=0, tickets=0)
    out = capsys.readouterr().out
    assert "gridworker" in out
    assert demo_password("gridworker") in out
