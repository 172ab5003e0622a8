"""Setting the cycle up through the API: the same services and scopes as the pages, bad input
refused with a reason (4xx) and nothing written."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from gridlight.core.services import token_create
from gridlight.evaluation.models import ActionItem, CycleYear, Judge, Round, StreetTask
from tests.evaluation.conftest import Cycle


def _api(user: Any) -> Client:
    _token, secret = token_create(actor=user, name="api")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", raise_request_exception=False)


def _send(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


def test_a_year_is_created_planned_and_its_rounds_set_up_through_the_api(cycle: Cycle) -> None:
    w = cycle.world
    admin = _api(cycle.admin)
    body = {
        "district_code": w.district.code,
        "year": 2028,
        "ranking_weights": {"arenas": 50, "assessment": 30, "observation": 30},
    }
    refused = _send(admin, "post", "/api/v1/evaluation/years", body)
    assert refused.status_code == 400
    assert "110" in refused.json()["detail"]
    body["ranking_weights"]["arenas"] = 40
    created = _send(admin, "post", "/api/v1/evaluation/years", body)
    assert created.status_code == 201
    year_id = created.json()["id"]
    assert (
        _send(_api(w.twins["district_admin"]), "post", "/api/v1/evaluation/years", body).status_code
        == 404
    )
    events = _send(admin, "post", f"/api/v1/evaluation/years/{year_id}/plan").json()
    assert len(events) == 18
    arena = next(e for e in events if e["kind"] == "arena" and e["number"] == 1)
    url = f"/api/v1/evaluation/events/{arena['id']}/rounds"
    round_body = {
        "title": "一季度擂台",
        "criteria": [
            {"name": "成效", "weight": 60, "max_score": 10},
            {"name": "特色", "weight": 40, "max_score": 0},
        ],
    }
    assert _send(admin, "post", url, round_body).status_code == 400
    round_body["criteria"][1]["max_score"] = 10
    made = _send(admin, "post", url, round_body)
    assert made.status_code == 201
    round_id = made.json()["id"]
    assert Round.objects.get(pk=round_id).entrants.count() == w.district.children.count()
    judges = f"/api/v1/evaluation/rounds/{round_id}/judges"
    appointed = _send(admin, "post", judges, {"username": cycle.judges[0].username})
    assert appointed.status_code == 201
    assert len(appointed.json()["recused_entrant_ids"]) == 1  # their own street
    assert _send(admin, "post", judges, {"username": cycle.judges[0].username}).status_code == 400
    assert (
        _send(admin, "post", judges, {"username": w.users["street_staff"].username}).status_code
        == 400
    )
    assert Judge.objects.filter(round_id=round_id).count() == 1
    # A judge declares their own conflict.
    judge = Judge.objects.get(round_id=round_id)
    entrant = Round.objects.get(pk=round_id).entrants.get(region=w.open_street)
    declared = _send(
        _api(cycle.judges[0]),
        "post",
        f"/api/v1/evaluation/rounds/{round_id}/conflicts",
        {"judge_id": judge.pk, "entrant_id": entrant.pk, "reason": "亲属在该街道"},
    )
    assert declared.status_code == 201
    # The closing needs a confirmed sheet; a stale version is a conflict.
    closing = _send(admin, "post", f"/api/v1/evaluation/rounds/{round_id}/close", {"version": 1})
    assert closing.status_code == 400


def test_meetings_tasks_and_standings_through_the_api(cycle: Cycle) -> None:
    w = cycle.world
    admin = _api(cycle.admin)
    meeting = cycle.cycle.events.get(kind="meeting", number=1)
    url = f"/api/v1/evaluation/events/{meeting.pk}/action-items"
    body = {"street_code": w.secret_street.code, "title": "整改台账", "workdays": 500}
    assert _send(admin, "post", url, body).status_code == 400
    body["workdays"] = 3
    item = _send(admin, "post", url, body)
    assert item.status_code == 201
    assert item.json()["due_on"] > meeting.held_on.isoformat()
    escalate = f"/api/v1/evaluation/action-items/{item.json()['id']}/ticket"
    raised = _send(admin, "post", escalate, {"category_code": "noise", "version": 1})
    assert raised.status_code == 200
    assert raised.json()["ticket_id"] is not None
    again = _send(admin, "post", escalate, {"category_code": "noise", "version": 2})
    assert again.status_code == 400
    assert ActionItem.objects.filter(ticket__isnull=False).count() == 1
    staff = _api(w.users["street_staff"])
    assert (
        _send(staff, "post", escalate, {"category_code": "noise", "version": 2}).status_code == 403
    )

    tasks = f"/api/v1/evaluation/years/{cycle.cycle.pk}/tasks"
    bad = {
        "street_code": w.secret_street.code,
        "tasks": [{"title": "甲", "weight": 50}, {"title": "乙", "weight": 40}],
    }
    answer = _send(admin, "put", tasks, bad)
    assert answer.status_code == 400
    assert "90" in answer.json()["detail"]
    assert not StreetTask.objects.exists()
    bad["tasks"][1]["weight"] = 50
    assert len(_send(admin, "put", tasks, bad).json()) == 2
    assert _send(staff, "put", tasks, bad).status_code in (403, 404)
    task = StreetTask.objects.first()
    assert task is not None
    done = _send(
        staff,
        "post",
        f"/api/v1/evaluation/tasks/{task.pk}/done",
        {"done_on": "2026-03-01", "version": 1},
    )
    assert done.status_code == 200
    stale = _send(
        staff,
        "post",
        f"/api/v1/evaluation/tasks/{task.pk}/done",
        {"done_on": "2026-03-02", "version": 1},
    )
    assert stale.status_code == 409
    twin = _api(w.twins["street_staff"])
    assert twin.get(tasks).json() == []

    computed = _send(admin, "post", f"/api/v1/evaluation/years/{cycle.cycle.pk}/standings")
    assert computed.status_code == 200
    assert _send(
        staff, "post", f"/api/v1/evaluation/years/{cycle.cycle.pk}/standings"
    ).status_code in (403, 404)
    assert CycleYear.objects.count() == 1


def test_the_years_weights_through_the_api(cycle: Cycle) -> None:
    admin = _api(cycle.admin)
    url = f"/api/v1/evaluation/years/{cycle.cycle.pk}"
    body = {
        "ranking_weights": {"arenas": 40, "assessment": 40, "observation": 30},
        "echelon_thresholds": {"leading": 85, "advanced": 75},
        "version": 1,
    }
    assert _send(admin, "patch", url, body).status_code == 400
    body["ranking_weights"]["observation"] = 20
    changed = _send(admin, "patch", url, body)
    assert changed.status_code == 200
    assert changed.json()["version"] == 2
    assert _send(admin, "patch", url, body).status_code == 409
    twin = _api(cycle.world.twins["district_admin"])
    assert _send(twin, "patch", url, body | {"version": 2}).status_code == 404
