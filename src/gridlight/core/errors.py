"""Domain errors: services raise these; views and the API turn them into a clear 4xx."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise


class DomainError(Exception):
    """A request that cannot be carried out, with a message fit to show the user (HTTP 400)."""

    status = 400

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = str(message)


class ConflictError(DomainError):
    """Someone else changed the record since it was read (HTTP 409): reload and try again."""

    status = 409


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
