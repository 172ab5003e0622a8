"""Home-page widgets: each domain app contributes what its users' work looks like.

The core's home page knows no domain app (dependencies point from the apps to the core); an app
registers a function that, for a request, returns a template and its context, or None when the
user has nothing of that app's to see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

Widget = Callable[[HttpRequest], dict[str, Any] | None]
_WIDGETS: list[Widget] = []


def register(widget: Widget) -> Widget:
    if widget not in _WIDGETS:
        _WIDGETS.append(widget)
    return widget


def for_request(request: HttpRequest) -> list[dict[str, Any]]:
    """The widgets this user sees, each a dict with ``template`` and its context."""
    return [w for w in (widget(request) for widget in _WIDGETS) if w is not None]
