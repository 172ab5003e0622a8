"""The pages benchmark's own tables (bench/pages.py) against the URL conf, and its verdict on
which routes went untimed. (A run that requests every route on a tiny district takes minutes:
the talent, policies, evaluation and projects demo alone builds in over a minute, so the full
check is the benchmark's own last line, ``untimed``.)"""

from __future__ import annotations

from bench.pages import (
    INT_KINDS,
    PARAMS,
    QUERY,
    ROLES_EXACT,
    ROLES_PREFIX,
    SKIP_EXACT,
    untimed_routes,
)

from gridlight.core.urlwalk import all_routes


def test_every_route_the_benchmark_names_exists() -> None:
    """A route renamed in the URL conf would silently lose its role, query string or values."""
    routes = {route for route, _pattern in all_routes()}
    named = set(ROLES_EXACT) | set(QUERY) | set(SKIP_EXACT) | set(PARAMS)
    assert sorted(named - routes) == []
    prefixes = [p for p, _roles in ROLES_PREFIX] + [p for p, _kind in INT_KINDS]
    assert [p for p in prefixes if not any(r.startswith(p) for r in routes)] == []


def test_untimed_are_the_routes_without_a_page() -> None:
    statuses = {
        "tickets/": {200},
        "evaluation/brands/<int:pk>/": {200, 404},  # the admin's 200 times it
        "jobs/<int:pk>/": {404},
        "evaluation/new/": {403, 405},
        "tickets/<int:pk>/<slug:name>/": {405},  # POST only
        "regions/": {302},  # sends everyone to the tree
    }
    untimed, redirects = untimed_routes(statuses)
    assert untimed == {"jobs/<int:pk>/": [404], "evaluation/new/": [403, 405]}
    assert redirects == ["regions/"]
