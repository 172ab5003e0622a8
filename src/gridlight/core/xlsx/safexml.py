"""Expat, safely: no DTD (so no entity can expand or be fetched), fed a piece at a time, with a
damaged file refused by name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO, Any
from xml.parsers import expat

from django.utils.translation import gettext as _

from gridlight.core.xlsx.checks import READ_CHUNK, UNREADABLE, WorkbookRefused


def refuse_dtd(*_args: Any) -> None:
    raise WorkbookRefused(
        "dtd",
        _("The workbook contains an XML document type or entity declaration, which is refused."),
    )


def safe_parser(
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
) -> Any:
    """An expat parser without namespace processing (element names keep their prefix; callers
    compare local names) that refuses any DTD, so no entity can expand or be fetched."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    return parser


def local_name(name: str) -> str:
    return name.rpartition(":")[2]


def feed(parser: Any, stream: IO[bytes], part: str) -> Iterator[None]:
    """Feed ``stream`` to ``parser`` a piece at a time, yielding after each piece."""
    try:
        while chunk := stream.read(READ_CHUNK):
            parser.Parse(chunk, False)
            yield
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise damaged(part, expat.ErrorString(exc.code)) from exc
    except UNREADABLE as exc:  # CRC or size mismatch, truncation, a broken deflate stream
        raise damaged(part, str(exc)) from exc
    yield


def damaged(part: str, error: str) -> WorkbookRefused:
    return WorkbookRefused(
        "damaged",
        _("The workbook is damaged (%(part)s: %(error)s). Open it in Excel and save it again.")
        % {"part": part, "error": error[:200]},
    )
