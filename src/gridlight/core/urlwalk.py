"""Every URL pattern of the project, pages and API alike, and concrete URLs for them.

Shared by the route walk (``tests/core/test_route_walk.py``: nothing leaks, nothing is written)
and the pages benchmark (``bench/pages.py``: every page within its time): both discover the
routes from the URL conf, so a route added later is walked and timed without being listed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def _patterns(resolvers: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in resolvers:
        route = str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, prefix + route)
        else:
            yield prefix + route, p


def all_routes() -> list[tuple[str, URLPattern]]:
    """(route, pattern) for every pattern; a route served by several patterns (the API's
    methods) appears once per pattern."""
    return list(_patterns(get_resolver().url_patterns))


def concrete_urls(route: str, values: dict[str, list[str]]) -> list[str]:
    """Every combination of values for the route's parameters: a parameter with a list of its
    own (by name) uses it, the others use the list for their converter (``str`` when the route
    names none). The API's routes carry no converter (django-ninja checks their types
    itself): an ``…_id`` there is an id."""
    params = list(PARAM.finditer(route))
    if not params:
        return ["/" + route.lstrip("^").rstrip("$")]

    def kind(m: re.Match[str]) -> str:
        if m.group("conv"):
            return m.group("conv")
        return "int" if m.group("name").endswith("_id") else "str"

    choices = [values.get(m.group("name")) or values.get(kind(m), values["str"]) for m in params]
    urls = []
    for combo in itertools.product(*choices):
        url = route
        for m, value in zip(params, combo, strict=True):
            url = url.replace(m.group(0), value, 1)
        urls.append("/" + url)
    return urls
