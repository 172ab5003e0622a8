"""The condition catalogue: typed conditions, combinators and CEL, in three-valued logic.

A condition is written as a small JSON object — ``{"has_tag": "dibao"}``,
``{"all_of": [{"age_at_least": 80}, {"member_count_at_most": 1}]}``,
``{"cel": "age >= 60 && 'empty_nest' in tags"}`` — and parsed into a :class:`Condition` that can:

(a) evaluate one subject's values to pass / fail / unknown, with the values it saw and a label;
(b) render itself as an SQL boolean over a feature row, for set-based batch evaluation — SQL's
    own three-valued logic (NULL = unknown) matches ours, so ``CASE WHEN`` fires only on pass;
(c) list the features it needs, so the batch query computes only those.

Unknown is not fail: a rule whose condition is unknown does not fire, and the page says
"information missing" rather than "not eligible".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy, gettext_noop
from django.utils.translation import gettext as _

from gridlight.rules.cel import CelError, CompiledCel, compile_cel, evaluate_cel
from gridlight.rules.subjects import FieldSpec, Subject

State = Literal["pass", "fail", "unknown"]


Argument = Literal["tag", "number", "grade", "field", "group", "negation", "expression"]


@dataclass(frozen=True)
class CatalogueEntry:
    """One kind of condition as people pick it: its key in a definition, a label, what its
    argument is (a tag of the subject, a whole number within bounds, a graded attribute with a
    grade within bounds, a list of conditions, one condition, a CEL expression)."""

    kind: str
    label: str | Promise
    argument: Argument
    low: int = 0
    high: int = 0


CATALOGUE: tuple[CatalogueEntry, ...] = (
    CatalogueEntry("has_tag", gettext_lazy("has the attribute"), "tag"),
    CatalogueEntry("age_at_least", gettext_lazy("oldest member aged at least"), "number", 0, 200),
    CatalogueEntry(
        "member_count_at_least", gettext_lazy("members living here, at least"), "number", 0, 50
    ),
    CatalogueEntry(
        "member_count_at_most", gettext_lazy("members living here, at most"), "number", 0, 50
    ),
    CatalogueEntry(
        "grade_at_most",
        gettext_lazy("graded attribute at this grade or more severe"),
        "grade",
        1,
        10,
    ),
    # Typed field conditions, for any subject that declares the field (``FieldSpec``): a talent's
    # level, an enterprise's revenue. ``{"field_at_least": {"field": "revenue_yuan", "value":
    # 20000000}}``, ``{"field_in": {"field": "level", "values": ["A", "B"]}}``.
    CatalogueEntry("field_at_least", gettext_lazy("field at least"), "field"),
    CatalogueEntry("field_at_most", gettext_lazy("field at most"), "field"),
    CatalogueEntry("field_in", gettext_lazy("field is one of"), "field"),
    CatalogueEntry("all_of", gettext_lazy("all of these hold"), "group"),
    CatalogueEntry("any_of", gettext_lazy("any of these holds"), "group"),
    CatalogueEntry("not", gettext_lazy("does not hold"), "negation"),
    CatalogueEntry("cel", gettext_lazy("CEL expression (for experts)"), "expression"),
)
ENTRIES = {e.kind: e for e in CATALOGUE}


class ConditionError(ValueError):
    """A condition that cannot be used, with a message for the administrator who wrote it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Verdict:
    state: State
    label: str
    seen: dict[str, Any] = field(default_factory=dict)
    parts: list[Verdict] = field(default_factory=list)
    # The subject fields whose missing values left this verdict unknown (empty unless unknown):
    # what the subject would have to add for the condition to be decided.
    missing: frozenset[str] = frozenset()


@dataclass
class SqlContext:
    """Maps each need to the column alias of the feature row, and holds the evaluation date."""

    columns: dict[str, str]
    as_of: date

    def col(self, need: str) -> str:
        return f"f.{self.columns[need]}"


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class Condition:
    def evaluate(self, values: dict[str, Any]) -> Verdict:
        raise NotImplementedError

    def sql(self, ctx: SqlContext) -> tuple[str, list[Any]]:
        raise NotImplementedError

    def needs(self) -> set[str]:
        raise NotImplementedError

    @property
    def batchable(self) -> bool:
        """Whether the condition renders to SQL (CEL is evaluated in Python instead)."""
        return True


def _state(ok: bool) -> State:
    return "pass" if ok else "fail"


@dataclass
class HasTag(Condition):
    tag: str
    tag_label: str

    def evaluate(self, values: dict[str, Any]) -> Verdict:
        tags = values.get("tags") or set()
        ok = self.tag in tags
        return Verdict(_state(ok), self.tag_label, {self.tag_label: _("yes") if ok else _("no")})

    def sql(self, ctx: SqlContext) -> tuple[str, list[Any]]:
        return f"(COALESCE({ctx.col('tag:' + self.tag)}, 0) = 1)", []

    def needs(self) -> set[str]:
        return {"tag:" + self.tag}


@dataclass
class AgeAtLeast(Condition):
    years: int

    def evaluate(self, values: dict[str, Any]) -> Verdict:
        age = values.get("age")
        label = _("oldest member aged %(n)s or over") % {"n": self.years}
        if age is None:
            return Verdict("unknown", label, {_("age"): None}, missing=frozenset({"age"}))
        return Verdict(_state(age >= self.years), label, {_("age"): age})

    def sql(self, ctx: SqlContext) -> tuple[str, list[Any]]:
        return f"({ctx.col('oldest_birth')} <= %s)", [years_before(ctx.as_of, self.years)]

    def needs(self) -> set[str]:
        return {"oldest_birth"}


@dataclass
class MemberCount(Condition):
    bound: int
    at_most: bool

    def evaluate(self, values: dict[str, Any]) -> Verdict:
        n = values.get("member_count")
        if self.at_most:
            label = _("at most %(n)s member(s) living here") % {"n": self.bound}
        else:
            label = _("at least %(n)s members living here") % {"n": self.bound}
        if n is None:
            return Verdict(
                "unknown", label, {_("members"): None}, missing=frozenset({"member_count"})
            )
        ok = n <= self.bound if self.at_most else n >= self.bound
        return Verdict(_state(ok), label, {_("members"): n})

    def sql(self, ctx: SqlContext) -> tuple[str, list[Any]]:
        op = "<=" if self.at_most else ">="
        return f"(COALESCE({ctx.col('member_count')}, 0) {op} %s)", [self.bound]

    def needs(self) -> set[str]:
        return {"member_count"}


@dataclass
class GradeAtMost(Condition):
    """A graded attribute at or more severe than ``grade`` (grade 1 is the most severe)."""

    attribute: str
    attribute_label: str
    grade: int

    def evaluate(self, values: dict[str, Any]) -> Verdict:
        grade = (values.get("grades") or {}).get(self.attribute)
        label = _("%(attr)s grade %(g)s or more severe") % {
            "attr": self.attribute_label,
            "g": self.grade,
        }
        if grade is None:
            return Verdict("fail", label, {self.attribute_label: _("none")})
        return Verdict(_state(grade <= self.grade), label, {self.attribute_label: grade})

    def sql(self, ctx: SqlContext) -> tuple[str, list[Any]]:
        return f"(COALESCE({ctx.col('grade:' + self.attribute)}, 99) <= %s)", [self.grade]

    def needs(self) -> set[str]:
        return {"grade:" + self.attribute}


FieldOp = Literal["at_least", "at_most", "in"]


@dataclass
class FieldCompare(Condition):
    """A typed comparison of one subject field: at least / at most a whole number, or one of
    a list of values. A field with no value is unknown (SQL: NULL), never a fail."""

    spec: FieldSpec
    op: FieldOp
    bound: int = 0
    allowed: tuple[Any, ...] = ()
    # Per language: the label, the field's label and its choices' labels (translating them on
    # every evaluation was most of the time of matching one subject against fifty policies).
    _texts: dict[str | None, tuple[str, str, dict[Any, str]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def _words(self) -> tuple[str, str, dict[Any, str]]:
        language = get_language()
        found = self._texts.get(language)
        if found is None:
            found = self._texts[language] = (
                self._label(),
                str(self.spec.label),
                {v: str(label) for v, label in self.spec.choices},
            )
        return found

    def _shown(self, value: Any) -> Any:
        return dict(self.spec.choices).get(value, value) if isinstance(value, str) else value

    def _label(self) -> str:
        if self.op == "at_least":
            return _("%(f)s at least %(n)s") % {"f": self.spec.label, "n": self.bound}
        if self.op == "at_most":
            return _("%(f)s at most %(n)s") % {"f": self.spec.label, "n": self.bound}
        return _("%(f)s is %(v)s") % {
            "f": self.spec.label,
            "v": _(" or ").join(str(self._shown(v)) for v in self.allowed),
        }

    def evaluate(self, values: dict[str, Any]) -> Verdict:
        value = values.get(self.spec.name)
        label, field_label, shown = self._words()
        if value is None:
            return Verdict(
                "unknown", label, {field_label: None}, missing=frozenset({self.spec.name})
            )
        if self.op == "at_least":
            ok = value >= self.bound
        elif self.op == "at_most":
            ok = value <= self.bound
        else:
            ok = value in self.allowed
        seen = shown.get(value, value) if isinstance(value, str) else value
        return Verdict(_state(ok), label, {field_label: seen})

    def sql(self, ctx: SqlContext) -> tuple[str, list[Any]]:
        col = ctx.col("field:" + self.spec.name)
        if self.spec.years_since:
            # The column holds the date counted from: n years or more since it ⇔ on or before
            # the same day n years ago; at most n ⇔ after the day n + 1 years ago.
            if self.op == "at_least":
                return f"({col} <= %s)", [years_before(ctx.as_of, self.bound)]
            return f"({col} > %s)", [years_before(ctx.as_of, self.bound + 1)]
        if self.op == "at_least":
            return f"({col} >= %s)", [self.bound]
        if self.op == "at_most":
            return f"({col} <= %s)", [self.bound]
        marks = ", ".join(["%s"] * len(self.allowed))
        return f"({col} IN ({marks}))", list(self.allowed)

    def needs(self) -> set[str]:
        return {"field:" + self.spec.name}


_WORDS: dict[tuple[str | None, str], str] = {}


def _word(word: str) -> str:
    """ " and " / " or ", translated once per language."""
    key = (get_language(), word)
    found = _WORDS.get(key)
    if found is None:
        found = _WORDS[key] = _(word)
    return found


@dataclass
class _Group(Condition):
    """A list of conditions joined by "and" or "or", in three-valued logic."""

    parts: list[Condition]
    # The state that decides the group as soon as one part has it ("fail" for and, "pass" for
    # or), the word that joins the labels, and the SQL operator (whose NULL logic is the same).
    deciding: State = "fail"
    word: str = " and "
    operator: str = " AND "

    def evaluate(self, values: dict[str, Any]) -> Verdict:
        verdicts = [p.evaluate(values) for p in self.parts]
        states = {v.state for v in verdicts}
        other: State = "pass" if self.deciding == "fail" else "fail"
        state: State = (
            self.deciding
            if self.deciding in states
            else "unknown"
            if "unknown" in states
            else other
        )
        seen = {k: v for verdict in verdicts for k, v in verdict.seen.items()}
        labels = [
            f"({v.label})" if isinstance(p, _Group) else v.label
            for p, v in zip(self.parts, verdicts, strict=True)
        ]
        missing = (
            frozenset().union(*(v.missing for v in verdicts)) if state == "unknown" else frozenset()
        )
        return Verdict(state, _word(self.word).join(labels), seen, verdicts, missing)

    def sql(self, ctx: SqlContext) -> tuple[str, list[Any]]:
        return _join(self.parts, self.operator, ctx)

    def needs(self) -> set[str]:
        return set().union(*(p.needs() for p in self.parts))

    @property
    def batchable(self) -> bool:
        return all(p.batchable for p in self.parts)


def AllOf(parts: list[Condition]) -> _Group:
    return _Group(parts, "fail", gettext_noop(" and "), " AND ")


def AnyOf(parts: list[Condition]) -> _Group:
    return _Group(parts, "pass", gettext_noop(" or "), " OR ")


@dataclass
class Not(Condition):
    part: Condition

    def evaluate(self, values: dict[str, Any]) -> Verdict:
        inner = self.part.evaluate(values)
        flipped: dict[State, State] = {"pass": "fail", "fail": "pass", "unknown": "unknown"}
        return Verdict(
            flipped[inner.state],
            _("not (%(c)s)") % {"c": inner.label},
            inner.seen,
            [inner],
            inner.missing,
        )

    def sql(self, ctx: SqlContext) -> tuple[str, list[Any]]:
        inner, params = self.part.sql(ctx)
        return f"(NOT {inner})", params

    def needs(self) -> set[str]:
        return self.part.needs()

    @property
    def batchable(self) -> bool:
        return self.part.batchable


@dataclass
class Cel(Condition):
    compiled: CompiledCel

    def evaluate(self, values: dict[str, Any]) -> Verdict:
        cel_values = {k: values.get(k) for k in self.compiled.fields}
        if "tags" in cel_values and cel_values["tags"] is not None:
            cel_values["tags"] = sorted(cel_values["tags"])
        try:
            result = evaluate_cel(self.compiled, cel_values)
        except CelError as exc:
            return Verdict("unknown", self.compiled.source, {_("error"): exc.message})
        if result is None:
            missing = frozenset(k for k, v in cel_values.items() if v is None)
            return Verdict("unknown", self.compiled.source, cel_values, missing=missing)
        return Verdict(_state(result), self.compiled.source, cel_values)

    def sql(self, ctx: SqlContext) -> tuple[str, list[Any]]:
        raise ConditionError(_("A CEL condition is evaluated in Python, not in SQL."))

    def needs(self) -> set[str]:
        return {"cel"}

    @property
    def batchable(self) -> bool:
        return False


def _join(parts: list[Condition], op: str, ctx: SqlContext) -> tuple[str, list[Any]]:
    sqls, params = [], []
    for p in parts:
        s, ps = p.sql(ctx)
        sqls.append(s)
        params += ps
    return "(" + op.join(sqls) + ")", params


def _int(value: Any, what: str, low: int = 0, high: int = 200) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConditionError(
            _("%(what)s must be a whole number from %(low)s to %(high)s.")
            % {"what": what, "low": low, "high": high}
        )
    return int(value)


def parse_condition(spec: Any, subject: Subject) -> Condition:
    """Parse and check a condition against what ``subject`` offers; refuses with the reason."""
    if not isinstance(spec, dict) or len(spec) != 1:
        raise ConditionError(
            _('A condition is an object with exactly one key, such as {"has_tag": "dibao"}.')
        )
    ((kind, arg),) = spec.items()
    fields = subject.fields()
    if kind == "has_tag":
        tags = subject.tags()
        if not isinstance(arg, str) or arg not in tags:  # a list here is no tag (nor hashable)
            raise ConditionError(_("Unknown tag: %(t)s") % {"t": arg})
        return HasTag(arg, tags[arg])
    if kind == "age_at_least":
        _require(fields, "age", kind)
        entry = ENTRIES[kind]
        return AgeAtLeast(_int(arg, _("Age"), entry.low, entry.high))
    if kind in {"member_count_at_most", "member_count_at_least"}:
        _require(fields, "member_count", kind)
        entry = ENTRIES[kind]
        count = _int(arg, _("Member count"), entry.low, entry.high)
        return MemberCount(count, kind.endswith("at_most"))
    if kind == "grade_at_most":
        grades = subject.grades()
        if not isinstance(arg, dict) or set(arg) != {"attribute", "grade"}:
            raise ConditionError(_('grade_at_most takes {"attribute": …, "grade": …}.'))
        if not isinstance(arg["attribute"], str) or arg["attribute"] not in grades:
            raise ConditionError(_("Unknown graded attribute: %(a)s") % {"a": arg["attribute"]})
        entry = ENTRIES[kind]
        grade = _int(arg["grade"], _("Grade"), entry.low, entry.high)
        return GradeAtMost(arg["attribute"], grades[arg["attribute"]], grade)
    if kind in {"all_of", "any_of"}:
        if not isinstance(arg, list) or not arg:
            raise ConditionError(_("%(k)s takes a non-empty list of conditions.") % {"k": kind})
        parts = [parse_condition(p, subject) for p in arg]
        return AllOf(parts) if kind == "all_of" else AnyOf(parts)
    if kind == "not":
        return Not(parse_condition(arg, subject))
    if kind in {"field_at_least", "field_at_most", "field_in"}:
        return _field_condition(kind, arg, subject)
    if kind == "cel":
        if not isinstance(arg, str):
            raise ConditionError(_("cel takes an expression as text."))
        try:
            compiled = compile_cel(arg, {name: f.type for name, f in fields.items()})
        except CelError as exc:
            raise ConditionError(exc.message) from exc
        return Cel(compiled)
    raise ConditionError(_("Unknown condition: %(k)s") % {"k": kind})


_SCALAR_TYPES = {"int", "string", "bool"}


def _field_condition(kind: str, arg: Any, subject: Subject) -> FieldCompare:
    key = "values" if kind == "field_in" else "value"
    if not isinstance(arg, dict) or set(arg) != {"field", key}:
        raise ConditionError(_('%(k)s takes {"field": …, "%(v)s": …}.') % {"k": kind, "v": key})
    fields = subject.fields()
    name = arg["field"]
    spec = fields.get(name) if isinstance(name, str) else None
    if spec is None or spec.type not in _SCALAR_TYPES:
        known = ", ".join(n for n, f in fields.items() if f.type in _SCALAR_TYPES)
        raise ConditionError(
            _("Unknown field: %(f)s; known fields: %(k)s") % {"f": name, "k": known}
        )
    if kind == "field_in":
        values = arg["values"]
        if spec.years_since or spec.type == "int":
            raise ConditionError(
                _("%(f)s is a number: compare it with field_at_least or field_at_most.")
                % {"f": name}
            )
        wanted: type = bool if spec.type == "bool" else str
        if (
            not isinstance(values, list)
            or not values
            or not all(type(v) is wanted for v in values)  # True is no text, 1 no boolean
        ):
            raise ConditionError(_("field_in takes a non-empty list of values."))
        choices = dict(spec.choices)
        unknown = [str(v) for v in values if choices and v not in choices]
        if unknown:
            raise ConditionError(
                _("%(f)s cannot be %(v)s; it is one of %(c)s.")
                % {"f": name, "v": ", ".join(unknown), "c": ", ".join(choices)}
            )
        return FieldCompare(spec, "in", allowed=tuple(dict.fromkeys(values)))
    if spec.type != "int":
        raise ConditionError(_("%(f)s is not a number.") % {"f": name})
    bound = _int(arg["value"], str(spec.label), 0, 10**15)
    return FieldCompare(spec, "at_least" if kind == "field_at_least" else "at_most", bound)


def _require(fields: dict[str, Any], name: str, kind: str) -> None:
    if name not in fields:
        raise ConditionError(
            _("%(kind)s cannot be used here: this subject has no %(field)s.")
            % {"kind": kind, "field": name}
        )
