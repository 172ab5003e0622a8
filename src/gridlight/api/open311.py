"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) under ``/open311/v2/``.

Services are the active, public leaf categories of the ticket catalogue; service requests are
tickets. The service list and definitions are public (the catalogue holds no personal data).
Reading requests without an ``api_key`` gives the redacted public view the spec expects
(category, status, dates and the community, never text, names or a finer place), unless
``OPEN311_PUBLIC_READS`` is off. With an ``api_key``, one of our personal access tokens, reading
and posting go through the same selectors and services as the pages: a resident or talent sees
the requests they raised, staff the requests in their scope, and nobody anything else. Every
answer comes as XML (the spec's required format) or JSON, by the extension of the resource;
errors are the spec's list of ``{code, description}``. See docs/open311.md.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Avg, QuerySet
from django.db.models.functions import Substr
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import path, re_path, reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from gridlight.core.access import Perm, has_perm, is_public_user, public
from gridlight.core.errors import VALUE_REFUSED, DomainError, value_refused
from gridlight.core.models import PositionKind, Region, ServicePosition, User
from gridlight.core.models.regions import SEGMENT_WIDTH
from gridlight.core.params import parse_id
from gridlight.core.services import token_authenticate
from gridlight.tickets import access as ticket_access
from gridlight.tickets import deadlines, disclosure, services
from gridlight.tickets.models import OPEN_STATUSES, Category, Source, Ticket

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# Requests listed at most per call, and the longest start_date..end_date span (the spec's 90 days).
MAX_REQUESTS = 1000
MAX_SPAN = timedelta(days=90)
REGION_ATTRIBUTE = "region"
# Element names of list items in XML, by the name of the list.
_ITEMS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# --- rendering --------------------------------------------------------------------------------


# Characters XML 1.0 cannot carry at all (C0 controls other than tab, newline and return).
_NOT_XML = dict.fromkeys(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).translate(_NOT_XML)


def _element(parent: ET.Element, name: str, value: Any) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _element(child, key, inner)
    elif isinstance(value, list):
        item = _ITEMS.get(name, "item")
        for inner in value:
            _element(child, item, inner)
    else:
        child.text = _text(value)


def render(fmt: str, root: str, item: str, data: Any, status: int = 200) -> HttpResponse:
    """``data`` (a list of dicts, or one dict) as JSON, or as XML under ``<root>`` with one
    ``<item>`` per list entry."""
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False)
    else:
        element = ET.Element(root)
        for entry in data if isinstance(data, list) else [data]:
            target = ET.SubElement(element, item) if isinstance(data, list) else element
            for key, value in entry.items():
                _element(target, key, value)
        body = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode")
    return HttpResponse(body, content_type=FORMATS[fmt], status=status)


def error(fmt: str, status: int, description: str) -> HttpResponse:
    return render(
        fmt if fmt in FORMATS else "xml",
        "errors",
        "error",
        [{"code": status, "description": description}],
        status=status,
    )


View = Callable[..., HttpResponse]


def endpoint(methods: Iterable[str]) -> Callable[[View], View]:
    """An Open311 view: checks the format and method, answers errors in the spec's format, is
    open to anonymous callers (it authenticates by ``api_key`` itself) and exempt from CSRF (no
    cookie authenticates it)."""
    allowed = set(methods)

    def decorate(view: View) -> View:
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            fmt = str(kwargs.pop("format", ""))
            if fmt not in FORMATS:
                # Deliberately not echoed: answers never repeat what the caller sent.
                return error("xml", 400, _("Unsupported format: use xml or json."))
            if request.method not in allowed:
                response = error(fmt, 405, _("Method not allowed."))
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return error(fmt, exc.status, exc.description)
            except DomainError as exc:
                return error(fmt, exc.status, exc.message)
            except VALUE_REFUSED as exc:
                return error(fmt, 400, value_refused(request.path, exc))

        wrapper.__name__ = view.__name__
        wrapper.__doc__ = view.__doc__
        return public(csrf_exempt(wrapper))

    return decorate


def _iso(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _params(request: HttpRequest) -> QueryDict:
    return request.POST if request.method == "POST" else request.GET


def _user(request: HttpRequest) -> User:
    key = _params(request).get("api_key", "").strip() or request.GET.get("api_key", "").strip()
    user = token_authenticate(key) if key else None
    if user is None:
        raise Open311Error(403, _("api_key was not provided or is not valid."))
    return user


def _reader(request: HttpRequest) -> User | None:
    """Who reads requests: the key's user, or None for an anonymous caller when public reads
    are on (a key that is given must be valid all the same)."""
    if "api_key" not in request.GET and getattr(settings, "OPEN311_PUBLIC_READS", True):
        return None
    return _user(request)


def _readable(user: User | None) -> QuerySet[Ticket]:
    """The requests ``user`` may read; for an anonymous caller (None), those of the public
    services other than talent services."""
    if user is not None:
        return ticket_access.visible(user)
    return Ticket.objects.filter(
        category_id__in=[c.pk for c in _services() if not c.talent], talent=False
    )


# --- services ---------------------------------------------------------------------------------


def _services() -> list[Category]:
    """Active, public categories without active children: what a request can be raised for."""
    rows = list(
        Category.objects.filter(active=True, public=True).select_related("parent", "policy")
    )
    parents = {c.parent_id for c in Category.objects.filter(active=True) if c.parent_id}
    return [c for c in rows if c.pk not in parents]


def _name(category: Category) -> str:
    english = (translation.get_language() or "").startswith("en")
    return category.name_en if english and category.name_en else category.name


def _service(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": _name(category),
        "description": category.description or _name(category),
        # True when the definition lists attributes, as the spec asks.
        "metadata": bool(_attributes(category)),
        "type": "realtime",
        "keywords": ",".join(filter(None, [category.code, category.name, category.name_en])),
        "group": _name(category.parent) if category.parent else "",
    }


def _find_service(code: str) -> Category | None:
    return next((c for c in _services() if c.code == code), None)


@endpoint(["GET"])
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    """Service discovery: where the GeoReport v2 endpoint is and which formats it speaks."""
    base = request.build_absolute_uri(reverse("open311:services", kwargs={"format": "xml"}))
    return render(
        fmt,
        "discovery",
        "discovery",
        {
            "changeset": "2026-01-01T00:00:00+08:00",
            "contact": _("The district's 12345 hotline."),
            "key_service": _("Personal access tokens, created under Account → API tokens."),
            "endpoints": [
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": base.rsplit("/", 1)[0],
                    "changeset": "2026-01-01T00:00:00+08:00",
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@endpoint(["GET"])
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    return render(fmt, "services", "service", [_service(c) for c in _services()])


@endpoint(["GET"])
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    category = _find_service(service_code)
    if category is None:
        raise Open311Error(404, _("service_code not found."))
    definition = {"service_code": category.code, "attributes": _attributes(category)}
    return render(fmt, "service_definition", "service_definition", definition)


def _attributes(category: Category) -> list[dict[str, Any]]:
    """The attributes of a service's definition (every service takes the region)."""
    return [
        {
            "variable": True,
            "code": REGION_ATTRIBUTE,
            "datatype": "string",
            "required": False,
            "datatype_description": _("The code of a street, community or grid."),
            "order": 1,
            "description": _(
                "Where the problem is, when lat and long are not given or lie outside the district."
            ),
        }
    ]


# --- service requests -------------------------------------------------------------------------


def _request(ticket: Ticket, notes: dict[int, str]) -> dict[str, Any]:
    return {
        "service_request_id": str(ticket.pk),
        "status": "open" if ticket.is_open else "closed",
        # The latest words the caller may read: the public never read internal notes.
        "status_notes": notes.get(ticket.pk, ""),
        "service_name": _name(ticket.category),
        "service_code": ticket.category.code,
        "description": ticket.description,
        "agency_responsible": ticket.unit.name if ticket.unit else "",
        "service_notice": "",
        "requested_datetime": _iso(ticket.created_at),
        "updated_datetime": _iso(ticket.updated_at),
        # The last second of the deadline's last day, the day pages show.
        "expected_datetime": _iso(deadlines.last_moment(ticket.due_at)),
        "address": ticket.address,
        "address_id": "",
        "zipcode": "",
        "lat": ticket.latitude,
        "long": ticket.longitude,
        "media_url": "",
    }


# A community's path: district, street and community segments.
COMMUNITY_PATH = 3 * SEGMENT_WIDTH + 2
STREET_PATH = 2 * SEGMENT_WIDTH + 1


class _Places:
    """Community-level places of tickets for the public view: "street community" as the
    address and the community's centroid (the mean of its grid stations, public places) as
    the point. Two queries for any number of tickets."""

    def __init__(self, tickets: list[Ticket]) -> None:
        paths = {t.region_path[:n] for t in tickets for n in (STREET_PATH, COMMUNITY_PATH)}
        self.names = dict(Region.objects.filter(path__in=paths).values_list("path", "name"))
        communities = {p for p in paths if len(p) == COMMUNITY_PATH}
        self.points = {
            row["community"]: (row["lat"], row["lon"])
            for row in ServicePosition.objects.filter(
                kind=PositionKind.GRID_STATION,
                latitude__isnull=False,
                longitude__isnull=False,
            )
            .annotate(community=Substr("region_path", 1, COMMUNITY_PATH))
            .filter(community__in=communities)
            .values("community")
            .annotate(lat=Avg("latitude"), lon=Avg("longitude"))
        }

    def address(self, ticket: Ticket) -> str:
        parts = (self.names.get(ticket.region_path[:n]) for n in (STREET_PATH, COMMUNITY_PATH))
        return " ".join(p for p in parts if p)

    def point(self, ticket: Ticket) -> tuple[float | None, float | None]:
        path = ticket.region_path[:COMMUNITY_PATH]
        if len(path) < COMMUNITY_PATH or path not in self.points:
            return None, None
        lat, lon = self.points[path]
        return round(float(lat), 4), round(float(lon), 4)


def _public_request(ticket: Ticket, places: _Places) -> dict[str, Any]:
    """The redacted view of a request for anonymous callers: category, status, dates, the
    responsible unit and the community; no description, notes, names, address or exact point."""
    lat, lon = places.point(ticket)
    return {
        **_request(ticket, {}),
        "status_notes": "",
        "description": "",
        "address": places.address(ticket),
        "lat": lat,
        "long": lon,
    }


def _answer(fmt: str, user: User | None, tickets: list[Ticket]) -> HttpResponse:
    if user is None:
        places = _Places(tickets)
        rows = [_public_request(t, places) for t in tickets]
    else:
        notes = disclosure.status_notes([t.pk for t in tickets], user)
        rows = [_request(t, notes) for t in tickets]
    return render(fmt, "service_requests", "request", rows)


def _with_log(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """What a request reads of its ticket, its service and its unit, and no more (a ticket has
    forty columns; a list of a thousand parsed whole took a third of a second)."""
    return qs.select_related("category", "unit").only(
        "status",
        "description",
        "created_at",
        "updated_at",
        "due_at",
        "address",
        "latitude",
        "longitude",
        "region_path",
        "category__code",
        "category__name",
        "category__name_en",
        "unit__name",
    )


# Dates outside these years are refused rather than computed with (90 days after 9999-12-31
# does not exist).
YEARS = (1970, 2999)


def _moment(raw: str, *, end: bool = False) -> datetime:
    malformed = Open311Error(400, _("Dates are ISO 8601, such as 2026-03-01T08:00:00+08:00."))
    try:
        value = parse_datetime(raw)
        if value is None:
            day = parse_date(raw)
            if day is None:
                raise malformed
            value = datetime.combine(day + timedelta(days=1 if end else 0), datetime.min.time())
    except (ValueError, OverflowError) as exc:  # 2026-02-30, 2026-13-01, 9999-12-31 + 1 day
        raise malformed from exc
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise Open311Error(
            400, _("Dates lie between %(a)s and %(b)s.") % {"a": YEARS[0], "b": YEARS[1]}
        )
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _ids(raw: str) -> list[int]:
    ids = list(dict.fromkeys(pk for pk in map(parse_id, raw.split(",")) if pk is not None))
    if len(ids) > MAX_REQUESTS:
        raise Open311Error(
            400, _("At most %(n)s service_request_id values at once.") % {"n": MAX_REQUESTS}
        )
    return ids


def _list_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    user = _reader(request)
    params = request.GET
    qs = _readable(user)
    if params.get("service_request_id", "").strip():
        # The spec: a list of ids overrides every other filter.
        qs = qs.filter(pk__in=_ids(params["service_request_id"]))
    else:
        codes = [c.strip() for c in params.get("service_code", "").split(",") if c.strip()]
        if codes:
            qs = qs.filter(category__code__in=codes)
        statuses = {s.strip() for s in params.get("status", "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status is open, closed, or both separated by a comma."))
        if statuses == {"open"}:
            qs = qs.filter(status__in=_open_statuses())
        elif statuses == {"closed"}:
            qs = qs.exclude(status__in=_open_statuses())
        start_raw, end_raw = params.get("start_date", ""), params.get("end_date", "")
        end = _moment(end_raw, end=True) if end_raw else timezone.now()
        start = _moment(start_raw) if start_raw else end - MAX_SPAN
        if start_raw and not end_raw:
            end = start + MAX_SPAN
        if end < start:
            raise Open311Error(400, _("end_date is before start_date."))
        if end - start > MAX_SPAN:
            raise Open311Error(400, _("start_date and end_date may not span more than 90 days."))
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
    tickets = list(_with_log(qs).order_by("-created_at", "-id")[:MAX_REQUESTS])
    return _answer(fmt, user, tickets)


def _open_statuses() -> list[str]:
    return [str(s) for s in OPEN_STATUSES]


def _coordinate(raw: str, limit: float) -> float | None:
    if not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > limit:
        raise Open311Error(400, _("lat and long are decimal degrees (WGS84)."))
    return value


def _create_request(request: HttpRequest, fmt: str) -> HttpResponse:
    user = _user(request)
    data = request.POST
    public_user = is_public_user(user)
    if not public_user and not has_perm(user, Perm.TICKET_CREATE):
        raise Open311Error(403, _("This api_key may not raise service requests."))
    code = data.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, _("service_code was not provided."))
    category = _find_service(code)
    if category is None:
        raise Open311Error(400, _("service_code not found."))
    description = data.get("description", "").strip()
    if not description:
        raise Open311Error(400, _("description was not provided."))
    lat = _coordinate(data.get("lat", ""), 90)
    lon = _coordinate(data.get("long", ""), 180)
    region_code = data.get(f"attribute[{REGION_ATTRIBUTE}]", "").strip()
    region: Region | None = None
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise Open311Error(400, _("attribute[region] is not a known region code."))
    # Without a region the service places the request by lat/long or by address_string.
    media = data.get("media_url", "").strip()
    if media:
        description = f"{description}\n{_('Media')}: {media[:300]}"
    name = f"{data.get('last_name', '').strip()}{data.get('first_name', '').strip()}"
    first_line = description.splitlines()[0]
    title = first_line if len(first_line) <= 40 else first_line[:39] + "…"
    ticket = services.submit(
        actor=user,
        intake=services.Intake(
            category=category,
            region=region,
            title=title,
            description=description,
            address=data.get("address_string", ""),
            latitude=lat,
            longitude=lon,
            requester_name=name,
            requester_phone=data.get("phone", ""),
            source=Source.OPEN311,
        ),
    )
    return render(
        fmt,
        "service_requests",
        "request",
        [
            {
                "service_request_id": str(ticket.pk),
                "service_notice": _("Your request number is %(n)s.") % {"n": ticket.number},
                "account_id": data.get("account_id", "") or None,
            }
        ],
        status=201,
    )


@endpoint(["GET", "POST"])
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create_request(request, fmt)
    return _list_requests(request, fmt)


@endpoint(["GET"])
def request_detail(request: HttpRequest, fmt: str, service_request_id: str) -> HttpResponse:
    user = _reader(request)
    ticket = None
    pk = parse_id(service_request_id)
    if pk is not None:
        ticket = _with_log(_readable(user)).filter(pk=pk).first()
    if ticket is None:
        raise Open311Error(404, _("service_request_id not found."))
    return _answer(fmt, user, [ticket])


@public
@csrf_exempt
def unknown(request: HttpRequest) -> HttpResponse:
    """A resource the spec does not define (or one without its .xml or .json)."""
    fmt = "json" if request.path.endswith(".json") else "xml"
    return error(fmt, 404, _("No such resource: see discovery.xml for the endpoints."))


@endpoint(["GET"])
def token_detail(request: HttpRequest, fmt: str, token_id: str) -> HttpResponse:
    """Tokens are ticket numbers (``20260301-0000123``), as told to people on the phone; requests
    posted here are created at once, so the POST answer already carries the id."""
    user = _user(request)
    ticket = None
    _day, _sep, number = token_id.partition("-")
    pk = parse_id(number)
    if pk is not None:
        found = ticket_access.visible(user).filter(pk=pk).first()
        if found is not None and found.number == token_id:
            ticket = found
    if ticket is None:
        raise Open311Error(404, _("token not found."))
    return render(
        fmt,
        "service_requests",
        "request",
        [{"service_request_id": str(ticket.pk), "token": token_id}],
    )


app_name = "open311"
urlpatterns = [
    path("discovery.<str:format>", discovery, name="discovery"),
    path("services.<str:format>", service_list, name="services"),
    path("services/<str:service_code>.<str:format>", service_definition, name="service"),
    path("requests.<str:format>", requests, name="requests"),
    path("requests/<str:service_request_id>.<str:format>", request_detail, name="request"),
    path("tokens/<str:token_id>.<str:format>", token_detail, name="token"),
    # Anything else under /open311/v2/ is answered in the spec's error format too.
    re_path(r"^.*$", unknown, name="unknown"),
]
