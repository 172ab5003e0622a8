"""The workbook's parts: relationships, sheets with their visibility, shared strings and the
styles that make a number a date."""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable
from datetime import date
from typing import IO

from django.utils.translation import gettext as _

from gridlight.core.xlsx.checks import (
    LIMITS,
    NOT_XLSX,
    UNREADABLE,
    Limits,
    WorkbookRefused,
    check_sizes,
    count_members,
    mb,
    sniff,
)
from gridlight.core.xlsx.rows import SheetInfo, SheetStream
from gridlight.core.xlsx.safexml import damaged, feed, local_name, safe_parser

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
        sniff(upload)
        count_members(upload, limits)
        try:
            self.archive = zipfile.ZipFile(upload)
        except UNREADABLE as exc:
            raise WorkbookRefused("not-xlsx", str(NOT_XLSX)) from exc
        self.members = check_sizes(self.archive, limits)
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
                % {"part": info.filename, "size": mb(info.file_size), "max": mb(cap)},
            )
        try:
            return self.archive.open(info)
        except UNREADABLE as exc:
            raise damaged(info.filename, str(exc)) from exc

    def _relationships(self, part: str) -> list[tuple[str, str, str]]:
        """(id, type, target part) of ``part``'s relationships, targets resolved."""
        folder, name = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", name + ".rels")
        found: list[tuple[str, str, str]] = []

        def start(tag: str, attrs: dict[str, str]) -> None:
            if local_name(tag) == "Relationship" and attrs.get("TargetMode") != "External":
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
            local = local_name(tag)
            if local == "sheet":
                rid = next((v for k, v in attrs.items() if local_name(k) == "id"), "")
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
            local = local_name(tag)
            if local == "t" and not state["phonetic"]:
                state["grab"] = True
            elif local == "rPh":
                state["phonetic"] = True

        def end(tag: str) -> None:
            local = local_name(tag)
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
            for _step in feed(safe_parser(start, end, text), stream, part):
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
            local = local_name(tag)
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


def _parse_whole(
    archive: Workbook, part: str, start: Callable[[str, dict[str, str]], None]
) -> None:
    stream = archive.open_part(part, archive.limits.max_other)
    if stream is None:
        return
    with stream:
        for _step in feed(safe_parser(start), stream, part):
            pass
