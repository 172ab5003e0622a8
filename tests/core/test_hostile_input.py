"""Hostile input on every route, as an outside client would send it: each page's filters and
forms, and each API operation's query and body, filled with values of the wrong type, out of
range, malformed or huge, by the in-scope district admin (who reaches every object, so the input
gets past the access checks to the code that reads it). Every answer must be a page or a 4xx
with a reason, never a server error.

The pages and their forms are discovered from the URL conf and the rendered HTML, the API's
operations from its OpenAPI schema, so a route or a field added later is tried without being
listed here."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import Client

from gridlight.core.urlwalk import PARAM, all_routes, concrete_urls
from gridlight.dashboard.refresh import refresh as refresh_cockpit
from tests.conftest import World, login
from tests.core.test_route_walk import _payload, _secret_ids, _secret_values
from tests.evaluation import secrets as evaluation_secrets

# What a form field or query parameter is sent: each field gets every value once, the fields of
# one form shifted against each other, so one request mixes several kinds of bad value.
BAD_TEXT = [
    "-1",
    "99999999999999999999",
    "2026-02-30",
    "1e309",
    "NaN",
    "'\"<x>%_\\" + "x" * 3000,
]
# What a JSON field is sent.
BAD_JSON: list[Any] = [-1, 10**30, "2026-02-30", None, [], {"$gt": ""}, "'\"<x>" + "x" * 3000]
# Whole bodies that are not the object an operation expects.
BAD_BODIES = ["[]", "null", "{" * 5, json.dumps({"a": [{"b": [1]}] * 50})]

# Forms not tried: signing out and in would end the session the walk runs in.
SKIP_ACTIONS = ("/accounts/logout/", "/accounts/login/")


class _Forms(HTMLParser):
    """Each form of a page: its method, its action and the names of its fields (files left out:
    the upload checks have their own tests)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, str, list[str]]] = []
        self._open: tuple[str, str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._open = (a.get("method", "get").lower(), a.get("action", ""), [])
            self.forms.append(self._open)
        elif tag in ("input", "select", "textarea") and self._open is not None:
            name = a.get("name", "")
            if name and name != "csrfmiddlewaretoken" and a.get("type") != "file":
                self._open[2].append(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def _shifted(names: list[str], values: list[Any]) -> list[dict[str, Any]]:
    return [
        {name: values[(i + k) % len(values)] for i, name in enumerate(names)}
        for k in range(len(values))
    ]


def _prepare(world: World) -> tuple[Client, dict[str, list[int]]]:
    evaluation_secrets.make(world)
    refresh_cockpit()
    client = login(world.users["district_admin"])
    client.raise_request_exception = False  # a server error is a finding, reported below
    return client, _secret_ids(world)


@pytest.mark.django_db
def test_pages_answer_bad_filters_and_forms_without_a_server_error(world: World) -> None:
    client, ids = _prepare(world)
    problems: list[str] = []
    tried: set[tuple[str, str, tuple[str, ...]]] = set()
    for route, _pattern in all_routes():
        if route.startswith(("api/", "open311/", "i18n/")) or "export" in route:
            continue
        urls = concrete_urls(route, _secret_values(world, route, None, ids))
        if not urls:
            continue
        url = urls[0]
        page = client.get(url)
        if page.status_code >= 500:
            problems.append(f"GET {url}: server error")
        if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
            continue
        parser = _Forms()
        parser.feed(page.content.decode("utf-8", errors="replace"))
        for method, action, names in parser.forms:
            target = urlsplit(action).path or url
            if not names or target in SKIP_ACTIONS or "export" in target:
                continue
            key = (method, target, tuple(sorted(set(names))))
            if key in tried:  # the same form on many pages (the menu's, the language switch)
                continue
            tried.add(key)
            for values in _shifted(sorted(set(names)), BAD_TEXT):
                if method == "post":
                    response = client.post(target, data=values)
                else:
                    response = client.get(f"{target}?{urlencode(values)}")
                if response.status_code >= 500:
                    problems.append(f"{method.upper()} {target} {values}: server error")
                    break
    assert problems == []
    # The walk reached the forms: lists' filters and edit forms (80–95, depending on what
    # earlier hostile posts changed on the way).
    assert len(tried) > 60


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def _body_fields(op: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    content = op.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema", {})
    seen = 0
    while "$ref" in body and seen < 5:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
        seen += 1
    return sorted(body.get("properties", {}))


def _route_of(path: str) -> str:
    """The URL conf's route of an OpenAPI path (``/api/v1/x/{x_id}`` → ``api/v1/x/<x_id>``)."""
    return re.sub(r"\{(\w+)\}", r"<\1>", path.lstrip("/"))


@pytest.mark.django_db
def test_api_answers_bad_parameters_and_bodies_with_a_4xx(world: World) -> None:
    client, ids = _prepare(world)
    schema = client.get("/api/openapi.json").json()
    operations = _operations(schema)
    known = {PARAM.sub(lambda m: f"<{m.group('name')}>", r) for r, _p in all_routes()}
    problems: list[str] = []
    good = _payload(world)
    for path, method, op in operations:
        route = _route_of(path)
        assert route in known, f"{path} is not in the URL conf"
        urls = concrete_urls(route, _secret_values(world, route, None, ids))
        url = urls[0]
        query = sorted(p["name"] for p in op.get("parameters", []) if p.get("in") == "query")
        tries: list[tuple[str, str | None]] = (
            [(f"{url}?{urlencode(values)}", None) for values in _shifted(query, BAD_TEXT)]
            if query
            else []
        )
        if method != "get":
            fields = _body_fields(op, schema)
            tries += (
                [(url, json.dumps(good | v)) for v in _shifted(fields, BAD_JSON)] if fields else []
            )
            tries += [(url, body) for body in BAD_BODIES]
        for target, body in tries:
            if body is None:
                response = getattr(client, method)(target)
            else:
                response = getattr(client, method)(
                    target, data=body, content_type="application/json"
                )
            if response.status_code >= 500:
                problems.append(f"{method.upper()} {target} {(body or '')[:200]}: server error")
                break
            if response.status_code >= 400:
                assert response["Content-Type"].startswith("application/json"), target
    assert len(operations) > 100
    assert problems == []
