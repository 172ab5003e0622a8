"""The rows of one sheet, streamed, with every cell reference checked as it is seen."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import IO, Any

from django.utils.translation import gettext as _

from gridlight.core.xlsx.checks import EXCEL_COLUMNS, EXCEL_ROWS, WorkbookRefused
from gridlight.core.xlsx.safexml import feed, local_name, safe_parser


@dataclass(frozen=True)
class SheetInfo:
    name: str
    part: str  # member name in the zip
    hidden: bool


def column_letters(number: int) -> str:
    """1 → A, 28 → AB."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _split_ref(ref: str) -> tuple[int, int]:
    """``AB12`` → (12, 28); (0, 0) for what is not a cell reference. The loop stops at the first
    non-letter, so an absurdly long reference costs no more than its own characters."""
    col = 0
    i = 0
    size = len(ref)
    while i < size and "A" <= ref[i] <= "Z":
        col = col * 26 + ord(ref[i]) - 64
        i += 1
        if col > EXCEL_COLUMNS:
            return 0, col
    digits = ref[i:]
    if not digits.isdigit() or len(digits) > 7:
        return (EXCEL_ROWS + 1 if digits.isdigit() else 0), col
    return int(digits), col


DIGITS = "0123456789"


def _column(letters: str, cache: dict[str, int]) -> int:
    """Column number of ``letters`` (A → 1), 0 when they are not a column Excel has."""
    if not 0 < len(letters) <= 3 or not letters.isascii() or not letters.isupper():
        return 0
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    if number > EXCEL_COLUMNS:
        return 0
    if len(cache) < 20_000:
        cache[letters] = number
    return number


def _checked_column(ref: str, letters: str, cache: dict[str, int], sheet: str) -> int:
    """The column of a reference off the fast path (a new column, or a row of seven digits),
    refusing one that is not a cell Excel can have."""
    col = cache.get(letters) or _column(letters, cache)
    digits = ref[len(letters) :]
    if not col or not (0 < len(digits) <= 7 and digits.isdigit() and int(digits) <= EXCEL_ROWS):
        raise _absurd(sheet, ref)
    if int(digits) == 0:
        raise _absurd(sheet, ref)
    return col


@dataclass
class SheetStream:
    """The rows of one sheet, read as they are iterated: ``for number, cells in stream``, where
    ``number`` is the Excel row number and ``cells`` the row's values by column (0-based; ``None``
    for an empty cell). Rows without a value are skipped. :attr:`merged` is complete once the
    rows have been read (Excel writes merged ranges after the rows)."""

    stream: IO[bytes]
    sheet: SheetInfo
    strings: list[str]
    date_styles: set[str]  # the ``s`` attribute of cells that hold dates
    epoch: date
    max_rows: int
    max_columns: int
    # (first row, first column, last row, last column), 1-based
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        out: list[tuple[int, list[Any]]] = []
        cells: dict[int, Any] = {}
        parts: list[str] = []
        columns: dict[str, int] = {}
        row = col = 0
        kind, style, grab, inline = "n", "", False, False
        strings, date_styles, epoch = self.strings, self.date_styles, self.epoch
        max_rows, max_columns, sheet_name = self.max_rows, self.max_columns, self.sheet.name

        def start(tag: str, attrs: dict[str, str]) -> None:
            nonlocal row, col, kind, style, grab, inline
            if tag == "c":
                ref = attrs.get("r")
                if ref:
                    letters = ref.rstrip(DIGITS)
                    col = columns.get(letters, 0)
                    if not col or not 0 < len(ref) - len(letters) < 7:
                        col = _checked_column(ref, letters, columns, sheet_name)
                else:
                    col += 1
                kind = attrs.get("t", "n")
                style = attrs.get("s", "")
            elif tag == "v":
                grab = True
            elif tag == "t":
                grab = inline
            elif tag == "is":
                inline = True
            elif tag == "row":
                ref = attrs.get("r")
                if ref is None:
                    row += 1
                else:
                    row = int(ref) if ref.isdigit() and len(ref) <= 7 else -1
                if not 0 < row <= EXCEL_ROWS:
                    raise _absurd(sheet_name, ref or "")
                col = 0
                cells.clear()
            elif tag == "rPh":  # a phonetic guide inside rich text: not the cell's text
                inline = False
            elif tag == "dimension":
                _check_dimension(attrs.get("ref", ""), sheet_name, max_rows, max_columns)
            elif tag == "mergeCell" and len(self.merged) < 1000:
                first, _sep, last = attrs.get("ref", "").partition(":")
                r0, c0 = _split_ref(first)
                r1, c1 = _split_ref(last or first)
                self.merged.append((r0, c0, r1, c1))
            elif ":" in tag:  # a prefixed name (x:c): once more by its local name
                start(local_name(tag), attrs)

        def end(tag: str) -> None:
            nonlocal grab, inline
            if tag == "c":
                if parts:
                    raw = parts[0] if len(parts) == 1 else "".join(parts)
                    parts.clear()
                    if kind == "s":
                        value = _shared(strings, raw)
                    elif kind == "inlineStr" or kind == "str":
                        value = raw
                    else:
                        value = _value(raw, kind, style in date_styles, epoch)
                    if value is not None and value != "":
                        if col > max_columns:
                            raise _too_wide(sheet_name, col, row, max_columns)
                        cells[col] = value
            elif tag == "v" or tag == "t":
                grab = False
            elif tag == "is":
                inline = False
            elif tag == "row":
                if cells:
                    if row > max_rows:
                        raise _too_long(sheet_name, row, max_rows)
                    values: list[Any] = [None] * max(cells)
                    for at, value in cells.items():
                        values[at - 1] = value
                    out.append((row, values))
                    cells.clear()
            elif ":" in tag:
                end(local_name(tag))

        def text(data: str) -> None:
            if grab:
                parts.append(data)

        with self.stream:
            for _step in feed(safe_parser(start, end, text), self.stream, self.sheet.part):
                yield from out
                out.clear()


def _shared(strings: list[str], raw: str) -> str:
    try:
        return strings[int(raw)]
    except (ValueError, IndexError):
        raise WorkbookRefused(
            "damaged", _("The workbook is damaged (a cell refers to a text that is not there).")
        ) from None


def _value(raw: str, kind: str, is_date: bool, epoch: date) -> Any:
    if kind == "e":
        return raw
    if kind == "b":
        return raw.strip() in ("1", "true")
    if kind == "d":
        try:
            return datetime.fromisoformat(raw.strip())
        except ValueError:
            return raw
    try:
        number = float(raw)
    except ValueError:
        return raw
    if is_date and 0 <= number < 2_958_466:  # up to 9999-12-31
        return _from_serial(number, epoch)
    return number


def _from_serial(serial: float, epoch: date) -> date | datetime | time:
    whole = int(serial)
    day = epoch + timedelta(days=whole)
    if serial == whole:
        return day
    moment = datetime(day.year, day.month, day.day) + timedelta(
        seconds=round((serial - whole) * 86400)
    )
    return moment.time() if whole == 0 else moment


def _check_dimension(ref: str, sheet: str, max_rows: int, max_columns: int) -> None:
    last = ref.partition(":")[2] or ref
    row, col = _split_ref(last.replace("$", ""))
    if row == 0 and col == 0:
        return  # a dimension Excel did not write; the cells are checked one by one
    if not (0 < col <= EXCEL_COLUMNS and 0 < row <= EXCEL_ROWS):
        raise _absurd(sheet, last)
    if col > max_columns or row > max_rows:
        raise WorkbookRefused(
            "dimension",
            _(
                "The sheet %(sheet)s says it reaches cell %(ref)s; at most %(rows)s rows and "
                "%(cols)s columns (up to column %(letters)s) are read. Delete the empty rows and "
                "columns after your data (select them, right-click, Delete) and save again."
            )
            % {
                "sheet": sheet,
                "ref": last,
                "rows": f"{max_rows:,}",
                "cols": max_columns,
                "letters": column_letters(max_columns),
            },
        )


def _absurd(sheet: str, ref: str) -> WorkbookRefused:
    return WorkbookRefused(
        "cell",
        _("The sheet %(sheet)s has a cell reference Excel cannot have: %(ref)s.")
        % {"sheet": sheet, "ref": ref[:20]},
    )


def _too_wide(sheet: str, col: int, row: int, max_columns: int) -> WorkbookRefused:
    return WorkbookRefused(
        "columns",
        _(
            "The sheet %(sheet)s has a value in cell %(ref)s; at most %(cols)s columns (up to "
            "column %(letters)s) are read. Move or delete it and save again."
        )
        % {
            "sheet": sheet,
            "ref": f"{column_letters(col)}{row}",
            "cols": max_columns,
            "letters": column_letters(max_columns),
        },
    )


def _too_long(sheet: str, row: int, max_rows: int) -> WorkbookRefused:
    return WorkbookRefused(
        "rows",
        _(
            "The sheet %(sheet)s has data in row %(row)s; at most %(max)s rows are read at once. "
            "Split the file."
        )
        % {"sheet": sheet, "row": f"{row:,}", "max": f"{max_rows:,}"},
    )
