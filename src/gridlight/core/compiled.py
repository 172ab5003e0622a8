"""Hot statements with their SQL written once: the ORM compiles a read or an insert, later
calls only execute the statement (and build the models).

Django compiles a queryset into SQL every time it is evaluated. For the handful of reads every
API request makes (the bearer token, the user's assignments, the category and the region of an
intake) that compilation is most of the cost: about 0.3–0.7 ms of CPU each, against about
0.1 ms to execute a ready statement and build the model from its row (docs/benchmarks.md,
``intake``). A :class:`CompiledQuery` keeps the ORM as the one place that says what is read —
filters, joins, annotations, the database's quoting and converters — and pays for the
compilation once per thread and database. :func:`insert` does the same for the rows every
intake writes (the ticket, its transition, the audit event).

The queryset is built by a function of the query's parameters, called once with *sample*
values; each place where a sample turns up among the compiled statement's parameters becomes a
slot that later calls fill in. Samples must be distinctive (never equal to a constant of the
query) and must reach the statement unchanged: a lookup that transforms its value (``iexact``,
``startswith``) is refused when the plan is made.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Model, QuerySet
from django.db.models import query as _query
from django.db.models.query import ModelIterable
from django.db.models.sql import InsertQuery
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class _Const:
    value: Any


@dataclass
class _Plan:
    sql: str
    slots: list[int | _Const]
    compiler: SQLCompiler
    converters: dict[int, Any]
    model: type[Model]
    start: int
    end: int
    init_list: list[str]
    related: list[Any]
    annotations: dict[str, int]


def _other(sample: Any) -> Any:
    """A second sample, different from ``sample`` and of its kind."""
    if isinstance(sample, str):
        return sample + "\x01"
    if isinstance(sample, int) and not isinstance(sample, bool):
        return sample - 1
    raise TypeError(f"Samples are strings or integers, not {type(sample).__name__}.")


def _make_plan(build: Callable[..., QuerySet[Any]], alias: str, samples: Sequence[Any]) -> _Plan:
    """Compile the query twice, with the samples and with other values: the parameters that
    change with them are the slots, every other one must be the same both times (so a value
    the query works out for itself, or a sample it transforms, is refused, not frozen)."""
    others = [_other(s) for s in samples]
    qs = build(*samples)
    if qs._iterable_class is not ModelIterable:
        raise ValueError("A compiled query yields model instances (no values() or values_list()).")
    if qs._prefetch_related_lookups or qs._known_related_objects:  # type: ignore[attr-defined]
        raise ValueError("A compiled query cannot prefetch: it is one statement.")
    compiler = qs.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    sql_b, params_b = build(*others).query.get_compiler(using=alias).as_sql()
    if sql_b != sql or len(params_b) != len(params):
        raise ValueError("The statement changes with its parameters; it cannot be compiled once.")
    slots: list[int | _Const] = []
    used: set[int] = set()
    for value, value_b in zip(params, params_b, strict=True):
        if value == value_b and type(value) is type(value_b):
            slots.append(_Const(value))
            continue
        # psycopg wraps integers of integer fields (Int4, Int8): equal to the plain int.
        index = next(
            (i for i in range(len(samples)) if samples[i] == value and others[i] == value_b),
            None,
        )
        if index is None:
            raise ValueError(
                f"A parameter ({value!r}) changes with the samples but is none of them: the "
                "query transforms a sample or works a value out for itself."
            )
        slots.append(index)
        used.add(index)
    missing = [samples[i] for i in range(len(samples)) if i not in used]
    if missing:
        raise ValueError(
            f"The samples {missing!r} do not reach the statement unchanged; "
            "use a lookup that passes its value as it is."
        )
    select, klass_info = compiler.select, compiler.klass_info
    assert klass_info is not None
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    return _Plan(
        sql=sql,
        slots=slots,
        compiler=compiler,
        converters=compiler.get_converters([s[0] for s in select[: compiler.col_count]]),
        model=klass_info["model"],
        start=start,
        end=end,
        init_list=[f[0].target.attname for f in select[start:end]],
        # Django's own builder of select_related objects, as its ModelIterable uses it.
        related=_query.get_related_populators(klass_info, select, alias),  # type: ignore[attr-defined]
        annotations=dict(compiler.annotation_col_map or {}),
    )


class CompiledQuery(Generic[M]):
    """A read compiled once per thread and database, then executed with new parameters.

    ``CompiledQuery(lambda code: Category.objects.filter(code=code), "\\0code")`` — ``build``
    takes the parameters positionally; ``samples`` are the values it is compiled with. Each
    thread keeps its own plan (Django's connections are per thread, and so are the compiler's
    converters)."""

    def __init__(self, build: Callable[..., QuerySet[M]], *samples: Any) -> None:
        self._build = build
        self._samples = samples
        self._local = threading.local()

    def _plan(self, alias: str) -> _Plan:
        plans: dict[tuple[str, int], _Plan] = self._local.__dict__.setdefault("plans", {})
        # By the connection object too: settings overridden in a test replace it.
        key = (alias, id(connections[alias]))
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = _make_plan(self._build, alias, self._samples)
        return plan

    def all(self, *args: Any, using: str = DEFAULT_DB_ALIAS) -> list[M]:
        if len(args) != len(self._samples):
            raise TypeError(f"expected {len(self._samples)} parameters, got {len(args)}")
        plan = self._plan(using)
        params = [args[s] if isinstance(s, int) else s.value for s in plan.slots]
        with connections[using].cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows: Any = cursor.fetchall()
        if plan.converters:
            rows = plan.compiler.apply_converters(rows, plan.converters)
        found: list[M] = []
        for row in rows:
            obj = plan.model.from_db(using, plan.init_list, row[plan.start : plan.end])
            for populator in plan.related:
                populator.populate(row, obj)
            for name, pos in plan.annotations.items():
                setattr(obj, name, row[pos])
            found.append(obj)  # type: ignore[arg-type]
        return found

    def one(self, *args: Any, using: str = DEFAULT_DB_ALIAS) -> M | None:
        """The first row's model, or None (for a lookup by a unique key)."""
        found = self.all(*args, using=using)
        return found[0] if found else None


@dataclass
class _InsertPlan:
    sql: str
    fields: list[Any]
    returning: list[Any]
    compiler: SQLCompiler
    converters: dict[int, Any]


_insert_plans = threading.local()


def _insert_plan(obj: Model, alias: str, fields: list[Any]) -> _InsertPlan:
    plans: dict[tuple[type[Model], str, int], _InsertPlan] = _insert_plans.__dict__.setdefault(
        "plans", {}
    )
    key = (type(obj), alias, id(connections[alias]))
    plan = plans.get(key)
    if plan is None:
        meta = obj._meta
        query = InsertQuery(type(obj))
        query.insert_values(fields, [obj])
        compiler = query.get_compiler(using=alias)
        returning = list(meta.db_returning_fields)
        compiler.returning_fields = returning
        [(sql, params)] = compiler.as_sql()
        if len(params) != len(fields) or sql.count("%s") != len(fields):
            raise ValueError(f"{meta.label}: the INSERT does not take one plain value a field")
        columns = [f.get_col(meta.db_table) for f in returning]
        plan = plans[key] = _InsertPlan(
            sql, fields, returning, compiler, compiler.get_converters(columns)
        )
    return plan


def insert(obj: M, *, using: str = DEFAULT_DB_ALIAS) -> M:
    """``obj.save(force_insert=True)`` for the hottest writes, with the INSERT statement written
    once per model, thread and database. Model signals are not sent (Gridlight uses none).
    Whatever ``save()`` does beyond one INSERT goes through ``save()``: a row with an explicit
    primary key or a value that is an SQL expression (its statement differs), a model with its
    own ``save()``, parent tables or ordering with respect to another."""
    meta = obj._meta
    connection = connections[using]
    if (
        obj.pk is not None
        or meta.parents
        or meta.order_with_respect_to
        or type(obj).save is not Model.save
        or (
            not connection.features.can_return_columns_from_insert
            and len(meta.db_returning_fields) > 1
        )
    ):
        obj.save(force_insert=True, using=using)
        return obj
    obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
    if any(hasattr(getattr(obj, f.attname), "resolve_expression") for f in fields):
        obj.save(force_insert=True, using=using)
        return obj
    plan = _insert_plan(obj, using, fields)
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    # As save() does: an error inside an outer atomic block marks it for rollback.
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        cursor.execute(plan.sql, values)
        if not plan.returning:
            row: Any = ()
        elif connection.features.can_return_columns_from_insert:
            params = getattr(plan.compiler, "returning_params", ())  # Oracle's out-parameters
            row = connection.ops.fetch_returned_insert_columns(cursor, params)
        else:
            row = (connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column),)
    if plan.converters:
        [row] = plan.compiler.apply_converters([row], plan.converters)
    for field, value in zip(plan.returning, row, strict=True):
        setattr(obj, field.attname, value)
    obj._state.adding = False
    obj._state.db = using
    return obj
