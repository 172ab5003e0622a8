"""Security headers and the request context that audit events read."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation

from gridlight.core.audit import current_ip
from gridlight.core.errors import NUL_REFUSED, VALUE_REFUSED, DomainError, value_refused

# Scripts only from our own origin (vendored htmx/ECharts/Bootstrap); inline styles are allowed
# because ECharts and htmx set element styles. No third-party origins: the product runs offline.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'; object-src 'none'"
)


def security_headers(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[..., HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        token = current_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            response = get_response(request)
        finally:
            current_ip.reset(token)
        if not request.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(self)"
        )
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Pages carry personal and scoped data: never keep them in shared or browser caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return middleware


class DomainErrorMiddleware:
    """A :class:`DomainError` that escapes a view becomes a 4xx page with its message."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DomainError):
            return _error_page(request, exception.status, exception.message)
        if isinstance(exception, VALUE_REFUSED):
            return _error_page(request, 400, value_refused(request.path, exception))
        return None


def _error_page(request: HttpRequest, status: int, message: str) -> HttpResponse:
    return render(request, "core/error.html", {"status": status, "message": message}, status=status)


def refuse_nul(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[..., HttpResponse]:
    """A request whose query, form fields or JSON carry a NUL character gets a 400 at the door,
    in the format its caller reads: PostgreSQL cannot store NUL in text (SQLite can, so without
    this the two databases would disagree), and no form or JSON needs it. Uploaded files are
    not looked at."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if _carries_nul(request):
            return _refused(request, str(NUL_REFUSED))
        return get_response(request)

    return middleware


def _carries_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    content_type = request.content_type or ""
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        # Parsed here as the CSRF check would parse them; uploaded files are not looked at.
        return any("\x00" in k or "\x00" in v for k, vs in request.POST.lists() for v in vs)
    # Any other body is read as the API reads it, whatever its declared type: raw NUL bytes,
    # or JSON whose strings spell one as \u0000 (JSON must escape control characters).
    body = request.body
    if b"\x00" in body:
        return True
    if b"\\u0000" not in body:
        return False
    try:
        return _has_nul(json.loads(body))
    except ValueError:
        return False  # not JSON: the view refuses it on its own terms


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


ErrorFormat = Callable[[HttpRequest, int, str], HttpResponse]
# URL prefix → how an error is answered there; the apps that own the prefixes register them
# (the api app: its JSON and Open311's formats), so core knows no app above it.
_ERROR_FORMATS: dict[str, ErrorFormat] = {}


def register_error_format(prefix: str, answer: ErrorFormat) -> None:
    """Answer errors refused at the door under ``prefix`` with ``answer(request, status, text)``."""
    _ERROR_FORMATS[prefix] = answer


def error_response(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """An error in the format of the place asked (the longest registered prefix), else text."""
    for prefix in sorted(_ERROR_FORMATS, key=len, reverse=True):
        if request.path.startswith(prefix):
            return _ERROR_FORMATS[prefix](request, status, message)
    return HttpResponse(message, content_type="text/plain; charset=utf-8", status=status)


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return error_response(request, 400, message)


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese unless the user chose otherwise with the language switch.

    Django's own middleware follows the browser's Accept-Language, which would show an office PC
    set up in English an English product; here only the switch's cookie can change the language.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
