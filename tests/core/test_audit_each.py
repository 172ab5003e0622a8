"""``audit.record_each`` writes, set-based, the very events ``audit.record`` writes one by one."""

from __future__ import annotations

from django.db import connection
from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext

from gridlight.core import audit
from gridlight.core.models import AuditEvent, Region
from tests.conftest import World

FIELDS = ("actor_id", "actor_label", "action", "object_type", "object_id", "object_label")


def _event(e: AuditEvent) -> tuple[object, ...]:
    return (*(getattr(e, f) for f in FIELDS), e.region_path, e.changes, e.ip)


def _written() -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(action="region.update").order_by("object_id", "pk")


def test_record_each_writes_one_event_per_row_as_record_does(world: World) -> None:
    admin = world.users["district_admin"]
    regions = Region.objects.filter(level__gte=1).order_by("pk")
    assert regions.count() >= 3
    token = audit.current_ip.set("203.0.113.7")
    try:
        for r in regions:
            audit.record(
                actor=admin,
                action="region.update",
                obj=r,
                region_path=r.path,
                changes={"code": [r.code, None]},
            )
        one_by_one = [_event(e) for e in _written()]
        _written().delete()
        with CaptureQueriesContext(connection) as queries:
            written = audit.record_each(
                regions,
                actor=admin,
                action="region.update",
                object_label=F("name"),
                region_path=F("path"),
                changes=Concat(
                    Value('{"code": ["'), "code", Value('", null]}'), output_field=CharField()
                ),
            )
    finally:
        audit.current_ip.reset(token)
    assert len(queries) == 1
    assert written == regions.count()
    assert [_event(e) for e in _written()] == one_by_one


def test_record_each_of_the_system_and_of_no_rows(world: World) -> None:
    assert (
        audit.record_each(
            Region.objects.filter(code="no-such-code"),
            actor=None,
            action="region.update",
            object_label=F("name"),
            region_path=F("path"),
            changes=Value("{}", output_field=CharField()),
        )
        == 0
    )
    written = audit.record_each(
        Region.objects.filter(pk=world.open_grid.pk),
        actor=None,
        action="region.update",
        object_label=F("name"),
        region_path=F("path"),
        changes=Value("{}", output_field=CharField()),
    )
    assert written == 1
    event = _written().get()
    assert (event.actor_id, event.actor_label, event.changes) == (None, "system", {})
