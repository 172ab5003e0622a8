"""What the imports of core records share."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from gridlight.core.errors import ImportRejected, RowError
from gridlight.core.spreadsheets import cell_text

# A region tree or a position list is thousands of rows, never a hundred thousand: a bigger file
# is a mistake, refused from its declared dimension before it is read.
MAX_ROWS = 100_000


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int


def reject_if(errors: list[RowError]) -> None:
    """All-or-nothing: any error rejects the file, its messages sorted by row and column."""
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e.row, e.column)))


def check_code(
    row: int, value: object, column: str, seen: dict[str, int], errors: list[RowError]
) -> str:
    """The row's code: required and not repeated within the file."""
    code = cell_text(value)
    if not code:
        errors.append(RowError(row, column, _("Code is required.")))
    elif code in seen:
        errors.append(
            RowError(
                row,
                column,
                _("Code %(code)s repeats row %(row)s.") % {"code": code, "row": seen[code]},
            )
        )
    else:
        seen[code] = row
    return code
