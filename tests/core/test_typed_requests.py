"""A view that takes a ``SignedInRequest`` (its ``user`` typed ``User``, so it may hand it to
services as ``actor``) must be one the access layer keeps anonymous visitors out of: the type
is a claim, and this test holds the pages to it."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

from gridlight.core.access import ACCESS_ATTR, SignedInRequest
from gridlight.core.urlwalk import all_routes


def _innermost(view: Callable[..., Any]) -> Callable[..., Any]:
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    return view


def _request_type(view: Callable[..., Any]) -> Any:
    function = _innermost(view)
    first = next(iter(inspect.signature(function).parameters), None)
    return typing.get_type_hints(function).get(first) if first else None


def test_only_views_closed_to_anonymous_visitors_take_a_signed_in_request() -> None:
    claims = {
        route: getattr(pattern.callback, ACCESS_ATTR, None)
        for route, pattern in all_routes()
        if not route.startswith("api/") and _request_type(pattern.callback) is SignedInRequest
    }
    assert len(claims) >= 30  # the pages marked @access take one
    assert {route: mark for route, mark in claims.items() if mark in (None, "public")} == {}


def test_no_user_parameter_is_typed_any() -> None:
    """Who acts and who views are typed (``User`` for services' actors, ``Viewer`` for access
    and selectors): a parameter ``actor``, ``user`` or ``viewer`` typed ``Any`` hides them from
    mypy, and a new app copying that shape would too. Read from the source with ``ast``."""
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "src" / "gridlight"
    found = []
    for path in package.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = node.args
                for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                    typed = ast.unparse(arg.annotation) if arg.annotation is not None else ""
                    if arg.arg in {"actor", "user", "viewer"} and typed == "Any":
                        found.append(f"{path.relative_to(package)}:{node.lineno} {arg.arg}")
    assert found == []
