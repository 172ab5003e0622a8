"""Reading and writing spreadsheets: the one place imports and exports touch workbook files.

Reading goes through the guarded streaming reader of :mod:`gridlight.core.xlsx` (sizes checked
before parsing, rows streamed, rows and columns capped); :func:`open_table` adds the header
check every import shares and yields rows with their Excel row numbers. Writing goes through
xlsxwriter in constant-memory mode, to memory or to a file (large exports, core/exports.py).
Readers never write anything: validation and writing belong to the import service of each kind
of record. docs/imports.md shows how an import is built.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from os import PathLike
from typing import IO, Any

import xlsxwriter
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from gridlight.core import xlsx
from gridlight.core.errors import ImportRejected, RowError
from gridlight.core.xlsx import SheetStream


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
    if isinstance(value, str):  # ASCII is its own NFKC form (most cells: numbers, codes)
        return (value if value.isascii() else unicodedata.normalize("NFKC", value)).strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def cell_text(value: Any) -> str:
    if type(value) is str:  # the common case, without the checks below
        return normalise(value)  # type: ignore[no-any-return]
    value = normalise(value)
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


@dataclass
class Table:
    """One sheet of an uploaded workbook with its header row matched to the import's columns.

    Rows are read as they are iterated (see :mod:`gridlight.core.xlsx` for the limits checked
    before and while reading); iterate :meth:`rows` once. :attr:`merged` lists the merged ranges
    (first row, first column, last row, last column; 1-based) once the rows have been read.
    """

    header_row: int  # Excel row number of the header
    positions: dict[str, int]  # column key -> 0-based position in the sheet
    stream: SheetStream
    _rows: Iterator[tuple[int, list[Any]]]
    hidden_sheets: list[str]

    def rows(self, *, as_text: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
        """(Excel row number, {column key: value}) for every row below the header with a value
        in one of the import's columns. Values are normalised (:func:`normalise`), or with
        ``as_text`` turned into text by :func:`cell_text` (empty cells become ``""``)."""
        convert = cell_text if as_text else normalise
        empty = "" if as_text else None
        positions = list(self.positions.items())
        nfkc = unicodedata.normalize
        for number, cells in self._rows:
            width = len(cells)
            if as_text:
                # cell_text inlined for text cells (nearly all of them; millions in a district
                # import): the same result without two calls per cell.
                values: dict[str, Any] = {}
                for key, i in positions:
                    v = cells[i] if i < width else None
                    if type(v) is str:
                        values[key] = (v if v.isascii() else nfkc("NFKC", v)).strip()
                    else:
                        values[key] = "" if v is None else cell_text(v)
            else:
                values = {key: convert(cells[i]) if i < width else empty for key, i in positions}
            if any(v not in (None, "") for v in values.values()):
                yield number, values

    @property
    def merged(self) -> list[tuple[int, int, int, int]]:
        return self.stream.merged

    def no_data(self) -> list[RowError]:
        """The errors for a sheet with a header and no data rows (naming hidden sheets, whose
        data is not read)."""
        return [RowError(0, "", _("The workbook has no data rows.")), *_hidden(self.hidden_sheets)]


@contextmanager
def open_table(
    upload: IO[bytes],
    columns: Sequence[Column],
    *,
    sheet: str = "",
    max_rows: int | None = None,
) -> Iterator[Table]:
    """Open ``upload`` through the guarded reader and match its header to ``columns``.

    The sheet read is the visible one named ``sheet`` (the template's name), else the first
    visible one; hidden sheets are never read. The header is the first row with any text;
    headers may be Chinese or English, a trailing ``*`` is ignored. ``max_rows`` caps the last
    row number read (Excel's 1,048,576 by default).

    Raises :class:`ImportRejected` when the file is not a workbook that may be read
    (:class:`~gridlight.core.xlsx.WorkbookRefused`, with a ``reason``), when the sheet is empty,
    or when headers are missing, unknown or repeated; rows may raise it too while being read
    (a cell beyond the limits).
    """
    with xlsx.open_workbook(upload) as book:
        stream = book.read(book.choose(sheet), max_rows=max_rows)
        rows = iter(stream)
        header = next(((n, cells) for n, cells in rows if any(map(cell_text, cells))), None)
        if header is None:
            raise ImportRejected(
                [RowError(0, "", _("The workbook is empty.")), *_hidden(book.hidden_sheets)]
            )
        number, cells = header
        positions = match_header(number, cells, columns)
        yield Table(number, positions, stream, rows, book.hidden_sheets)


def _hidden(names: list[str]) -> list[RowError]:
    if not names:
        return []
    message = _(
        "Hidden sheets are not read (%(names)s): unhide the sheet with the data, or copy the "
        "data to the visible sheet."
    ) % {"names": "、".join(names)}
    return [RowError(0, "", message)]


def match_header(row: int, cells: Sequence[Any], columns: Sequence[Column]) -> dict[str, int]:
    """Column key -> position for a header row; :class:`ImportRejected` for unknown, repeated
    or missing required headers."""
    by_header: dict[str, Column] = {}
    for col in columns:
        by_header[col.header] = col
        by_header[col.header_en.lower()] = col
    errors: list[RowError] = []
    positions: dict[str, int] = {}
    for i, raw in enumerate(cells):
        text = cell_text(raw).rstrip("*").strip()
        if not text:
            continue
        found = by_header.get(text) or by_header.get(text.lower())
        if found is None:
            errors.append(RowError(row, text, _("Unknown column header: %(h)s") % {"h": text}))
        elif found.key in positions:
            errors.append(RowError(row, text, _("Column appears twice: %(h)s") % {"h": text}))
        else:
            positions[found.key] = i
    for col in columns:
        if col.required and col.key not in positions:
            errors.append(
                RowError(
                    row, col.header, _("Required column is missing: %(h)s") % {"h": col.header}
                )
            )
    if errors:
        raise ImportRejected(errors)
    return positions


@dataclass
class Sheet:
    rows: list[tuple[int, dict[str, Any]]]  # (Excel row number, {column key: value})


def read_sheet(
    upload: IO[bytes], columns: Sequence[Column], *, sheet: str = "", max_rows: int | None = None
) -> Sheet:
    """All data rows of a small import at once (see :func:`open_table`); an import of many rows
    iterates :meth:`Table.rows` instead."""
    with open_table(upload, columns, sheet=sheet, max_rows=max_rows) as table:
        rows = list(table.rows())
        if not rows:
            raise ImportRejected(table.no_data())
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
