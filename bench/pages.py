"""Server time and query count of the core pages at the demo district's size."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.common import report, timed
from gridlight.core.demo.build import build_demo
from gridlight.core.models import Region, ServicePosition, User


def run(*, db: str, scale: str) -> None:
    build_demo()
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    district = Region.objects.get(code="370103")
    street = Region.objects.get(code="370103008")
    rows = Region.objects.count() + ServicePosition.objects.count()
    pages = {
        "home": "/",
        "region-district": f"/regions/{district.pk}/",
        "region-street": f"/regions/{street.pk}/",
        "positions": "/positions/",
        "positions-filtered": "/positions/?kind=grid_station&q=建新",
        "position-map": "/positions/map/",
        "audit": "/audit/",
        "users": "/users/",
        "api-streets": "/api/v1/regions?level=street",
        "api-positions": "/api/v1/positions?limit=100",
    }
    for name, url in pages.items():
        with CaptureQueriesContext(connection) as ctx:
            status = client.get(url).status_code
        queries = len(ctx.captured_queries)
        assert status == 200, (url, status)
        seconds = timed(lambda url=url: client.get(url), repeat=7)
        report(f"page:{name}", db=db, rows=rows, seconds=seconds, queries=queries)
