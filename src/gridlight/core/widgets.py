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


# Region pages: the same idea for a region's detail page. An app registers a function that, for
# a request and the region shown, returns a template and its context (or None), so the region
# page shows what the apps know about the region without the core importing them.
RegionPanel = Callable[[HttpRequest, Any], dict[str, Any] | None]
_REGION_PANELS: list[RegionPanel] = []


def register_region_panel(panel: RegionPanel) -> RegionPanel:
    if panel not in _REGION_PANELS:
        _REGION_PANELS.append(panel)
    return panel


def for_region(request: HttpRequest, region: Any) -> list[dict[str, Any]]:
    """The panels this user sees on ``region``'s page, each with ``template`` and its context."""
    return [p for p in (panel(request, region) for panel in _REGION_PANELS) if p is not None]
