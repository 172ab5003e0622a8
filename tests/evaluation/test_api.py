"""The evaluation API: sheets sealed and refused as on the pages, with the reasons in JSON."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from gridlight.core.services import token_create
from gridlight.evaluation.models import Sheet
from tests.evaluation.conftest import Cycle


def _api(user: Any) -> Client:
    _token, secret = token_create(actor=user, name="api")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", raise_request_exception=False)


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_judge_enters_sheets_through_the_api_and_bad_ones_are_refused(cycle: Cycle) -> None:
    url = f"/api/v1/evaluation/rounds/{cycle.round.pk}/sheets"
    first, second = cycle.round.criteria.all()
    own = cycle.round.entrants.get(region=cycle.streets[0]).pk
    other = cycle.round.entrants.get(region=cycle.streets[1]).pk
    judge = _api(cycle.judges[0])
    good = {str(first.pk): "8.5", str(second.pk): "7"}
    response = _post(judge, url, {"entrant_id": own, "scores": good})
    assert response.status_code == 400
    assert "回避" in response.json()["detail"] or "recused" in response.json()["detail"]
    bad = {str(first.pk): "12", str(second.pk): "7"}
    assert _post(judge, url, {"entrant_id": other, "scores": bad}).status_code == 400
    assert not Sheet.objects.exists()
    created = _post(judge, url, {"entrant_id": other, "scores": good})
    assert created.status_code == 201
    assert _post(judge, url, {"entrant_id": other, "scores": good}).status_code == 409
    version = created.json()["version"]
    sealed = _post(
        judge, url, {"entrant_id": other, "scores": good, "version": version, "confirm": True}
    )
    assert (sealed.status_code, sealed.json()["status"]) == (200, "confirmed")
    again = _post(judge, url, {"entrant_id": other, "scores": good, "version": version + 1})
    assert again.status_code == 400
    # Sealed: another judge and the district admin read nothing of it while the round is open.
    assert _api(cycle.judges[1]).get(url).json() == []
    assert _api(cycle.admin).get(url).json() == []
    assert len(judge.get(url).json()) == 1
    detail = _api(cycle.admin).get(f"/api/v1/evaluation/rounds/{cycle.round.pk}").json()
    assert detail["results"] == []


def test_out_of_scope_users_get_404_and_non_judges_cannot_score(cycle: Cycle) -> None:
    url = f"/api/v1/evaluation/rounds/{cycle.round.pk}"
    assert _api(cycle.world.twins["evaluator"]).get(url).status_code == 404
    assert _api(cycle.world.users["resident"]).get(url).status_code == 403
    first, second = cycle.round.criteria.all()
    body = {
        "entrant_id": cycle.round.entrants.get(region=cycle.streets[1]).pk,
        "scores": {str(first.pk): "5", str(second.pk): "5"},
    }
    response = _post(_api(cycle.world.users["evaluator"]), f"{url}/sheets", body)
    assert response.status_code == 400
    assert not Sheet.objects.exists()
    board = _api(cycle.world.twins["street_staff"]).get(
        f"/api/v1/evaluation/years/{cycle.cycle.pk}/board"
    )
    assert [r["street_name"] for r in board.json()] == ["公开街道"]
