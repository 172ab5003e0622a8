"""Checking uploaded files (ticket attachments, application materials): size, and type by content
(magic bytes), not by name."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpResponse
from django.utils.translation import gettext as _

from gridlight.core.errors import DomainError

MAX_BYTES = 5 * 1024 * 1024
MAX_FILES = 5
# Content signatures of the types we accept; the file name's extension must agree.
_SIGNATURES: list[tuple[bytes, str, tuple[str, ...]]] = [
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"%PDF-", "application/pdf", (".pdf",)),
]


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def check_upload(upload: Upload) -> str:
    """The content type of an acceptable upload; DomainError naming the file otherwise."""
    name = upload.name or "?"
    if not upload.data:
        raise DomainError(_("%(f)s is empty.") % {"f": name})
    if len(upload.data) > MAX_BYTES:
        raise DomainError(
            _("%(f)s is larger than %(m)s MB.") % {"f": name, "m": MAX_BYTES // (1024 * 1024)}
        )
    lower = name.lower()
    for magic, content_type, extensions in _SIGNATURES:
        if upload.data.startswith(magic):
            if not lower.endswith(extensions):
                raise DomainError(
                    _("%(f)s: its name does not match its content (%(t)s).")
                    % {"f": name, "t": content_type}
                )
            return content_type
    raise DomainError(_("%(f)s: only JPEG, PNG and PDF files are accepted.") % {"f": name})


def download_response(data: bytes, content_type: str, filename: str) -> HttpResponse:
    """A stored upload sent back: as an attachment (never shown inline), its type as checked on
    the way in and the browser told not to guess another."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
