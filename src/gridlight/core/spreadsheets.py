"""Reading and writing spreadsheets: the one place that knows about workbook files.

Reading goes through python-calamine (fast, tolerant of real-world files); writing through
xlsxwriter (in constant-memory mode for files of any size). Readers return plain rows with their
Excel row numbers and never write anything: validation and writing belong to the import service
of each kind of record.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from os import PathLike
from typing import IO, Any

import xlsxwriter
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from gridlight.core.errors import ImportRejected, RowError


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # Chinese header, as staff write it
    header_en: str
    required: bool = False
    example: str = ""
    note: str | Promise = ""  # lazy, so the notes follow the reader's language


def normalise(value: Any) -> Any:
    """Cell text as staff mean it: full-width digits and letters folded (NFKC), edges trimmed,
    whole-number floats (Excel stores 12 as 12.0) turned back into integers."""
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def cell_text(value: Any) -> str:
    value = normalise(value)
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


@dataclass
class Sheet:
    rows: list[tuple[int, dict[str, Any]]]  # (Excel row number, {column key: value})


def read_sheet(upload: IO[bytes], columns: Sequence[Column]) -> Sheet:
    """Read the first sheet, matching headers (Chinese or English) to ``columns``.

    Raises :class:`ImportRejected` when the file is not a workbook, or headers are missing,
    unknown or repeated. Blank rows are skipped.
    """
    try:
        data = upload.read()
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise ValueError("no sheets")
        table = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several types for a file that is not a workbook
        raise ImportRejected(
            [RowError(0, "", _("The file is not an Excel workbook (.xlsx) that can be read."))]
        ) from exc
    # Skip leading blank rows to find the header.
    header_index = next((i for i, row in enumerate(table) if any(cell_text(c) for c in row)), None)
    if header_index is None:
        raise ImportRejected([RowError(0, "", _("The workbook is empty."))])
    by_header: dict[str, Column] = {}
    for col in columns:
        by_header[col.header] = col
        by_header[col.header_en.lower()] = col
    errors: list[RowError] = []
    positions: dict[str, int] = {}
    for i, raw in enumerate(table[header_index]):
        text = cell_text(raw).rstrip("*").strip()
        if not text:
            continue
        found = by_header.get(text) or by_header.get(text.lower())
        if found is None:
            errors.append(
                RowError(header_index + 1, text, _("Unknown column header: %(h)s") % {"h": text})
            )
        elif found.key in positions:
            errors.append(
                RowError(header_index + 1, text, _("Column appears twice: %(h)s") % {"h": text})
            )
        else:
            positions[found.key] = i
    for col in columns:
        if col.required and col.key not in positions:
            errors.append(
                RowError(
                    header_index + 1,
                    col.header,
                    _("Required column is missing: %(h)s") % {"h": col.header},
                )
            )
    if errors:
        raise ImportRejected(errors)
    rows = []
    for offset, cells in enumerate(table[header_index + 1 :], start=header_index + 2):
        values = {
            key: normalise(cells[i]) if i < len(cells) else None for key, i in positions.items()
        }
        if all(v in (None, "") for v in values.values()):
            continue
        rows.append((offset, values))
    return Sheet(rows)


def write_workbook(
    sheet_name: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    notes: Sequence[str] = (),
) -> bytes:
    """An .xlsx with a bold header row (Chinese headers, required ones starred) and ``rows``,
    built in memory (small files: templates, error reports, small exports)."""
    buffer = io.BytesIO()
    _write(xlsxwriter.Workbook(buffer, {"in_memory": True}), sheet_name, columns, rows, notes)
    return buffer.getvalue()


def write_workbook_file(
    path: str | PathLike[str],
    sheet_name: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    notes: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
) -> int:
    """The same workbook written to ``path`` in constant memory (each row goes to a temporary
    file as it is written; the parts are zipped at the end), for exports of any size. Calls
    ``progress(rows so far)`` every 5,000 rows; returns the number of rows."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    return _write(book, sheet_name, columns, rows, notes, progress)


def _write(
    book: xlsxwriter.Workbook,
    sheet_name: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    notes: Sequence[str],
    progress: Callable[[int], None] | None = None,
) -> int:
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7"})
    sheet = book.add_worksheet(sheet_name)
    for c, col in enumerate(columns):
        sheet.write_string(0, c, col.header + ("*" if col.required else ""), bold)
        sheet.set_column(c, c, max(12, len(col.header) * 3))
    write_string, write_number = sheet.write_string, sheet.write_number
    r = 0
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                write_number(r, c, value)
            else:
                write_string(r, c, str(value))
        if progress is not None and r % 5000 == 0:
            progress(r)
    if notes:
        info = book.add_worksheet(_("Notes"))
        for i, line in enumerate(notes):
            info.write_string(i, 0, line)
        info.set_column(0, 0, 100)
    book.close()
    return r


def template_notes(columns: Sequence[Column]) -> list[str]:
    notes = [_("Fill in one row per record below the header. Columns marked * are required.")]
    notes += [f"{c.header} ({c.header_en}): {c.note}" for c in columns if c.note]
    notes.append(_("The whole file is checked first; if any row is wrong, nothing is imported."))
    return notes
