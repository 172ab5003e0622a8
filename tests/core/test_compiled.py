"""Compiled statements: a read or an insert written once by the ORM must give exactly what the
ORM gives, row for row and field for field, for whatever parameters later calls bring."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connections
from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Upper
from django.forms.models import model_to_dict
from django.utils import timezone

from gridlight.core.compiled import CompiledQuery, insert
from gridlight.core.models import ApiToken, AuditEvent, Region
from gridlight.core.services import token_create, token_digest
from gridlight.tickets.models import Category, Ticket, Transition
from tests.conftest import World
from tests.factories import RegionFactory

_REGION = CompiledQuery(lambda code: Region.objects.filter(code=code).order_by(), "\0code")
_TOKEN = CompiledQuery(
    lambda digest: ApiToken.objects.select_related("user").filter(
        digest=digest, revoked_at__isnull=True
    ),
    "\0digest",
)
_CATEGORY = CompiledQuery(
    lambda code: Category.objects.filter(code=code).annotate(
        has_children=Exists(Category.objects.filter(parent=OuterRef("pk")))
    ),
    "\0category",
)
_CHILDREN = CompiledQuery(
    lambda parent_id: Category.objects.filter(parent_id=parent_id, active=True), -424_242
)


def _fields(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_a_compiled_read_gives_what_the_orm_gives_for_each_parameter(world: World) -> None:
    for region in Region.objects.all():
        found = _REGION.one(region.code)
        assert found is not None
        assert _fields(found) == _fields(region)  # datetimes converted as the ORM converts them
        assert found._state.adding is False
        assert found._state.db == "default"
    assert _REGION.one("no such code") is None


def test_select_related_annotations_and_lists(world: World) -> None:
    _token, secret = token_create(actor=world.users["district_admin"], name="compiled")

    token = _TOKEN.one(token_digest(secret))
    assert token is not None
    assert token.user == world.users["district_admin"]
    assert _fields(token.user) == _fields(world.users["district_admin"])
    assert _TOKEN.one(token_digest(secret + "x")) is None

    group = Category.objects.filter(children__isnull=False).distinct().first()
    assert group is not None
    leaf = group.children.first()
    assert leaf is not None
    assert _CATEGORY.one(group.code).has_children is True  # type: ignore[union-attr]
    assert _CATEGORY.one(leaf.code).has_children is False  # type: ignore[union-attr]
    expected = list(Category.objects.filter(parent=group, active=True))
    assert [_fields(c) for c in _CHILDREN.all(group.pk)] == [_fields(c) for c in expected]
    assert _CHILDREN.all(-1) == []


def test_one_statement_a_call(world: World, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        assert _REGION.one(world.open_grid.code) == world.open_grid
    with django_assert_num_queries(1):
        assert _REGION.one(world.secret_grid.code) == world.secret_grid


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_thread_compiles_and_reads_on_its_own_connection() -> None:
    district = RegionFactory(name="线程区")
    seen: list[Any] = []

    def read() -> None:
        try:
            seen.append(_REGION.one(district.code))
        finally:
            connections.close_all()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert seen == [district]
    assert _REGION.one(district.code) == district


def test_lookups_that_change_their_value_are_refused(world: World) -> None:
    bad = CompiledQuery(lambda code: Region.objects.filter(code__startswith=code), "\0code")
    with pytest.raises(ValueError, match="none of them"):
        bad.one("37")
    # A value the query works out for itself would be frozen: refused too.
    frozen = CompiledQuery(
        lambda code: Region.objects.filter(code=code, created_at__lte=timezone.now()), "\0c"
    )
    with pytest.raises(ValueError, match="none of them"):
        frozen.one("x")
    with pytest.raises(TypeError):
        _REGION.one()
    values = CompiledQuery(lambda code: Region.objects.filter(code=code).values("pk"), "\0c")
    with pytest.raises(ValueError, match="model instances"):
        values.one("x")


def test_insert_stores_what_save_stores(world: World) -> None:
    category = Category.objects.get(code="school_enrolment")
    now = timezone.now()

    def ticket(title: str) -> Ticket:
        return Ticket(
            category=category,
            region=world.open_grid,
            region_path=world.open_grid.path,
            source="hotline",
            title=title,
            description="描述",
            latitude=36.65,
            created_by=world.users["district_admin"],
            talent=True,
            created_at=now,
            updated_at=now,
        )

    by_save = ticket("甲")
    by_save.save(force_insert=True)
    by_insert = insert(ticket("甲"))
    assert by_insert.pk is not None
    assert by_insert.pk != by_save.pk
    assert by_insert._state.adding is False
    stored = Ticket.objects.get(pk=by_insert.pk)
    expected = Ticket.objects.get(pk=by_save.pk)
    assert model_to_dict(stored) | {"id": 0} == model_to_dict(expected) | {"id": 0}
    assert _fields(stored) | {"id": 0} == _fields(expected) | {"id": 0}

    # JSON, foreign keys and an auto_now_add time set by the insert itself.
    t = insert(
        Transition(
            ticket=stored,
            name="submit",
            source="",
            target="submitted",
            at=now,
            actor=world.users["district_admin"],
            data={"source": "hotline", "中文": [1, 2]},
        )
    )
    assert Transition.objects.get(pk=t.pk).data == {"source": "hotline", "中文": [1, 2]}
    event = insert(AuditEvent(action="test.compiled", object_type="x", changes={"a": [1, 2]}))
    assert event.at is not None
    assert abs(event.at - timezone.now()) < timedelta(minutes=1)
    assert AuditEvent.objects.get(pk=event.pk).at == event.at
    # A second insert of the same model reuses the statement and stores its own values.
    again = insert(ticket("乙"))
    assert Ticket.objects.get(pk=again.pk).title == "乙"


def test_insert_falls_back_to_save_for_explicit_keys_and_expressions(world: World) -> None:
    event = AuditEvent(pk=987_654, action="test.explicit-pk")
    assert insert(event).pk == 987_654
    assert AuditEvent.objects.filter(pk=987_654, action="test.explicit-pk").exists()
    # A value that is an SQL expression is computed by the database, through save().
    labelled = insert(AuditEvent(action="test.expression", object_label=Upper(Value("abc"))))
    assert AuditEvent.objects.get(pk=labelled.pk).object_label == "ABC"


def test_a_constant_equal_to_a_sample_stays_a_constant_and_integer_fields_work(
    world: World,
) -> None:
    # level=2 is a constant of the query; the sample 2 must not take its place.
    communities = CompiledQuery(
        lambda level: Region.objects.filter(level=level, kind="community").order_by("path"),
        2,
    )
    expected = list(Region.objects.filter(level=2, kind="community").order_by("path"))
    assert communities.all(2) == expected
    assert communities.all(3) == []
    both = CompiledQuery(
        lambda level: Region.objects.filter(level=level).exclude(level=2).order_by("path"), 2
    )
    assert both.all(3) == list(Region.objects.filter(level=3).order_by("path"))
    assert both.all(2) == []


def test_a_failed_insert_marks_the_outer_block_for_rollback(world: World) -> None:
    from django.db import IntegrityError, connection, transaction

    region = world.open_grid
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            insert(
                Region(
                    parent=region.parent,
                    kind=region.kind,
                    level=region.level,
                    code=region.code,  # taken
                    name="重复",
                    path=region.path + "9",
                )
            )
        assert connection.needs_rollback  # the block is rolled back as it ends
    assert Region.objects.filter(pk=region.pk).exists()
