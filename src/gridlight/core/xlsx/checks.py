"""What a workbook may be before it is read: the file's kind, the zip's member count, every
part's declared size and compression ratio. Decided from sizes alone, before anything is
inflated."""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO

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


def mb(n: int) -> str:
    return f"{n / MiB:,.1f} MB"


# --- what the file is ---------------------------------------------------------------------------

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
NOT_XLSX = gettext_lazy("The file is not an Excel workbook (.xlsx) that can be read.")
ENCRYPTED = gettext_lazy(
    "The workbook is protected by a password. Open it in Excel, remove the password "
    "(File → Info → Protect Workbook) and save it again."
)


def sniff(upload: IO[bytes]) -> None:
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


def count_members(upload: IO[bytes], limits: Limits) -> None:
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


def check_sizes(archive: zipfile.ZipFile, limits: Limits) -> dict[str, zipfile.ZipInfo]:
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
                    "packed": mb(info.compress_size),
                    "size": mb(info.file_size),
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
            % {"size": mb(total), "max": mb(limits.max_total)},
        )
    return members
