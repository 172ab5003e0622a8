"""CEL expressions over a subject's fields: the escape hatch for expert administrators.

Built on ``common-expression-language`` (import name ``cel``), Python bindings to the Rust ``cel``
crate. What this module relies on from it:

* ``cel.compile(source)`` parses into a reusable ``cel.Program`` and raises ``ValueError`` with
  the parser's message (position and caret) on a syntax error. There is no type checker: an
  unknown name or an ill-typed operation only surfaces when it is evaluated.
* ``Program.variables()`` lists, without evaluating, the identifiers the expression reads — but
  also the variables bound by comprehension macros (the ``t`` in ``tags.exists(t, t == "x")``),
  which this module therefore finds itself (see :func:`_macro_only_names`).
* ``Program.execute(dict)`` evaluates; failures surface as plain Python exceptions
  (``TypeError`` "No such overload", ``RuntimeError`` "Undefined variable or function",
  ``ZeroDivisionError``, ``IndexError``, ``OverflowError``, ``ValueError`` for values it cannot
  convert). Python ``datetime`` becomes a CEL timestamp (naive means UTC), ``timedelta`` a
  duration; ``datetime.date`` and sets are not accepted, hence the conversions below.
* ``Program`` cannot be pickled or compared, so a :class:`CompiledCel` lives in process memory
  (``compile_cel`` keeps an LRU cache of them) and compares by source and field types.

Dates: a ``date`` field, and the always-available ``today``, are CEL **timestamps at midnight
UTC** of that calendar day. Timestamps compare (``birth_date < timestamp("1945-01-01T00:00:00Z")``),
subtract into durations (``today - birth_date > duration("700800h")``) and give back their
calendar parts in UTC, which are then exactly the date's (``today.getFullYear() -
birth_date.getFullYear() >= 80``; ``getMonth()`` counts from 0). ISO strings would only compare.
Plain int fields such as ``age`` remain the simpler way to write most rules.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Literal

import cel
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

FieldType = Literal["int", "bool", "string", "double", "date", "list_string"]

TODAY = "today"

# Comprehension macros of the Rust crate. It supports only the one-variable forms
# (``list.all(x, p)``), so a macro binds exactly one name, its first argument.
_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})

# Just enough of CEL's lexical grammar to find macro binders in source that already parsed:
# strings (raw ones have no escapes) and comments are skipped whole, so that what looks like
# ``.exists(t,`` inside them is not taken for a binder.
_TOKEN = re.compile(
    r"""
      (?P<comment>//[^\n]*)
    | (?P<raw>[bB]?[rR][bB]?(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"[^"\n]*"|'[^'\n]*'))
    | (?P<string>[bB]?(?:\"\"\"(?:\\[\s\S]|[^\\])*?\"\"\"|'''(?:\\[\s\S]|[^\\])*?'''
                      |"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<number>[0-9][0-9A-Za-z_.]*)
    | (?P<punct>[.,()[\]{}])
    | (?P<space>\s+)
    | (?P<other>.)
    """,
    re.VERBOSE,
)

_CEL_TYPE_NAMES: dict[type, str] = {
    bool: "bool",
    int: "int",
    float: "double",
    str: "string",
    bytes: "bytes",
    list: "list",
    dict: "map",
    datetime: "timestamp",
    timedelta: "duration",
    type(None): "null",
}

# Two sets of values of the declared types, used at compile time to evaluate the expression
# once each: CEL picks operators by runtime type, so a wrong result type or a "no such overload"
# seen with these values is an error of the expression itself, not of the values.
_PROBE_TODAY = datetime(2000, 1, 1, tzinfo=UTC)
_PROBES: dict[FieldType, tuple[object, object]] = {
    "int": (0, 1),
    "bool": (False, True),
    "string": ("", "x"),
    "double": (0.0, 1.5),
    "date": (datetime(1970, 1, 1, tzinfo=UTC), datetime(1940, 6, 15, tzinfo=UTC)),
    "list_string": ([], ["x"]),
}


class CelError(ValueError):
    """A CEL expression that cannot be used or evaluated; ``message`` is for the administrator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CompiledCel:
    """A checked CEL expression, ready to evaluate any number of times.

    ``fields`` are the subject fields the expression reads (``today`` is not one of them);
    ``field_types`` pairs each of them with its type, for converting values. Hashable and
    comparable by source and fields; the compiled ``program`` is shared, never recompiled.
    """

    source: str
    fields: frozenset[str]
    program: cel.Program = field(compare=False, repr=False)
    field_types: tuple[tuple[str, FieldType], ...] = ()
    uses_today: bool = False


def compile_cel(source: str, fields: Mapping[str, FieldType]) -> CompiledCel:
    """Compile ``source`` into a :class:`CompiledCel` whose identifiers are all in ``fields``
    (or ``today``), or raise :class:`CelError` saying why it cannot be used.

    Refused: an empty expression, a syntax error (with the parser's message), an unknown
    identifier (naming it and the known fields), and what a trial evaluation with sample values
    of the declared types shows to be wrong — a result that is not true/false, an operation on
    the wrong types, or an unknown function. A branch that the trial values do not reach is not
    checked; such an error shows up at evaluation instead. Results are cached per source and
    field types, so compiling the same rule again is free.
    """
    if TODAY in fields:
        raise ValueError(f"{TODAY!r} is reserved in CEL expressions and cannot be a field name")
    return _compile(source, tuple(sorted(fields.items())))


@lru_cache(maxsize=1024)
def _compile(source: str, field_items: tuple[tuple[str, FieldType], ...]) -> CompiledCel:
    if not source.strip():
        raise CelError(_("The expression is empty."))
    try:
        program = cel.compile(source)
    except ValueError as exc:
        raise CelError(
            _("The expression cannot be parsed: %(error)s")
            % {"error": _parser_message(exc, source)}
        ) from exc

    types = dict(field_items)
    # The crate reports macro variables among the variables; those are not fields.
    names = set(program.variables()) - _macro_only_names(source)
    unknown = sorted(names - types.keys() - {TODAY})
    if unknown:
        raise CelError(
            ngettext(
                "unknown field: %(names)s; known fields: %(known)s",
                "unknown fields: %(names)s; known fields: %(known)s",
                len(unknown),
            )
            % {"names": ", ".join(unknown), "known": ", ".join([*sorted(types), TODAY])}
        )

    used = sorted(names & types.keys())
    compiled = CompiledCel(
        source=source,
        fields=frozenset(used),
        program=program,
        field_types=tuple((name, types[name]) for name in used),
        uses_today=TODAY in names,
    )
    _trial(compiled)
    return compiled


def evaluate_cel(
    compiled: CompiledCel, values: Mapping[str, object], *, today: date | None = None
) -> bool | None:
    """Evaluate ``compiled`` on one subject's ``values``: True or False, or None ("unknown") when
    a field the expression reads is missing or None in ``values``.

    ``today`` (by default the current date in the site's time zone) is what the expression sees
    as ``today``. Date fields take ``date`` or ``datetime`` (reduced to its calendar date) or an
    ISO date string; list fields take a list, tuple or set (a set is sorted). Raises
    :class:`CelError` when the evaluation fails (a type mismatch, division by zero, …) or gives
    something other than true/false.
    """
    context: dict[str, object] = {}
    for name, type_ in compiled.field_types:
        value = values.get(name)
        if value is None:
            return None
        if type_ == "date":
            value = _timestamp(value, name)
        elif type_ == "list_string" and isinstance(value, set | frozenset):
            value = sorted(value)
        elif type_ == "double" and isinstance(value, int | Decimal) and not isinstance(value, bool):
            # CEL does no arithmetic between int and double, and cannot take a Decimal at all.
            value = float(value)
        context[name] = value
    if compiled.uses_today:
        context[TODAY] = _timestamp(today if today is not None else timezone.localdate(), TODAY)
    return _run(compiled, context)


def _run(compiled: CompiledCel, context: dict[str, object]) -> bool:
    try:
        result = compiled.program.execute(context)
    except Exception as exc:  # the bindings raise assorted built-in exceptions, see module doc
        raise CelError(_("The expression cannot be evaluated: %(error)s") % {"error": exc}) from exc
    if not isinstance(result, bool):
        raise CelError(
            _("The expression must give true or false, but it gives a value of type %(type)s.")
            % {"type": _CEL_TYPE_NAMES.get(type(result), type(result).__name__)}
        )
    return result


def _trial(compiled: CompiledCel) -> None:
    """Evaluate ``compiled`` on each set of sample values, raising :class:`CelError` for what
    cannot depend on the values: a non-boolean result, no overload for the operand types, an
    undefined function (or a macro variable used outside its macro)."""
    for sample in (0, 1):
        context: dict[str, object] = {
            name: _PROBES[type_][sample] for name, type_ in compiled.field_types
        }
        if compiled.uses_today:
            context[TODAY] = _PROBE_TODAY
        try:
            _run(compiled, context)
        except CelError as exc:
            cause = exc.__cause__
            if cause is None or isinstance(cause, TypeError):
                raise
            if isinstance(cause, RuntimeError) and str(cause).startswith("Undefined"):
                raise
            # Anything else (division by zero, index out of range, int("")…) may be down to
            # the sample values, so it does not condemn the expression.


def _macro_only_names(source: str) -> set[str]:
    """Names that ``source`` (which must already have parsed) uses only as comprehension macro
    variables, inside their own macro: the ``t`` of ``tags.exists(t, t == "x")``, but not the
    second ``t`` of ``tags.exists(t, t == "x") || t == "y"``, which is read from the context.

    A scan of lexemes with a stack of open brackets, not a parser. A name counts as a variable
    use unless it follows a dot (field selection, method call) or precedes "(" (function call).
    The crate has no two-variable comprehensions and no ``cel.bind``, so neither is recognised.
    """
    lexemes = [
        '""' if m.lastgroup in {"raw", "string"} else m.group()
        for m in _TOKEN.finditer(source)
        if m.lastgroup not in {"comment", "space"}
    ]
    binders: set[str] = set()
    free: set[str] = set()
    # One entry per open bracket: the name its macro binds, or None.
    scopes: list[str | None] = []
    for i, lexeme in enumerate(lexemes):
        before = lexemes[i - 1] if i else ""
        after = lexemes[i + 1] if i + 1 < len(lexemes) else ""
        if lexeme in {"(", "[", "{"}:
            bound = None
            if lexeme == "(" and i >= 2 and lexemes[i - 2] == "." and before in _MACROS:
                name, comma = [*lexemes[i + 1 : i + 3], "", ""][:2]
                if comma == "," and name.isidentifier():
                    bound = name
                    binders.add(name)
            scopes.append(bound)
        elif lexeme in {")", "]", "}"}:
            if scopes:
                scopes.pop()
        elif lexeme.isidentifier() and before != "." and after != "(" and lexeme not in scopes:
            free.add(lexeme)
    return binders - free


def _timestamp(value: object, name: str) -> datetime:
    """``value`` as a CEL timestamp: midnight UTC of its calendar date."""
    if isinstance(value, datetime):
        value = value.date()
    elif isinstance(value, str):
        with contextlib.suppress(ValueError):  # not a date: refused just below
            value = date.fromisoformat(value)
    if not isinstance(value, date):
        raise CelError(_("The field %(field)s does not hold a date.") % {"field": name})
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _parser_message(exc: ValueError, source: str) -> str:
    """The parser's own message, without its preamble that repeats the whole source."""
    message = str(exc)
    preamble = f"Failed to parse expression '{source}': "
    return message.removeprefix(preamble).replace("ERROR: <input>:", "")
