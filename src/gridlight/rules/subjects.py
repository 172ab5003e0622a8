"""What rules are about. A subject (a household, later a talent or an enterprise) tells the engine
which fields it has, their values for one record, and how to compute them for many at once in SQL.

The engine knows nothing about households: everything specific lives behind this protocol, which a
domain app implements and registers (``register``) when it starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, Protocol

from django.utils.functional import Promise

FieldType = Literal["int", "bool", "string", "double", "date", "list_string"]


@dataclass(frozen=True)
class FieldSpec:
    """A field of a subject. ``choices`` (value → label) lists what a text field may hold, for
    ``field_in`` and benefit tables. A field with ``years_since`` is a whole number of years
    since a date (an age since the birth date, years in the district since arrival): its
    feature column ``field:<name>`` holds that date, so batch comparisons are date comparisons
    on the column (index-friendly, identical on SQLite and PostgreSQL), while ``values`` gives
    the number of years on the evaluation date."""

    name: str
    type: FieldType
    label: str | Promise
    choices: tuple[tuple[str, str | Promise], ...] = ()
    years_since: bool = False


class Subject(Protocol):
    """A kind of record that rules classify."""

    name: str
    label: Any  # text or lazy text
    # The table whose rows are classified and the column holding their region path.
    table: str
    # The column holding each row's current outcome (compared by simulations).
    outcome_column: str
    # The outcomes a rule set about this subject may give: what reads them (the column above,
    # dashboards, exports) knows only these, so a version naming another is refused.
    outcomes: tuple[str, ...]

    def fields(self) -> dict[str, FieldSpec]:
        """Fields that CEL expressions may name (``age``, ``member_count``, ``tags`` …)."""
        ...

    def tags(self) -> dict[str, str]:
        """Tag codes that ``has_tag`` may name, with their labels."""
        ...

    def grades(self) -> dict[str, str]:
        """Graded attributes that ``grade_at_most`` may name, with their labels."""
        ...

    def values(self, obj: Any, as_of: date) -> dict[str, Any]:
        """The subject's field values for one evaluation: every key of ``fields()``, with None
        for what is not known, plus ``tags`` (a set) and ``grades`` (a dict code → grade)."""
        ...

    def feature_sql(self, needs: dict[str, str], as_of: date) -> tuple[str, list[Any]]:
        """A SELECT producing ``id``, ``region_path`` and one column per need, aliased as given.

        Needs are ``member_count``, ``oldest_birth`` (a date), ``tag:<code>`` (1 or NULL),
        ``grade:<code>`` (the lowest grade, or NULL) and ``field:<name>`` (the field's value,
        NULL when not known; for a ``years_since`` field, the date counted from). The engine
        asks only for what its rules use, and only for needs the subject's conditions can name
        (a subject without typed fields is never asked for ``field:`` needs).
        """
        ...


_REGISTRY: dict[str, Subject] = {}


def register(subject: Subject) -> None:
    _REGISTRY[subject.name] = subject


def get_subject(name: str) -> Subject:
    try:
        return _REGISTRY[name]
    except KeyError as exc:
        raise LookupError(f"no rule subject named {name!r}") from exc
