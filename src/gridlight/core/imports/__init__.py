"""Excel import and export of the region tree and service positions.

Every import follows docs/imports.md: the workbook is read through
:func:`gridlight.core.spreadsheets.open_table` (the guarded reader and the header check), every row
is checked first and any error rejects the whole file with row-level messages; only a clean file is
written, in one transaction, with one audit row. Rows are matched by code, so importing the same
file twice changes nothing the second time.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from gridlight.core.imports.common import ImportResult
from gridlight.core.imports.positions import (
    POSITION_COLUMNS,
    export_positions,
    import_positions,
)
from gridlight.core.imports.regions import REGION_COLUMNS, export_regions, import_regions
from gridlight.core.spreadsheets import Column, template_notes, write_workbook

__all__ = [
    "POSITION_COLUMNS",
    "REGION_COLUMNS",
    "ImportResult",
    "export_positions",
    "export_regions",
    "import_positions",
    "import_regions",
    "result_message",
    "template",
]


def result_message(result: ImportResult) -> str:
    return _("Import finished: %(c)s created, %(u)s updated, %(n)s unchanged.") % {
        "c": result.created,
        "u": result.updated,
        "n": result.unchanged,
    }


def template(columns: list[Column], sheet_name: str) -> bytes:
    """An empty import template (header only) with a notes sheet that shows an example row.
    ``sheet_name`` is also the sheet the import reads by name."""
    example = "  |  ".join(f"{c.header}: {c.example}" for c in columns if c.example)
    notes = [*template_notes(columns), _("Example: %(row)s") % {"row": example}]
    return write_workbook(sheet_name, columns, [], notes=notes)
