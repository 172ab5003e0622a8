"""The guarded .xlsx reader: every import reads workbooks through here, and nothing else does.

An uploaded workbook is hostile until proven otherwise. The reader decides from sizes first and
parses last:

1. the first bytes say what the file is (an .xlsx is a zip; an .xls or a password-protected
   workbook is an OLE2 file; CSV and HTML are text) — anything but an .xlsx is refused by name;
2. the zip's central directory (its end record, read before ``zipfile`` builds anything) caps the
   number of members; ``infolist()`` gives every member's declared uncompressed size, which
   ``zipfile`` enforces while inflating (more data fails its CRC check) — the total, each part and
   the compression ratio of each part are checked against :data:`LIMITS` before a byte is
   inflated, so a zip bomb is refused in milliseconds, from its sizes alone;
3. the sheet is chosen by name among the *visible* worksheets (hidden sheets are never read);
4. the sheet's XML is streamed through expat in 64 KB pieces: the declared ``<dimension>`` is
   checked as soon as it is seen (it comes before the rows), every cell reference is checked as it
   is seen (no cell beyond Excel's grid, no value beyond :attr:`Limits.max_columns`, no row beyond
   the import's row cap), and rows are handed on one at a time. Memory is one row plus the shared
   strings (whose part has its own size cap); a DTD or entity declaration is refused.

Why not python-calamine for reading (it stays for tests): it turns the sheet into a dense grid
spanning the first to the last cell *position*, whatever lies between. A 5 KB file with cells at A1
and XFD1048576 makes it ask for 512 GB, and a failed allocation in Rust aborts the whole process —
it is not an exception Python can catch, and nothing in its API bounds it. Running it in a child
process under ``resource.setrlimit`` would contain the abort, but only on POSIX, after spending
the seconds, and with every row pickled back. Streaming the XML ourselves keeps memory bounded by
construction, costs about 3.5 times calamine's parse in CPU (3.5 s against 1.0 s for 100,000
rows of nine columns; docs/imports.md), and gives a verdict on a bomb before any parsing.
"""

from __future__ import annotations

from gridlight.core.xlsx.book import Workbook, open_workbook
from gridlight.core.xlsx.checks import (
    EXCEL_COLUMNS,
    EXCEL_ROWS,
    LIMITS,
    Limits,
    WorkbookRefused,
)
from gridlight.core.xlsx.rows import SheetInfo, SheetStream, column_letters

__all__ = [
    "EXCEL_COLUMNS",
    "EXCEL_ROWS",
    "LIMITS",
    "Limits",
    "SheetInfo",
    "SheetStream",
    "Workbook",
    "WorkbookRefused",
    "column_letters",
    "open_workbook",
]
