"""Domain errors: services raise these; views and the API turn them into a clear 4xx."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import DataError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

# Said when the database refuses a value that validation let through (a number beyond its
# integers, a text beyond its column).
OUT_OF_RANGE = gettext_lazy("A value is out of range or too long for what it is.")
# What validation let through and the database would not take: the caller's value, a 400.
VALUE_REFUSED: tuple[type[Exception], ...] = (DataError, OverflowError)


def value_refused(path: str, exc: Exception) -> str:
    """Log a value the database refused (with its traceback, in case it is ours) and say why
    the request is refused; pages, the API and Open311 each answer it in their own format."""
    logging.getLogger(__name__).warning("value refused by the database on %s", path, exc_info=exc)
    return str(OUT_OF_RANGE)


# Said when a request carries a NUL character, which no text may hold (PostgreSQL refuses it).
NUL_REFUSED = gettext_lazy("The request contains a NUL character (\\0), which no text may hold.")


class DomainError(Exception):
    """A request that cannot be carried out, with a message fit to show the user (HTTP 400)."""

    status = 400

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = str(message)


class ConflictError(DomainError):
    """Someone else changed the record since it was read (HTTP 409): reload and try again."""

    status = 409


class UnprocessableError(DomainError):
    """Well-formed but contradicting what was said before (HTTP 422), such as an idempotency
    key sent again with a different request."""

    status = 422


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based row number as Excel shows it; 0 for the whole file
    column: str
    message: str


@dataclass
class ImportRejected(Exception):
    """A spreadsheet failed validation; nothing was written. Carries every row-level error."""

    errors: list[RowError] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"row {e.row} {e.column}: {e.message}" for e in self.errors[:20])
