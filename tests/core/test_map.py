"""The position map: outlines (imported GeoJSON or schematic hulls), their import, and names
shown as text in the real browser."""

from __future__ import annotations

import io
import itertools
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridlight.core import boundaries
from gridlight.core.errors import ImportRejected
from gridlight.core.models import AuditEvent, RegionBoundary
from tests.conftest import CANARY, World, login
from tests.factories import PositionFactory
from tests.test_browser import ARTIFACTS, browser  # noqa: F401 - the fixture

SQUARE = [[[116.9, 36.6], [117.0, 36.6], [117.0, 36.7], [116.9, 36.7], [116.9, 36.6]]]


def feature(code: str, coordinates: Any = None, kind: str = "Polygon") -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": "任意"},
        "geometry": {"type": kind, "coordinates": SQUARE if coordinates is None else coordinates},
    }


def geojson(*features: dict[str, Any]) -> io.BytesIO:
    return io.BytesIO(json.dumps({"type": "FeatureCollection", "features": features}).encode())


# --- schematic outlines (pure) ---------------------------------------------------------------


def test_convex_hull_drops_inner_points() -> None:
    pts = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0), (1.0, 1.0), (1.0, 0.5)]
    assert sorted(boundaries.convex_hull(pts)) == [(0.0, 0.0), (0.0, 2.0), (2.0, 0.0), (2.0, 2.0)]


def _inside(point: tuple[float, float], ring: list[list[float]]) -> bool:
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


@pytest.mark.parametrize(
    "points",
    [
        [(116.98, 36.64)],
        [(116.98, 36.64), (116.99, 36.65)],
        [(116.98, 36.64), (116.99, 36.64), (117.0, 36.64)],
        [(116.98, 36.64), (117.01, 36.65), (116.99, 36.67), (116.995, 36.65)],
    ],
)
def test_schematic_outline_is_a_closed_ring_with_every_point_strictly_inside(
    points: list[tuple[float, float]],
) -> None:
    geometry = boundaries.schematic_outline(points)
    ring = geometry["coordinates"][0]
    assert geometry["type"] == "Polygon"
    assert ring[0] == ring[-1]
    assert len(ring) >= 4
    assert all(_inside(p, ring) for p in points)
    assert boundaries.check_geometry(geometry)[0] == geometry  # the import would accept it


# --- import ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_importing_outlines_stores_them_once_and_audits(world: World) -> None:
    admin = world.users["district_admin"]
    upload = geojson(
        feature(world.open_street.code),
        feature(world.secret_community.code, [SQUARE, SQUARE], "MultiPolygon"),
    )
    result = boundaries.import_boundaries(actor=admin, upload=upload, filename="街道.geojson")
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    stored = RegionBoundary.objects.get(region=world.open_street)
    assert stored.region_path == world.open_street.path
    assert stored.geometry == {"type": "Polygon", "coordinates": SQUARE}
    event = AuditEvent.objects.get(action="boundary.import")
    assert event.actor == admin
    assert event.changes["created"] == 2
    again = boundaries.import_boundaries(
        actor=admin, upload=geojson(feature(world.open_street.code)), filename="again.geojson"
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert AuditEvent.objects.filter(action="boundary.import").count() == 1


@pytest.mark.django_db
def test_a_bad_outline_file_is_rejected_whole_with_a_reason_per_feature(world: World) -> None:
    open_ring = [[[116.9, 36.6], [117.0, 36.6], [117.0, 36.7], [116.9, 36.7]]]
    upload = geojson(
        feature(world.open_street.code),  # fine, but the file fails, so not written either
        feature("NO-SUCH-CODE"),
        feature(world.open_community.code, open_ring),
        feature(world.open_grid.code, [[[200, 36.6], [117, 36.6], [117, 36.7], [200, 36.6]]]),
        feature(world.open_street.code),
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [1, 2]}},
    )
    with pytest.raises(ImportRejected) as caught:
        boundaries.import_boundaries(actor=world.users["district_admin"], upload=upload)
    by_row = {(e.row, e.column): e.message for e in caught.value.errors}
    assert set(by_row) == {
        (2, "properties.code"),
        (3, "geometry"),
        (4, "geometry"),
        (5, "properties.code"),
        (6, "properties.code"),
        (6, "geometry"),
    }
    assert "NO-SUCH-CODE" in by_row[(2, "properties.code")]
    assert RegionBoundary.objects.count() == 0


@pytest.mark.django_db
def test_outlines_outside_the_write_scope_are_refused(world: World) -> None:
    twin = world.twins["street_staff"]  # writes the open street only
    with pytest.raises(ImportRejected) as caught:
        boundaries.import_boundaries(actor=twin, upload=geojson(feature(world.secret_street.code)))
    assert [e.column for e in caught.value.errors] == ["properties.code"]
    assert RegionBoundary.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"type": "Feature"}', b'{"type": "FeatureCollection", "features": []}'],
)
@pytest.mark.django_db
def test_a_file_that_is_not_a_feature_collection_is_a_clear_400(world: World, body: bytes) -> None:
    client = login(world.users["district_admin"])
    response = client.post(
        "/positions/map/outlines/import/",
        {"file": SimpleUploadedFile("x.geojson", body, content_type="application/geo+json")},
    )
    assert response.status_code == 400
    assert len(response.context["errors"]) == 1
    assert RegionBoundary.objects.count() == 0


@pytest.mark.django_db
def test_the_import_page_writes_outlines(world: World) -> None:
    client = login(world.users["district_admin"])
    body = geojson(feature(world.open_street.code)).getvalue()
    response = client.post(
        "/positions/map/outlines/import/",
        {"file": SimpleUploadedFile("streets.geojson", body)},
    )
    assert response.status_code == 302
    assert RegionBoundary.objects.get().region == world.open_street


# --- the map page ----------------------------------------------------------------------------


def _areas(response: Any) -> dict[str, dict[str, Any]]:
    return {f["properties"]["name"]: f for f in response.context["areas"]["features"]}


@pytest.mark.django_db
def test_map_draws_imported_outlines_and_schematic_ones_for_the_rest(world: World) -> None:
    boundaries.import_boundaries(
        actor=world.users["district_admin"], upload=geojson(feature(world.open_street.code))
    )
    response = login(world.users["district_admin"]).get("/positions/map/")
    assert response.status_code == 200
    areas = _areas(response)
    # District scope: street outlines. The open street's is imported, the secret one's derived.
    assert set(areas) == {world.open_street.code, world.secret_street.code}
    assert areas[world.open_street.code]["properties"]["schematic"] is False
    assert areas[world.open_street.code]["geometry"]["coordinates"] == SQUARE
    assert areas[world.secret_street.code]["properties"]["schematic"] is True
    assert areas[world.secret_street.code]["properties"]["positions"] == 2
    assert response.context["schematic"] == 1
    assert b'data-testid="schematic-note"' in response.content

    communities = _areas(
        login(world.users["district_admin"]).get("/positions/map/?level=community")
    )
    assert set(communities) == {world.open_community.code, world.secret_community.code}


@pytest.mark.django_db
def test_map_outlines_stay_in_scope(world: World) -> None:
    twin = login(world.twins["street_staff"])
    response = twin.get("/positions/map/")
    assert set(_areas(response)) == {world.open_community.code}
    assert CANARY not in response.content.decode()
    exported = twin.get("/positions/map/outlines/export/?level=community")
    assert exported.status_code == 200
    codes = {f["properties"]["code"] for f in json.loads(exported.content)["features"]}
    assert codes == {world.open_community.code}


@pytest.mark.django_db
def test_exported_outlines_import_back_unchanged(world: World) -> None:
    admin = world.users["district_admin"]
    exported = login(admin).get("/positions/map/outlines/export/?level=street").content
    first = boundaries.import_boundaries(actor=admin, upload=io.BytesIO(exported))
    assert first.created == 2
    again = login(admin).get("/positions/map/outlines/export/?level=street").content
    assert json.loads(again)["features"][0]["properties"]["schematic"] is False
    second = boundaries.import_boundaries(actor=admin, upload=io.BytesIO(again))
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)


# --- in the browser --------------------------------------------------------------------------

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_hostile_position_name_shows_as_text_in_the_map_tooltip(
    world: World,
    live_server: Any,
    browser: Any,  # noqa: F811
) -> None:
    from django.conf import settings

    position = PositionFactory(
        region=world.open_grid,
        name=HOSTILE,
        code="HOSTILE",
        longitude=Decimal("117.100000"),
        latitude=Decimal("36.700000"),
    )
    client = login(world.users["district_admin"])
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context_cookies = [
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url,
        }
    ]
    context.add_cookies(context_cookies)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    # Any inline handler that got into the page would be refused by the CSP: record that too.
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective));"
    )
    page.goto(live_server.url + "/positions/map/?region=" + world.open_grid.code)
    page.wait_for_selector("#position-map canvas")
    x, y = page.evaluate(
        "([lng, lat]) => echarts.getInstanceByDom(document.getElementById('position-map'))"
        ".convertToPixel({geoIndex: 0}, [lng, lat])",
        [float(position.longitude), float(position.latitude)],
    )
    box = page.locator("#position-map").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.wait_for_function(
        "() => document.getElementById('position-map').innerText.includes('117.10000, 36.70000')"
    )
    shown = page.inner_text("#position-map")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-tooltip.png"))
    assert HOSTILE in shown
    assert page.locator("#position-map img").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.evaluate("window.__violations") == []
    context.close()

    # On a phone the map fits the screen and takes touch (roam) like any other.
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    phone.add_cookies(context_cookies)
    small = phone.new_page()
    small.goto(live_server.url + "/positions/map/")
    small.wait_for_selector("#position-map canvas")
    assert small.evaluate("document.documentElement.scrollWidth") <= 390
    roam = small.evaluate(
        "echarts.getInstanceByDom(document.getElementById('position-map')).getOption().geo[0].roam"
    )
    assert roam is True
    small.screenshot(path=str(ARTIFACTS / "map-phone.png"))
    phone.close()
