"""Household list and worklist server time and query counts at district size."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.common import report, timed
from bench.setup import build


def run(*, db: str, scale: str) -> None:
    from gridlight.core.crypto import decrypt
    from gridlight.core.models import User
    from gridlight.households.models import Resident

    rows = build(scale)
    someone = Resident.objects.exclude(id_number_enc="").order_by("id")[5000]
    pages = {
        ("admin", "household-list"): "/households/",
        ("admin", "household-list-red"): "/households/?light=red",
        ("admin", "household-list-attribute"): "/households/?attribute=subsistence_allowance",
        ("admin", "household-search-name"): f"/households/?q={someone.name}",
        ("admin", "household-search-id"): f"/households/?q={decrypt(someone.id_number_enc)}",
        ("street", "household-list-street"): "/households/",
        ("gridworker", "worklist"): "/households/worklist/",
        ("admin", "household-page"): f"/households/{someone.household_id}/",
        ("admin", "dashboard"): "/households/dashboard/",
    }
    clients: dict[str, Client] = {}
    for (username, name), url in pages.items():
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(User.objects.get(username=username))
        client = clients[username]
        with CaptureQueriesContext(connection) as ctx:
            status = client.get(url).status_code
        queries = len(ctx.captured_queries)
        assert status == 200, (url, status)
        seconds = timed(lambda c=client, u=url: c.get(u), repeat=7)
        report(name, db=db, rows=rows, seconds=seconds, queries=queries)
