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

import posixpath
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import IO, Any
from xml.parsers import expat

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core.errors import ImportRejected, RowError

EXCEL_ROWS = 1_048_576  # the last row Excel has
EXCEL_COLUMNS = 16_384  # XFD, the last column Excel has
MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What a workbook may be before it is read. The numbers are documented in docs/imports.md."""

    max_rows: int = EXCEL_ROWS  # last row number with data that is read; an import may lower it
    max_columns: int = 256  # IV, the last column of Excel 2003; values beyond are refused
    max_members: int = 1000  # files inside the zip (a workbook has a few dozen)
    max_total: int = 1024 * MiB  # all parts together, uncompressed
    max_sheet: int = 1024 * MiB  # the sheet's XML, uncompressed (300,000 households: ~340 MB)
    max_shared_strings: int = 256 * MiB  # held in memory while the sheet is read
    max_other: int = 32 * MiB  # workbook, relationships and styles
    max_ratio: int = 100  # uncompressed / compressed, for any part larger than ratio_floor
    ratio_floor: int = 1 * MiB


LIMITS = Limits()
READ_CHUNK = 64 * 1024
# What zipfile and zlib raise for a damaged archive (a wrong CRC or size, a truncated or broken
# deflate stream, a member it cannot unpack): the file is refused as damaged.
UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    struct.error,
)


class WorkbookRefused(ImportRejected):
    """The file was refused as a whole before (or while) its rows were read.

    ``reason`` says why, for code and tests: ``empty``, ``xls``, ``encrypted``, ``text``,
    ``html``, ``not-xlsx``, ``xlsb``, ``ods``, ``members``, ``size``, ``ratio``, ``no-sheet``,
    ``dimension``, ``cell``, ``rows``, ``columns``, ``dtd``, ``damaged``.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__([RowError(0, "", message)])
        self.reason = reason


def _mb(n: int) -> str:
    return f"{n / MiB:,.1f} MB"


# --- what the file is ---------------------------------------------------------------------------

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
NOT_XLSX = gettext_lazy("The file is not an Excel workbook (.xlsx) that can be read.")
ENCRYPTED = gettext_lazy(
    "The workbook is protected by a password. Open it in Excel, remove the password "
    "(File → Info → Protect Workbook) and save it again."
)


def _sniff(upload: IO[bytes]) -> None:
    """Refuse what is not a zip, naming what it is instead."""
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    if not head:
        raise WorkbookRefused("empty", _("The file is empty."))
    if head.startswith(OLE2):
        if _contains(upload, "EncryptedPackage".encode("utf-16-le")):
            raise WorkbookRefused(
                "encrypted",
                str(ENCRYPTED),
            )
        raise WorkbookRefused(
            "xls",
            _(
                "This is an old Excel 97–2003 workbook (.xls). Open it in Excel or WPS and save it "
                "as an Excel workbook (.xlsx)."
            ),
        )
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml", b"<")):
        raise WorkbookRefused(
            "html",
            _(
                "The file is a web page or XML with an Excel name (some systems export these). "
                "Open it in Excel or WPS and save it as an Excel workbook (.xlsx)."
            ),
        )
    if b"\x00" not in head and _decodes(head):
        raise WorkbookRefused(
            "text",
            _(
                "The file is text (CSV), not a workbook. Open it in Excel or WPS and save it as "
                "an Excel workbook (.xlsx)."
            ),
        )
    raise WorkbookRefused("not-xlsx", str(NOT_XLSX))


def _decodes(head: bytes) -> bool:
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # cut in the middle of a character
                return True
            continue
        return True
    return False


def _contains(upload: IO[bytes], needle: bytes) -> bool:
    upload.seek(0)
    tail = b""
    while chunk := upload.read(MiB):
        if needle in tail + chunk:
            upload.seek(0)
            return True
        tail = chunk[-len(needle) :]
    upload.seek(0)
    return False


# --- the archive ----------------------------------------------------------------------------------

_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")


def _count_members(upload: IO[bytes], limits: Limits) -> None:
    """Read the zip's end record before ``zipfile`` does: a central directory with millions of
    members would make ``ZipFile()`` build millions of objects before any check could run."""
    upload.seek(0, 2)
    size = upload.tell()
    start = max(0, size - (_EOCD.size + 65535))
    upload.seek(start)
    tail = upload.read()
    upload.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _EOCD.size > len(tail):
        raise WorkbookRefused("not-xlsx", str(NOT_XLSX))
    fields = _EOCD.unpack_from(tail, at)
    members, directory = fields[4], fields[5]
    locator_at = at - _ZIP64_LOCATOR.size
    if locator_at >= 0 and tail[locator_at : locator_at + 4] == b"PK\x06\x07":
        record_at = _ZIP64_LOCATOR.unpack_from(tail, locator_at)[2]
        upload.seek(record_at)
        raw = upload.read(_ZIP64_EOCD.size)
        upload.seek(0)
        if len(raw) == _ZIP64_EOCD.size and raw[:4] == b"PK\x06\x06":
            record = _ZIP64_EOCD.unpack(raw)
            members, directory = record[6], record[7]
    if members > limits.max_members or directory > limits.max_members * 1024:
        raise WorkbookRefused(
            "members",
            _("The file holds %(n)s parts; a workbook has at most %(max)s.")
            % {"n": f"{members:,}", "max": f"{limits.max_members:,}"},
        )


def _check_sizes(archive: zipfile.ZipFile, limits: Limits) -> dict[str, zipfile.ZipInfo]:
    """Every member's declared sizes against the limits; returns members by lower-case name."""
    total = 0
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        if info.flag_bits & 0x1:
            raise WorkbookRefused(
                "encrypted",
                str(ENCRYPTED),
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WorkbookRefused("not-xlsx", str(NOT_XLSX))
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_floor and ratio > limits.max_ratio:
            raise WorkbookRefused(
                "ratio",
                _(
                    "The file's part %(part)s unpacks from %(packed)s to %(size)s (%(ratio)s "
                    "times), more than the %(max)s times a real worksheet does: it is mostly "
                    "empty rows or repeated cells. Copy only the rows with data into a new "
                    "workbook and save that."
                )
                % {
                    "part": info.filename,
                    "packed": _mb(info.compress_size),
                    "size": _mb(info.file_size),
                    "ratio": f"{ratio:,.0f}",
                    "max": limits.max_ratio,
                },
            )
        members[info.filename.lower()] = info
    if total > limits.max_total:
        raise WorkbookRefused(
            "size",
            _(
                "The workbook unpacks to %(size)s, more than the %(max)s that is read. Delete "
                "empty rows, other sheets and pictures, or split the file."
            )
            % {"size": _mb(total), "max": _mb(limits.max_total)},
        )
    return members


# --- XML, safely --------------------------------------------------------------------------------


def _refuse_dtd(*_args: Any) -> None:
    raise WorkbookRefused(
        "dtd",
        _("The workbook contains an XML document type or entity declaration, which is refused."),
    )


def _parser(
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
) -> Any:
    """An expat parser without namespace processing (element names keep their prefix; callers
    compare local names) that refuses any DTD, so no entity can expand or be fetched."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    return parser


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _feed(parser: Any, stream: IO[bytes], part: str) -> Iterator[None]:
    """Feed ``stream`` to ``parser`` a piece at a time, yielding after each piece."""
    try:
        while chunk := stream.read(READ_CHUNK):
            parser.Parse(chunk, False)
            yield
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise _damaged(part, expat.ErrorString(exc.code)) from exc
    except UNREADABLE as exc:  # CRC or size mismatch, truncation, a broken deflate stream
        raise _damaged(part, str(exc)) from exc
    yield


def _damaged(part: str, error: str) -> WorkbookRefused:
    return WorkbookRefused(
        "damaged",
        _("The workbook is damaged (%(part)s: %(error)s). Open it in Excel and save it again.")
        % {"part": part, "error": error[:200]},
    )


def _parse_whole(
    archive: Workbook, part: str, start: Callable[[str, dict[str, str]], None]
) -> None:
    stream = archive.open_part(part, archive.limits.max_other)
    if stream is None:
        return
    with stream:
        for _step in _feed(_parser(start), stream, part):
            pass


# --- the workbook -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetInfo:
    name: str
    part: str  # member name in the zip
    hidden: bool


REL_WORKSHEET = "/worksheet"
REL_SHARED_STRINGS = "/sharedStrings"
REL_STYLES = "/styles"
REL_OFFICE_DOCUMENT = "/officeDocument"

# Built-in number formats that show dates or times (14–22, 45–47, and the East Asian ones).
DATE_FORMATS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}


def _is_date_format(code: str) -> bool:
    text, quoted, i = [], False, 0
    while i < len(code):
        ch = code[i]
        if ch == '"':
            quoted = not quoted
        elif quoted:
            pass
        elif ch == "\\":
            i += 1
        elif ch == "[":
            close = code.find("]", i)
            inner = code[i + 1 : close] if close > i else ""
            if inner.lower() in ("h", "hh", "m", "mm", "s", "ss"):
                text.append("h")
            i = close if close > i else len(code)
        else:
            text.append(ch.lower())
        i += 1
    plain = "".join(text).split(";")[0]
    return any(ch in plain for ch in "ymdhs") and "general" not in plain


class Workbook:
    """An opened, size-checked workbook. Use :func:`open_workbook`."""

    def __init__(self, upload: IO[bytes], limits: Limits) -> None:
        self.limits = limits
        _sniff(upload)
        _count_members(upload, limits)
        try:
            self.archive = zipfile.ZipFile(upload)
        except UNREADABLE as exc:
            raise WorkbookRefused("not-xlsx", str(NOT_XLSX)) from exc
        self.members = _check_sizes(self.archive, limits)
        if "xl/workbook.bin" in self.members:
            raise WorkbookRefused(
                "xlsb",
                _(
                    "This is a binary Excel workbook (.xlsb). Open it in Excel and save it as an "
                    "Excel workbook (.xlsx)."
                ),
            )
        if "mimetype" in self.members and "content.xml" in self.members:
            raise WorkbookRefused(
                "ods",
                _(
                    "This is an OpenDocument spreadsheet (.ods). Open it in WPS, LibreOffice or "
                    "Excel and save it as an Excel workbook (.xlsx)."
                ),
            )
        self.book_part = self._office_document()
        if self.book_part.lower() not in self.members:
            raise WorkbookRefused("not-xlsx", str(NOT_XLSX))
        self.sheets: list[SheetInfo] = []
        self.date1904 = False
        self._rels = self._relationships(self.book_part)
        self._read_book()

    def close(self) -> None:
        self.archive.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def open_part(self, part: str, cap: int) -> IO[bytes] | None:
        info = self.members.get(part.lower())
        if info is None:
            return None
        if info.file_size > cap:
            raise WorkbookRefused(
                "size",
                _(
                    "The file's part %(part)s unpacks to %(size)s, more than the %(max)s that is "
                    "read. Delete empty rows and columns, or split the file."
                )
                % {"part": info.filename, "size": _mb(info.file_size), "max": _mb(cap)},
            )
        try:
            return self.archive.open(info)
        except UNREADABLE as exc:
            raise _damaged(info.filename, str(exc)) from exc

    def _relationships(self, part: str) -> list[tuple[str, str, str]]:
        """(id, type, target part) of ``part``'s relationships, targets resolved."""
        folder, name = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", name + ".rels")
        found: list[tuple[str, str, str]] = []

        def start(tag: str, attrs: dict[str, str]) -> None:
            if _local(tag) == "Relationship" and attrs.get("TargetMode") != "External":
                target = attrs.get("Target", "")
                if target.startswith("/"):
                    resolved = target.lstrip("/")
                else:
                    resolved = posixpath.normpath(posixpath.join(folder, target))
                found.append((attrs.get("Id", ""), attrs.get("Type", ""), resolved))

        _parse_whole(self, rels_part, start)
        return found

    def _office_document(self) -> str:
        for _id, kind, target in self._relationships(""):
            if kind.endswith(REL_OFFICE_DOCUMENT):
                return target
        return "xl/workbook.xml"

    def _read_book(self) -> None:
        targets = {rid: (kind, target) for rid, kind, target in self._rels}

        def start(tag: str, attrs: dict[str, str]) -> None:
            local = _local(tag)
            if local == "sheet":
                rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
                kind, target = targets.get(rid, ("", ""))
                if kind.endswith(REL_WORKSHEET) and target.lower() in self.members:
                    hidden = attrs.get("state", "visible") in ("hidden", "veryHidden")
                    self.sheets.append(SheetInfo(attrs.get("name", ""), target, hidden))
            elif local == "workbookPr":
                self.date1904 = attrs.get("date1904", "0") in ("1", "true")

        _parse_whole(self, self.book_part, start)

    def choose(self, name: str = "") -> SheetInfo:
        """The visible worksheet called ``name`` (the template's), else the first visible one.
        Hidden sheets are never read: what staff cannot see must not be imported."""
        visible = [s for s in self.sheets if not s.hidden]
        for sheet in visible:
            if name and sheet.name.strip().lower() == name.lower():
                return sheet
        if not visible:
            raise WorkbookRefused(
                "no-sheet",
                _("The workbook has no visible worksheet (hidden sheets are not read)."),
            )
        return visible[0]

    @property
    def hidden_sheets(self) -> list[str]:
        return [s.name for s in self.sheets if s.hidden]

    def _shared_strings(self) -> list[str]:
        part = next((t for _i, k, t in self._rels if k.endswith(REL_SHARED_STRINGS)), "")
        stream = self.open_part(part, self.limits.max_shared_strings) if part else None
        if stream is None:
            return []
        strings: list[str] = []
        parts: list[str] = []
        state = {"grab": False, "phonetic": False}

        def start(tag: str, _attrs: dict[str, str]) -> None:
            local = _local(tag)
            if local == "t" and not state["phonetic"]:
                state["grab"] = True
            elif local == "rPh":
                state["phonetic"] = True

        def end(tag: str) -> None:
            local = _local(tag)
            if local == "t":
                state["grab"] = False
            elif local == "rPh":
                state["phonetic"] = False
            elif local == "si":
                strings.append("".join(parts))
                parts.clear()

        def text(data: str) -> None:
            if state["grab"]:
                parts.append(data)

        with stream:
            for _step in _feed(_parser(start, end, text), stream, part):
                pass
        return strings

    def _date_styles(self) -> set[str]:
        """Indexes of the cell styles (``s``) whose number format shows a date or time."""
        part = next((t for _i, k, t in self._rels if k.endswith(REL_STYLES)), "")
        if not part:
            return set()
        custom: dict[int, str] = {}
        formats: list[int] = []
        state = {"xfs": False}

        def start(tag: str, attrs: dict[str, str]) -> None:
            local = _local(tag)
            if local == "numFmt":
                custom[_int(attrs.get("numFmtId"))] = attrs.get("formatCode", "")
            elif local == "cellXfs":
                state["xfs"] = True
            elif local == "xf" and state["xfs"]:
                formats.append(_int(attrs.get("numFmtId")))
            elif local in ("cellStyles", "dxfs"):
                state["xfs"] = False

        _parse_whole(self, part, start)
        return {
            str(i)
            for i, fmt in enumerate(formats)
            if (fmt in custom and _is_date_format(custom[fmt]))
            or (fmt not in custom and fmt in DATE_FORMATS)
        }

    def read(self, sheet: SheetInfo, *, max_rows: int | None = None) -> SheetStream:
        """Stream ``sheet``'s rows. ``max_rows`` lowers :attr:`Limits.max_rows` for one import."""
        stream = self.open_part(sheet.part, self.limits.max_sheet)
        if stream is None:  # pragma: no cover - choose() only offers existing parts
            raise WorkbookRefused("no-sheet", str(NOT_XLSX))
        return SheetStream(
            stream,
            sheet,
            self._shared_strings(),
            self._date_styles(),
            date(1904, 1, 1) if self.date1904 else date(1899, 12, 30),
            min(max_rows or self.limits.max_rows, self.limits.max_rows),
            self.limits.max_columns,
        )


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return -1


def open_workbook(upload: IO[bytes], limits: Limits = LIMITS) -> Workbook:
    """Open ``upload`` (a seekable binary file) after checking what it is and its sizes.

    Raises :class:`WorkbookRefused` (an :class:`ImportRejected`) with a message for the user.
    """
    return Workbook(upload, limits)


# --- the rows -----------------------------------------------------------------------------------


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
                start(_local(tag), attrs)

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
                end(_local(tag))

        def text(data: str) -> None:
            if grab:
                parts.append(data)

        with self.stream:
            for _step in _feed(_parser(start, end, text), self.stream, self.sheet.part):
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
