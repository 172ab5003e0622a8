"""Server time and query count of every GET page and API list, as the role that uses it, at the
demo's full size (300,000 households, 1,000,000 tickets).

The routes are discovered from the URL conf, as the route walk does (``gridlight.core.urlwalk``),
so a page added later is timed without being listed here. Each route's parameters are filled
with a real object of the kind the route shows (a recent open ticket, a household, the district,
…), and each page is requested as the roles that work with it (``ROLES``; the district admin
otherwise). Each measurement prints one JSON line: ``page`` (the route), ``role``, ``status``,
``queries`` (of the first request), ``first_seconds`` (the first request, with the cache
cleared, as after a minute away), ``seconds`` (median of three repeats; one repeat for a page
over a second), ``cpu_seconds`` (their median CPU, this process's and its PostgreSQL backend's:
the server time without waiting for a core on a loaded machine) and ``load`` (the load average).
The last line, ``{"name": "untimed", "routes": [...], "statuses": {...}}``, lists the GET routes
that answered no role with a 200 (so were not timed at all), with the statuses they gave; a route
answering 405 to every role (POST only) is right not to be there. It should be empty: a route in
it needs a value (an object in the role's scope), a query string (``QUERY``) or a role
(``ROLES_EXACT``) here. The exports run first, so that the admin's export job is a page too.

``BENCH_PAGES=tickets/,households/`` times only the routes starting with one of these;
``BENCH_EXPORTS=0`` skips the exports, ``BENCH_EXPORTS=tickets/export/`` runs only those named.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.common import report, speed_gauge
from bench.setup import build, build_new_apps, build_ticket_history

# Who uses a page: by the exact route, else by the route's start (the first match wins); the
# district admin otherwise.
ROLES_EXACT: dict[str, list[str]] = {
    "": ["admin", "street", "handler", "gridworker", "resident"],  # the home page
    "tickets/": ["admin", "handler", "resident"],
    "tickets/dispatch/": ["admin", "street"],
    "tickets/work/": ["handler", "street"],
    "tickets/supervision/": ["admin", "street"],
    "tickets/inbox/": ["handler"],
    "tickets/new/": ["resident"],
    "tickets/similar/": ["resident"],
    "households/": ["admin", "street"],
    "households/dashboard/": ["admin", "street"],
    "households/<int:pk>/": ["admin", "street"],
    "households/worklist/": ["gridworker"],
    "api/v1/worklist": ["gridworker"],
    "api/v1/tickets": ["admin", "handler"],
    # A manager's pages (TALENT_ASSIGN), not a commissioner's.
    "api/v1/caseload/workload": ["admin"],
    "talent/caseload/workload/": ["admin"],
    # A talent's own records: its problem, its application, a policy open to it.
    "me/talent/problems/<int:pk>/": ["talent"],
    "api/v1/me/talent/problems/<problem_id>": ["talent"],
    "me/talent/policies/apply/<int:pk>/": ["talent"],
    "me/talent/policies/applications/<int:pk>/": ["talent"],
    "api/v1/me/policies/applications/<application_id>": ["talent"],
    # A judge's pages: the evaluator sits on the round's panel (``_rounds``).
    "evaluation/rounds/<int:pk>/score/": ["evaluator"],
    "evaluation/rounds/<int:pk>/score/<int:entrant_pk>/": ["evaluator"],
}
ROLES_PREFIX: list[tuple[str, list[str]]] = [
    ("me/talent/", ["talent", "enterprise"]),
    ("me/policies/", ["talent", "enterprise"]),
    ("api/v1/me/policies", ["talent", "enterprise"]),
    ("api/v1/me/talent", ["talent", "enterprise"]),
    ("talent/", ["commissioner", "admin"]),
    ("api/v1/caseload", ["commissioner"]),
    ("evaluation/", ["admin", "evaluator", "street"]),
    ("development/", ["admin", "street"]),
]

# Query strings a route needs to answer (a required parameter); ``{name}`` is a value of
# ``_values`` (e.g. ``{_talents}``).
QUERY: dict[str, str] = {
    "api/v1/lights": "?region=370103",
    "api/v1/indicators/elements/<code>/figures": "?region=370103",
    "api/v1/indicators/contributions": "?region=370103",
    "api/v1/indicators/<code>/figure": "?region=370103",
    "households/rules/<int:pk>/editor/rule/": "?outcome=red",
    "talent/problems/raise/": "?talent={_talents}",
}


# Routes not timed: a GET that changes something (signing out, revealing a number, which is
# audited), the exports (timed below, as the jobs they start) and routes outside the product.
SKIP = (
    "accounts/logout/",
    "accounts/login/",
    "i18n/",
    "api/docs",
    "api/openapi.json",
    "/reveal",
    "export/",
    "open311/v2/^",
    "open311/v2/tokens/",
    "/attachments/",
)


# Routes with nothing to time: django-ninja's root (/api/) answers 404 by design (the API's
# documentation is at api/docs).
SKIP_EXACT = ("api/",)


def _roles(route: str) -> list[str]:
    if route in ROLES_EXACT:
        return ROLES_EXACT[route]
    return next((roles for prefix, roles in ROLES_PREFIX if route.startswith(prefix)), ["admin"])


def _values() -> dict[str, list[str]]:
    """Parameter values: real objects of the demo district, by parameter name and converter."""
    from gridlight.core.models import Job, JobStatus, Region, ServicePosition, User
    from gridlight.households.models import Household, Resident
    from gridlight.rules.models import RuleSetVersion, VersionStatus
    from gridlight.tickets.models import Category, SlaPolicy, Ticket, Unit, open_work

    district = Region.objects.get(code="370103")
    street = Region.objects.get(code="370103008")
    resident = Resident.objects.filter(household__region_path__startswith=street.path).first()
    household = resident.household_id if resident else Household.objects.values("pk").first()
    open_ticket = (
        Ticket.objects.filter(open_work(), region_path__startswith=district.path)
        .order_by("-created_at")
        .values_list("pk", flat=True)
        .first()
    )
    admin = User.objects.get(username="admin")
    # The admin's own job, an export if one ran (its download is a page too).
    jobs = Job.objects.filter(created_by=admin).order_by("-pk").values_list("pk", flat=True)
    job = jobs.filter(kind="core.export", status=JobStatus.DONE).first() or jobs.first()
    versions = RuleSetVersion.objects.order_by("-pk").values_list("pk", flat=True)
    version = versions.exclude(status=VersionStatus.DRAFT).first() or versions[0]
    draft = versions.filter(status=VersionStatus.DRAFT).first()
    position = ServicePosition.objects.values_list("pk", flat=True).first()
    leaf = Category.objects.filter(parent__isnull=False).values_list("code", flat=True)[0]
    return {
        "str": ["1"],
        "format": ["json"],
        "light": ["red"],
        "region_id": [str(street.pk)],
        "position_id": [str(position)],
        "household_id": [str(household)],
        "member_id": [str(resident.pk if resident else 0)],
        "resident_pk": [str(resident.pk if resident else 0)],
        "version_id": [str(version)],
        "ticket_id": [str(open_ticket)],
        "service_code": [leaf],
        "service_request_id": [str(open_ticket)],
        "name": ["accept"],
        # Integer parameters by the route's start (see _int_for).
        "_households": [str(household)],
        "_rules": [str(version)],
        "_rule_draft": [str(draft or 0)],
        "_dashboard": [str(street.pk)],
        "_regions": [str(street.pk)],
        "_positions": [str(position)],
        "_users": [str(admin.pk)],
        "_jobs": [str(job or 0)],
        "_policies": [str(SlaPolicy.objects.values_list("pk", flat=True).first())],
        "_categories": [str(Category.objects.values_list("pk", flat=True).first())],
        "_units": [str(Unit.objects.order_by("pk").values_list("pk", flat=True).first())],
        "_tickets": [str(open_ticket)],
        **_new_app_values(),
        "_assignments": ["0"],
        "_tokens": ["0"],
        "_calendar": ["0"],
    }


def _first(model: Any, **where: Any) -> str:
    """The first row's pk of a model (or of a queryset) matching ``where``; "0" if none."""
    rows = model.objects.all() if hasattr(model, "objects") else model
    pk = rows.filter(**where).order_by("pk").values_list("pk", flat=True).first()
    return str(pk or 0)


def _new_app_values() -> dict[str, list[str]]:
    """Objects of the talent, policies, evaluation and development apps, as their demo builds
    them, each one that the roles timing its pages may see: an enterprise and a talent of the
    demo commissioner's caseload, the talent user's own problem and application, a policy open
    to it, the latest published policy version, the current year's cycle, a round the evaluator
    judges, an observation event (the kind that has a route and rounds), and the street user's
    own brand, cadre, evidence and key project (the district sees them too)."""
    from gridlight.core.models import Region, User
    from gridlight.development.models import DataElement, Indicator, ProgressReport, Project
    from gridlight.development.models import Milestone as ProjectMilestone
    from gridlight.evaluation.models import (
        ActionItem,
        Assessment,
        Cadre,
        CycleYear,
        Entrant,
        Event,
        EventKind,
        Evidence,
        Judge,
        Rectification,
        Round,
        StreetBrand,
    )
    from gridlight.evaluation.models import Milestone as BrandMilestone
    from gridlight.policies.models import (
        Application,
        Mode,
        PaymentBatch,
        Policy,
        PolicyVersion,
    )
    from gridlight.talent.models import Enterprise, Talent, TalentProblem

    commissioner = User.objects.get(username="commissioner")
    street = Region.objects.get(code="370103008").path
    own = {"region_path__startswith": street}
    year = CycleYear.objects.order_by("-year").values_list("pk", flat=True).first()
    element = DataElement.objects.order_by("pk").first()
    mine = TalentProblem.objects.filter(talent__user__username="talent").order_by("-pk")
    problem = mine.values_list("pk", flat=True).first()
    judged = Judge.objects.filter(user__username="evaluator").order_by("-round_id")
    round_ = judged.values_list("round_id", flat=True).first() or (
        Round.objects.order_by("-pk").values_list("pk", flat=True).first()
    )
    talent = Talent.objects.filter(user__username="talent").first()
    open_to_talent = Policy.objects.filter(mode=Mode.APPLY, subject_type="talent")
    if talent is not None:
        from gridlight.policies.access import policies_open_to

        open_to_talent = policies_open_to(talent.region_path).filter(
            mode=Mode.APPLY, subject_type="talent"
        )
    mine_app = _first(Application, talent__user__username="talent")
    values = {
        "_talents": _first(Talent),
        "_enterprises": _first(Enterprise),
        "_commissioners": str(commissioner.pk),
        "_policies_catalogue": _first(Policy),
        "_policy_versions": _first(PolicyVersion),
        "_open_policies": _first(open_to_talent),
        # The talent's own application (the district sees it too), else any.
        "_applications": mine_app if mine_app != "0" else _first(Application),
        "_batches": _first(PaymentBatch),
        "_years": str(year or 0),
        "_events": _first(Event, kind=EventKind.OBSERVATION),
        "_rounds": str(round_ or 0),
        "_entrants": _first(Entrant, round_id=round_ or 0),
        "_assessments": _first(Assessment),
        "_brands": _first(StreetBrand, **own),
        "_brand_milestones": _first(BrandMilestone, **own),
        "_actions": _first(ActionItem, **own),
        "_evidence": _first(Evidence, **own),
        "_cadres": _first(Cadre, **own),
        "_rectifications": _first(Rectification),
        "_problems": str(problem or 0),
        "_projects": _first(Project, **own),
        "_project_milestones": _first(ProjectMilestone, project__region_path__startswith=street),
        "_reports": _first(ProgressReport, **own),
        "_elements": str(element.pk if element else 0),
    }
    named = {
        "talent_id": "_talents",
        "enterprise_id": "_enterprises",
        "commissioner_id": "_commissioners",
        "policy_id": "_policies_catalogue",
        "round_id": "_rounds",
        "year_id": "_years",
        "problem_id": "_problems",
        "project_id": "_projects",
        "report_id": "_reports",
        "application_id": "_applications",
        "batch_id": "_batches",
        "event_id": "_events",
        "entrant_pk": "_entrants",
    }
    out = {key: [value] for key, value in values.items()}
    out.update({name: [values[key]] for name, key in named.items()})
    out["code"] = [element.code if element else "0"]
    indicator = Indicator.objects.order_by("pk").values_list("code", flat=True).first()
    out["_indicator_code"] = [indicator or "0"]
    out["level"] = ["A"]
    return out


INT_KINDS = [
    ("api/v1/caseload/talents", "_talents"),
    ("api/v1/caseload/enterprises", "_enterprises"),
    ("talent/caseload/commissioners/", "_commissioners"),
    ("talent/caseload/enterprises/", "_enterprises"),
    ("talent/caseload/", "_talents"),
    ("talent/enterprises/", "_enterprises"),
    ("talent/talents/", "_talents"),
    ("policies/versions/", "_policy_versions"),
    ("policies/talents/", "_talents"),
    ("policies/enterprises/", "_enterprises"),
    ("policies/", "_policies_catalogue"),
    ("me/talent/policies/apply/", "_open_policies"),
    ("me/talent/policies/applications/", "_applications"),
    ("evaluation/rounds/", "_rounds"),
    ("evaluation/events/", "_events"),
    ("evaluation/assessments/", "_assessments"),
    ("evaluation/brands/", "_brands"),
    ("evaluation/milestones/", "_brand_milestones"),
    ("evaluation/actions/", "_actions"),
    ("evaluation/evidence/", "_evidence"),
    ("evaluation/cadres/", "_cadres"),
    ("evaluation/rectifications/", "_rectifications"),
    ("evaluation/", "_years"),
    ("me/talent/problems/", "_problems"),
    ("development/projects/", "_projects"),
    ("development/reports/", "_reports"),
    ("development/milestones/", "_project_milestones"),
    ("development/indicators/elements/", "_elements"),
    ("households/rules/<int:pk>/editor/", "_rule_draft"),
    ("households/rules/", "_rules"),
    ("households/dashboard/", "_dashboard"),
    ("households/", "_households"),
    ("regions/", "_regions"),
    ("positions/", "_positions"),
    ("users/", "_users"),
    ("jobs/", "_jobs"),
    ("assignments/", "_assignments"),
    ("accounts/tokens/", "_tokens"),
    ("tickets/catalogue/policies/", "_policies"),
    ("tickets/catalogue/categories/", "_categories"),
    ("tickets/catalogue/units/", "_units"),
    ("tickets/calendar/", "_calendar"),
    ("tickets/", "_tickets"),
]


# A parameter whose name means another kind in this route: {route: {parameter: value key}}
# (the indicator's figure takes an indicator's code, not a data element's).
PARAMS: dict[str, dict[str, str]] = {
    "api/v1/indicators/<code>/figure": {"code": "_indicator_code"},
}


def _urls(route: str, values: dict[str, list[str]]) -> list[str]:
    from gridlight.core.urlwalk import concrete_urls

    kind = next((k for prefix, k in INT_KINDS if route.startswith(prefix)), None)
    named = {name: values[key] for name, key in PARAMS.get(route, {}).items()}
    return concrete_urls(route, {**values, "int": values[kind] if kind else ["0"], **named})


def pages() -> list[tuple[str, str]]:
    """(route, url) for every GET route worth timing, once per route."""
    from gridlight.core.urlwalk import all_routes

    only = [p for p in os.environ.get("BENCH_PAGES", "").split(",") if p]
    values = _values()
    found: dict[str, str] = {}
    for route, _pattern in all_routes():
        if route in found or route in SKIP_EXACT or any(s in route for s in SKIP):
            continue
        if only and not any(route.startswith(p) for p in only):
            continue
        query = QUERY.get(route, "").format(**{k: v[0] for k, v in values.items()})
        found[route] = _urls(route, values)[0] + query
    return list(found.items())


def cpu_seconds() -> float:
    """CPU spent so far by this process and, on PostgreSQL, by its database backend (on the
    same host): a request's CPU is its server time without the waiting for a core, which on a
    shared machine under load can be most of the wall time."""
    spent = time.process_time()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
            spent += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:  # not on this host: the process's own CPU only
            pass
    return spent


def _time(client: Client, url: str) -> tuple[int, int, float, float, float]:
    """Status, queries and first time of a request with the cache cleared, then the median
    wall time and median CPU (``cpu_seconds``) of up to three repeats."""
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        status = client.get(url).status_code
        first = time.perf_counter() - start
    queries = len(ctx.captured_queries)
    if status != 200:
        return status, queries, first, first, 0.0
    repeat = 1 if first > 1 else 3
    samples, cpu = [], []
    for _ in range(repeat):
        spent = cpu_seconds()
        start = time.perf_counter()
        client.get(url)
        samples.append(time.perf_counter() - start)
        cpu.append(cpu_seconds() - spent)
    return status, queries, first, statistics.median(samples), statistics.median(cpu)


def run(*, db: str, scale: str) -> None:
    from gridlight.tickets.models import Ticket

    households = build(scale)
    build_ticket_history(scale)
    build_new_apps()
    tickets = Ticket.objects.count()
    # This machine is shared: the gauge (ms for a fixed piece of Python) says how fast it ran.
    report("speed-gauge", db=db, rows=0, seconds=0, speed_gauge_ms=speed_gauge())
    clients: dict[str, Client] = {}
    exports = os.environ.get("BENCH_EXPORTS", "1") != "0"
    found = pages()
    if any(route == "households/rules/<int:pk>/simulate/" for route, _url in found):
        _preview(db, clients, tickets)
    if any(route.startswith("households/rules/<int:pk>/editor/") for route, _url in found):
        _rule_draft(clients)
    _own_records()
    if exports:  # first: the admin's export job is then a job page (and a download) to time
        _exports(db, clients, tickets)
    _export_job(clients)
    found = pages()
    statuses: dict[str, set[int]] = {}
    for route, url in found:
        for role in _roles(route):
            status, queries, first, seconds, cpu = _time(_client(clients, role), url)
            statuses.setdefault(route, set()).add(status)
            extra: dict[str, Any] = {"page": route or "(home)", "role": role, "status": status}
            extra["cpu_seconds"] = round(cpu, 4)
            extra["load"] = round(os.getloadavg()[0], 1)
            report(
                f"page:{route or '(home)'}",
                db=db,
                rows=tickets,
                seconds=seconds,
                first_seconds=round(first, 4),
                queries=queries,
                households=households,
                url=url,
                **extra,
            )
    untimed, redirects = untimed_routes(statuses)
    line = {"name": "untimed", "db": db, "routes": sorted(untimed), "statuses": untimed}
    print(json.dumps(line | {"redirects": redirects}), flush=True)


def untimed_routes(statuses: dict[str, set[int]]) -> tuple[dict[str, list[int]], list[str]]:
    """The routes no role could time (no 200), with their statuses: a gap in the values above,
    not a fast page. POST-only routes (405 whatever the role) are right not to answer a GET,
    and a route that only sends each role on (a redirect, e.g. /regions/ to the tree) has no
    page of its own: both are left out, the redirects returned apart."""
    untimed = {r: sorted(seen) for r, seen in statuses.items() if 200 not in seen}
    redirects = sorted(r for r, seen in untimed.items() if seen and max(seen) < 400)
    return {r: s for r, s in untimed.items() if s != [405] and r not in redirects}, redirects


def _client(clients: dict[str, Client], role: str) -> Client:
    from gridlight.core.models import User

    if role not in clients:
        clients[role] = Client(raise_request_exception=False)
        clients[role].force_login(User.objects.get(username=role))
    return clients[role]


def _rule_draft(clients: dict[str, Client]) -> None:
    """The rule editor's fragments answer for a draft: start one as the admin does (its page's
    button), unless a reused database has one."""
    from gridlight.rules.models import RuleSetVersion, VersionStatus

    if not RuleSetVersion.objects.filter(status=VersionStatus.DRAFT).exists():
        _client(clients, "admin").post("/households/rules/draft/")


def _export_job(clients: dict[str, Client]) -> None:
    """The job page and its download need an export job of the admin's with a file: the timed
    exports leave one at full size; a smaller district's exports are answered at once, so
    start the audit trail's as a job (as a large one would be), unless one is there."""
    from django.test.utils import override_settings

    from gridlight.core.models import Job, JobStatus

    mine = Job.objects.filter(kind="core.export", created_by__username="admin")
    if not mine.filter(status=JobStatus.DONE).exists():
        with override_settings(GRIDLIGHT_JOBS_EAGER=True, GRIDLIGHT_EXPORT_INLINE_LIMIT=0):
            _client(clients, "admin").post("/audit/export/")


PDF = b"%PDF-1.4\n%%EOF\n"


def _own_records() -> None:
    """What users make and the demo does not, made as they would (idempotent): the talent
    user's own application (its portal's page), the street user's evidence for its brand."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridlight.core.errors import DomainError
    from gridlight.core.models import Region, User
    from gridlight.core.uploads import Upload
    from gridlight.evaluation.models import Evidence, Milestone
    from gridlight.evaluation.services import evidence_add
    from gridlight.policies import applications
    from gridlight.policies.access import policies_open_to
    from gridlight.policies.models import Application, Mode
    from gridlight.talent.models import Talent

    talent = Talent.objects.filter(user__username="talent").select_related("user").first()
    if talent and not Application.objects.filter(talent=talent).exists():
        open_to = policies_open_to(talent.region_path).filter(mode=Mode.APPLY)
        for policy in open_to.filter(subject_type="talent").order_by("pk"):
            uploads = {m: Upload(f"{i}.pdf", PDF) for i, m in enumerate(policy.materials or [])}
            try:
                applications.submit(actor=talent.user, policy=policy, uploads=uploads)
                break
            except DomainError:  # not eligible for this one: the next
                continue
    street = User.objects.get(username="street")
    path = Region.objects.get(code="370103008").path  # the street user's street, as _values
    milestone = Milestone.objects.filter(region_path__startswith=path).order_by("pk").first()
    if milestone and not Evidence.objects.filter(region_path__startswith=path).exists():
        upload = SimpleUploadedFile("evidence.pdf", PDF)
        evidence_add(
            actor=street, milestone=milestone, kind="document", title="验收材料", upload=upload
        )


def _preview(db: str, clients: dict[str, Client], tickets: int) -> None:
    """The rule preview is a background job; its page shows the latest result. Run one (inline,
    timed as the job it is) so that the page is timed showing a district's preview."""
    from django.test.utils import override_settings

    from gridlight.rules.models import RuleSetVersion, VersionStatus

    _client(clients, "admin")
    versions = RuleSetVersion.objects.order_by("-pk").values_list("pk", flat=True)
    version = versions.exclude(status=VersionStatus.DRAFT).first() or versions[0]  # as _values
    with override_settings(GRIDLIGHT_JOBS_EAGER=True):
        start = time.perf_counter()
        status = clients["admin"].post(f"/households/rules/{version}/simulate/").status_code
        seconds = time.perf_counter() - start
    report(
        "job:households.simulate", db=db, rows=tickets, seconds=seconds, role="admin", status=status
    )


# The exports that can be large, as the role that makes them: the whole list each time.
EXPORTS = [
    ("tickets/export/", "handler"),
    ("audit/export/", "admin"),
    ("households/export/", "admin"),
]


def _exports(db: str, clients: dict[str, Client], tickets: int) -> None:
    """Each large export run to its end: the POST starts the job, run here inline
    (GRIDLIGHT_JOBS_EAGER) so that its time is the job's; then the file is read back."""
    import resource

    from django.test.utils import override_settings

    from gridlight.core.models import Job

    chosen = os.environ.get("BENCH_EXPORTS", "1")
    for url, role in EXPORTS if chosen == "1" else [e for e in EXPORTS if e[0] in chosen]:
        client = _client(clients, role)
        with override_settings(GRIDLIGHT_JOBS_EAGER=True):
            start = time.perf_counter()
            response = client.post("/" + url)
            seconds = time.perf_counter() - start
        job = Job.objects.filter(kind="core.export").order_by("-pk").first()
        rows = int((job.result or {}).get("rows", 0)) if job and response.status_code == 302 else 0
        if response.status_code == 302 and job is not None:
            size = sum(len(c) for c in client.get(f"/jobs/{job.pk}/download/").streaming_content)
        else:  # small enough to be the answer at once
            size = len(response.content)
        report(
            f"export:{url}",
            db=db,
            rows=tickets,
            seconds=seconds,
            page=url,
            role=role,
            status=response.status_code,
            exported=rows,
            bytes=size,
            peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        )
