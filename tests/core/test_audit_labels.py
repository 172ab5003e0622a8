"""The audit trail reads in words: actions and coded values (statuses) by their translated
labels, people by their display names — never ``ticket.handle`` or ``['in_progress', …]``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from gridlight.core.audit import action_label
from gridlight.households.models import ResidentStatus
from gridlight.tickets import services
from gridlight.tickets.models import Status, Step
from tests.conftest import World, login

SRC = Path(__file__).resolve().parents[2] / "src" / "gridlight"


def _written_actions() -> set[str]:
    """Every action code the code base writes: the literal ones, and those made from steps,
    resident statuses and revealed fields."""
    codes = set()
    for path in SRC.rglob("*.py"):
        codes |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text()))
    codes |= {f"ticket.{s}" for s in Step.values}
    codes |= {f"resident.{s}" for s in ResidentStatus.values if s != ResidentStatus.PRESENT}
    codes |= {"reveal.id_number", "reveal.phone", "resident.add", "resident.update"}
    return codes


def test_every_action_written_has_a_label() -> None:
    codes = _written_actions()
    assert len(codes) > 40
    assert [c for c in codes if action_label(c) == c] == []


@pytest.mark.django_db
def test_audit_list_shows_labels_and_display_names(world: World) -> None:
    handler = world.users["department_handler"]
    handler.display_name = "承办人孙丙"
    handler.save(update_fields=["display_name"])
    t = world.secret_ticket
    t = services.sign(actor=handler, ticket=t, version=t.version)
    t = services.start(actor=handler, ticket=t, version=t.version)
    services.handle(actor=handler, ticket=t, version=t.version, result="已办")
    body = login(world.users["district_admin"]).get("/audit/?action=ticket.").content.decode()
    table = body.split('data-testid="audit"')[1]
    assert "ticket.handle" not in table
    assert "in_progress" not in table
    assert ">department_handler<" not in table
    assert "承办人孙丙" in table
    with translation.override("zh-hans"):
        assert action_label("ticket.handle") in table
        assert f"{Status.IN_PROGRESS.label} → " in table
    # The trail is searched by the name it shows, too.
    found = login(world.users["district_admin"]).get("/audit/?actor=孙丙").content.decode()
    assert str(action_label("ticket.sign")) in found.split('data-testid="audit"')[1]


def test_a_change_naming_a_reverse_relation_is_shown_by_its_name(world: World) -> None:
    from gridlight.core.audit import changes_display
    from gridlight.core.models import AuditEvent

    # A household's move counts the rows it carried ("residents", "visits"): reverse relations
    # of Household, which have no label of their own.
    event = AuditEvent.objects.create(
        action="household.move",
        object_type="households.household",
        object_id="1",
        region_path=world.secret_street.path,
        changes={"residents": 3, "region_path": ["0001.0001", "0001.0002"]},
    )
    shown = {c.field: c for c in changes_display(event)}
    assert shown["residents"].after == "3"
    assert login(world.users["district_admin"]).get("/audit/").status_code == 200


@pytest.mark.django_db
def test_a_change_holding_records_is_shown_field_by_field(world: World) -> None:
    """A change whose value is a record or a list of records (a talent's children, an
    enterprise's platforms) made the audit page fail for everyone in scope (a 500)."""
    from gridlight.core.audit import changes_display
    from gridlight.core.models import AuditEvent

    event = AuditEvent.objects.create(
        action="talent.update",
        object_type="talent.talent",
        object_id="1",
        region_path=world.secret_street.path,
        changes={
            "children": [[{"name": "甲", "birth_date": "2019-05-01"}], []],
            "platform": {"name": "院士工作站", "year": 2024},
        },
    )
    shown = {c.field: c for c in changes_display(event)}
    assert "2019-05-01" in shown["children"].before
    assert "院士工作站" in shown["platform"].after
    assert login(world.users["district_admin"]).get("/audit/").status_code == 200
