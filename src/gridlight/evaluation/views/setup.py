"""Setting up the cycle: the district's managers create a year and generate its events, keep the
meetings (agenda, minutes, attendance, action items; an overdue item raised as a ticket), set up
the judged rounds (criteria, entrants, the panel and declared conflicts), the observation's
route, the half-year assessment and the annual standings, and the streets' evaluation tasks; a
street keeps its own 一街一品 entry and milestones; cadres and position inspections.

Every form goes through a service (scope, validation, version, audit); objects are fetched in
the scope of the permission the action needs, so anything outside answers 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridlight.core.access import (
    ROLE_PERMS,
    Perm,
    SignedInRequest,
    access,
    scope_for,
    scoped,
)
from gridlight.core.errors import DomainError
from gridlight.core.models import Assignment, Region, RegionLevel, ServicePosition, User
from gridlight.core.spreadsheets import template_notes, write_workbook
from gridlight.core.views.common import submit, xlsx_response
from gridlight.core.views.imports import ImportPage, import_page
from gridlight.evaluation import access as eval_access
from gridlight.evaluation import forms as f
from gridlight.evaluation import imports, selectors, services
from gridlight.evaluation.models import (
    ActionItem,
    Assessment,
    Cadre,
    CycleYear,
    Event,
    EventKind,
    Round,
    RoundStatus,
    StreetBrand,
    StreetTask,
)
from gridlight.evaluation.views.common import DoneForm, post_inline, step, version_of


def _form_page(
    request: SignedInRequest,
    form: Any,
    action: Callable[[dict[str, Any]], Any],
    *,
    title: str,
    done: Callable[[Any], str],
    back: str = "",
    cycle: CycleYear | None = None,
    intro: str = "",
    multipart: bool = False,
) -> HttpResponse:
    """The one set-up form page: GET shows it, POST runs the service; on success a message
    and the ``done`` page, otherwise the form again with the service's message (4xx)."""
    result, status = submit(request, form, action)
    if result is not None:
        messages.success(request, _("Saved."))
        return redirect(done(result))
    context = {
        "form": form,
        "title": title,
        "back": back,
        "cycle": cycle,
        "intro": intro,
        "multipart": multipart,
    }
    return render(request, "evaluation/form.html", context, status=status)


def _streets(cycle: CycleYear, user: User, perm: Perm) -> QuerySet[Region]:
    """The year's streets within the user's scope for ``perm``."""
    return Region.objects.filter(
        scope_for(user, perm).q("path"), parent_id=cycle.district_id, level=RegionLevel.STREET
    ).order_by("sort_order", "path")


def judge_candidates(district_path: str) -> QuerySet[User]:
    """Users whose active assignment gives them the judge's permission over the district."""
    roles = [role for role, perms in ROLE_PERMS.items() if Perm.EVALUATION_JUDGE in perms]
    parts = district_path.split(".")
    above = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    ids = Assignment.objects.filter(active=True, role__in=roles, region_path__in=above).values(
        "user_id"
    )
    return User.objects.filter(pk__in=ids, is_active=True).order_by("username")


# --- the year -------------------------------------------------------------------------------


@access(Perm.EVALUATION_MANAGE)
def cycle_create(request: SignedInRequest) -> HttpResponse:
    districts = Region.objects.filter(
        scope_for(request.user, Perm.EVALUATION_MANAGE).q("path"), level=RegionLevel.DISTRICT
    ).order_by("path")
    form = f.CycleForm(request.POST or None, districts=districts)
    return _form_page(
        request,
        form,
        lambda d: services.cycle_create(
            actor=request.user,
            district=d["district"],
            year=d["year"],
            ranking_weights={k: d[k] for k in ("arenas", "assessment", "observation")},
            echelon_thresholds={k: d[k] for k in ("leading", "advanced")},
        ),
        title=_("New evaluation year"),
        done=lambda cycle: reverse("evaluation:setup", args=[cycle.pk]),
        back=reverse("evaluation:index"),
    )


@access(Perm.EVALUATION_MANAGE)
def cycle_setup(request: SignedInRequest, pk: int) -> HttpResponse:
    cycle = eval_access.get_managed(CycleYear.objects.select_related("district"), request.user, pk)
    events = cycle.events.order_by("held_on", "kind", "number")
    return render(
        request,
        "evaluation/setup.html",
        {
            "cycle": cycle,
            "events": events,
            "rounds": Round.objects.filter(event__cycle=cycle).select_related("event"),
            "assessments": Assessment.objects.filter(event__cycle=cycle),
            "tasks": StreetTask.objects.filter(cycle=cycle).count(),
            "brands": cycle.brands.count(),
        },
    )


@access(Perm.EVALUATION_MANAGE)
def cycle_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    cycle = eval_access.get_managed(CycleYear.objects.all(), request.user, pk)
    initial = {**cycle.ranking_weights, **cycle.echelon_thresholds, "version": cycle.version}
    form = f.CycleWeightsForm(request.POST or None, initial=initial)
    return _form_page(
        request,
        form,
        lambda d: services.cycle_update(
            actor=request.user,
            cycle=cycle,
            version=d["version"],
            ranking_weights={k: d[k] for k in ("arenas", "assessment", "observation")},
            echelon_thresholds={k: d[k] for k in ("leading", "advanced")},
        ),
        title=_("Annual ranking weights"),
        done=lambda c: reverse("evaluation:setup", args=[c.pk]),
        back=reverse("evaluation:setup", args=[cycle.pk]),
        cycle=cycle,
        intro=_("They take effect when the annual ranking is computed next."),
    )


@require_POST
@access(Perm.EVALUATION_MANAGE)
def cycle_plan(request: SignedInRequest, pk: int) -> HttpResponse:
    cycle = eval_access.get_managed(CycleYear.objects.all(), request.user, pk)
    step(
        request,
        lambda: services.cycle_plan(actor=request.user, cycle=cycle),
        _("The year's events are planned."),
    )
    return redirect("evaluation:setup", pk=cycle.pk)


@require_POST
@access(Perm.EVALUATION_MANAGE)
def standings_compute(request: SignedInRequest, pk: int) -> HttpResponse:
    cycle = eval_access.get_managed(CycleYear.objects.all(), request.user, pk)
    step(
        request,
        lambda: services.standings_compute(actor=request.user, cycle=cycle),
        _("The annual ranking and the echelon are computed."),
    )
    return redirect("evaluation:standings", pk=cycle.pk)


# --- events: meetings, the assessment, the observation's route ------------------------------


@access(Perm.EVALUATION_VIEW)
def event_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    event = eval_access.get_visible(
        Event.objects.select_related("cycle__district"), request.user, pk=pk
    )
    cycle = event.cycle
    manages = eval_access.manages(request.user, event.region_path)
    items = selectors.action_items(request.user, cycle).filter(event=event).order_by("due_on")
    attendance = scoped(
        event.attendance.select_related("street"), request.user, Perm.EVALUATION_VIEW
    )
    context: dict[str, Any] = {
        "event": event,
        "cycle": cycle,
        "manages": manages,
        "items": items,
        "attendance": attendance,
        "today": timezone.localdate(),
        "rounds": eval_access.rounds(request.user).filter(event=event),
        "assessment": Assessment.objects.filter(event=event).first(),
        "visits": scoped(
            event.site_visits.select_related("region", "position").prefetch_related("observers"),
            request.user,
            Perm.EVALUATION_VIEW,
        )
        if event.kind == EventKind.OBSERVATION
        else [],
    }
    if manages:
        streets = _streets(cycle, request.user, Perm.EVALUATION_MANAGE)
        context |= {
            "attendance_form": f.AttendanceForm(streets=streets),
            "action_form": f.ActionItemForm(streets=streets),
            "escalate_form": f.EscalateForm(),
            "assessment_form": f.AssessmentForm(),
        }
    return render(request, "evaluation/event.html", context)


@access(Perm.EVALUATION_MANAGE)
def event_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    event = eval_access.get_managed(Event.objects.select_related("cycle"), request.user, pk)
    initial = {k: getattr(event, k) for k in ("held_on", "agenda", "minutes", "version")}
    form = f.EventForm(request.POST or None, initial=initial)
    return _form_page(
        request,
        form,
        lambda d: services.event_update(
            actor=request.user,
            event=event,
            version=d["version"],
            held_on=d["held_on"],
            agenda=d["agenda"],
            minutes=d["minutes"],
        ),
        title=str(event.title),
        done=lambda e: reverse("evaluation:event", args=[e.pk]),
        back=reverse("evaluation:event", args=[event.pk]),
        cycle=event.cycle,
    )


@require_POST
@access(Perm.EVALUATION_MANAGE)
def attendance_record(request: SignedInRequest, pk: int) -> HttpResponse:
    event = eval_access.get_managed(Event.objects.select_related("cycle"), request.user, pk)
    form = f.AttendanceForm(
        request.POST, streets=_streets(event.cycle, request.user, Perm.EVALUATION_MANAGE)
    )
    return post_inline(
        request,
        form,
        lambda d: services.attendance_record(
            actor=request.user,
            event=event,
            street=d["street"],
            status=d["status"],
            attendee=d["attendee"],
        ),
        reverse("evaluation:event", args=[event.pk]),
    )


@require_POST
@access(Perm.EVALUATION_MANAGE)
def action_add(request: SignedInRequest, pk: int) -> HttpResponse:
    event = eval_access.get_managed(Event.objects.select_related("cycle"), request.user, pk)
    form = f.ActionItemForm(
        request.POST, streets=_streets(event.cycle, request.user, Perm.EVALUATION_MANAGE)
    )
    return post_inline(
        request,
        form,
        lambda d: services.action_item_create(
            actor=request.user,
            event=event,
            street=d["street"],
            title=d["title"],
            workdays=d["workdays"],
            owner_name=d["owner_name"],
        ),
        reverse("evaluation:event", args=[event.pk]),
    )


@require_POST
@access(Perm.EVALUATION_MANAGE)
def action_escalate(request: SignedInRequest, pk: int) -> HttpResponse:
    item = eval_access.get_managed(
        ActionItem.objects.select_related("event", "street"), request.user, pk
    )
    return post_inline(
        request,
        f.EscalateForm(request.POST),
        lambda d: services.action_item_escalate(
            actor=request.user, item=item, version=d["version"], category=d["category"]
        ),
        reverse("evaluation:event", args=[item.event_id]),
        _("Raised as a ticket."),
    )


@require_POST
@access(Perm.EVALUATION_MANAGE)
def assessment_create(request: SignedInRequest, pk: int) -> HttpResponse:
    event = eval_access.get_managed(Event.objects.select_related("cycle"), request.user, pk)
    return post_inline(
        request,
        f.AssessmentForm(request.POST),
        lambda d: services.assessment_create(
            actor=request.user,
            event=event,
            period_start=d["period_start"],
            period_end=d["period_end"],
        ),
        reverse("evaluation:event", args=[event.pk]),
    )


@require_POST
@access(Perm.EVALUATION_MANAGE)
def assessment_compute(request: SignedInRequest, pk: int) -> HttpResponse:
    row = eval_access.get_managed(Assessment.objects.all(), request.user, pk)
    step(
        request,
        lambda: services.assessment_compute(
            actor=request.user, assessment_=row, version=version_of(request)
        ),
        _("The assessment is computed from the live records."),
    )
    return redirect("evaluation:assessment", pk=row.pk)


def _regions_by_code(codes: list[str], district: Region) -> list[Region]:
    found = {
        r.code: r
        for r in Region.objects.filter(code__in=codes, path__startswith=district.path + ".")
    }
    missing = [c for c in codes if c not in found]
    if missing:
        raise DomainError(
            _("No region of this district has the code %(c)s.") % {"c": ", ".join(missing)}
        )
    return [found[c] for c in codes]


@access(Perm.EVALUATION_MANAGE)
def route_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    event = eval_access.get_managed(
        Event.objects.select_related("cycle__district"), request.user, pk
    )
    if event.kind != EventKind.OBSERVATION:
        raise Http404
    candidates = judge_candidates(event.region_path)
    form = f.RouteForm(request.POST or None, candidates=candidates)

    def schedule(d: dict[str, Any]) -> Any:
        stops = _regions_by_code(d["stops"], event.cycle.district)
        positions = {
            p.region_id: p for p in ServicePosition.objects.filter(region__in=stops).order_by("-pk")
        }
        return services.site_visits_schedule(
            actor=request.user,
            event=event,
            stops=[(r, positions.get(r.pk)) for r in stops],
            start=d["starts_at"],
            minutes=d["minutes"],
            observers=list(d["observers"]),
        )

    return _form_page(
        request,
        form,
        schedule,
        title=_("The observation's route"),
        done=lambda _v: reverse("evaluation:event", args=[event.pk]),
        back=reverse("evaluation:event", args=[event.pk]),
        cycle=event.cycle,
        intro=_("Scheduling again replaces the route; each stop gets the next time slot."),
    )


# --- judged rounds ----------------------------------------------------------------------------


@access(Perm.EVALUATION_MANAGE)
def round_create(request: SignedInRequest, pk: int) -> HttpResponse:
    event = eval_access.get_managed(
        Event.objects.select_related("cycle__district"), request.user, pk
    )
    if event.kind not in (EventKind.ARENA, EventKind.OBSERVATION):
        raise Http404
    form = f.RoundForm(request.POST or None, initial={"title": event.title})

    def create(d: dict[str, Any]) -> Round:
        district = event.cycle.district
        if d["entrants"]:
            entrants = _regions_by_code(d["entrants"], district)
        else:
            entrants = list(
                Region.objects.filter(
                    path__startswith=district.path + ".", level=d["level"]
                ).order_by("path")
            )
        return services.round_create(
            actor=request.user,
            event=event,
            title=d["title"],
            criteria=d["criteria"],
            entrants=entrants,
            level=d["level"],
            trim=d["trim"],
            trim_min=d["trim_min"],
            deviation_z=d["deviation_z"],
        )

    return _form_page(
        request,
        form,
        create,
        title=_("New judged round"),
        done=lambda r: reverse("evaluation:round_panel", args=[r.pk]),
        back=reverse("evaluation:event", args=[event.pk]),
        cycle=event.cycle,
    )


@access(Perm.EVALUATION_MANAGE)
def round_panel(request: SignedInRequest, pk: int) -> HttpResponse:
    round_ = eval_access.get_managed(Round.objects.select_related("event__cycle"), request.user, pk)
    judges = round_.judges.select_related("user").prefetch_related("recusals__entrant__region")
    return render(
        request,
        "evaluation/panel.html",
        {
            "round": round_,
            "cycle": round_.event.cycle,
            "criteria": round_.criteria.all(),
            "entrants": round_.entrants.select_related("region"),
            "judges": judges,
            "open": round_.status == RoundStatus.OPEN,
            "judge_form": f.JudgeForm(candidates=judge_candidates(round_.region_path)),
            "conflict_form": f.ConflictForm(round_=round_),
        },
    )


@require_POST
@access(Perm.EVALUATION_MANAGE)
def judge_appoint(request: SignedInRequest, pk: int) -> HttpResponse:
    round_ = eval_access.get_managed(Round.objects.all(), request.user, pk)
    return post_inline(
        request,
        f.JudgeForm(request.POST, candidates=judge_candidates(round_.region_path)),
        lambda d: services.judge_appoint(actor=request.user, round_=round_, user=d["user"]),
        reverse("evaluation:round_panel", args=[round_.pk]),
    )


@require_POST
@access(Perm.EVALUATION_MANAGE)
def conflict_declare(request: SignedInRequest, pk: int) -> HttpResponse:
    round_ = eval_access.get_managed(Round.objects.all(), request.user, pk)
    return post_inline(
        request,
        f.ConflictForm(request.POST, round_=round_),
        lambda d: services.conflict_declare(
            actor=request.user, judge=d["judge"], entrant=d["entrant"], reason=d["reason"]
        ),
        reverse("evaluation:round_panel", args=[round_.pk]),
    )


# --- 一街一品: a street's own entry and milestones -----------------------------------------------


@access(Perm.EVALUATION_REPORT)
def brand_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    cycle = eval_access.get_visible(CycleYear.objects.all(), request.user, pk=pk)
    streets = _streets(cycle, request.user, Perm.EVALUATION_REPORT)
    if not streets.exists():
        raise PermissionDenied
    existing = None
    street_id = request.GET.get("street") or request.POST.get("street")
    if street_id and street_id.isdigit():
        existing = StreetBrand.objects.filter(
            cycle=cycle, street__in=streets, street_id=int(street_id)
        ).first()
    initial: dict[str, Any] = {}
    if existing is not None:
        initial = {
            k: getattr(existing, k) for k in ("project", "brand", "focus_area", "goals", "version")
        } | {"street": existing.street_id}
    elif len(streets) == 1:
        initial = {"street": streets[0].pk}
    form = f.BrandForm(request.POST or None, streets=streets, initial=initial)
    return _form_page(
        request,
        form,
        lambda d: services.brand_save(
            actor=request.user,
            cycle=cycle,
            street=d["street"],
            project=d["project"],
            brand=d["brand"],
            focus_area=d["focus_area"],
            goals=d["goals"],
            version=d["version"],
        ),
        title=_("One street, one brand: the entry"),
        done=lambda b: reverse("evaluation:brand", args=[b.pk]),
        back=reverse("evaluation:board", args=[cycle.pk]),
        cycle=cycle,
    )


@require_POST
@access(Perm.EVALUATION_REPORT)
def milestone_add(request: SignedInRequest, pk: int) -> HttpResponse:
    brand = eval_access.get_reported(StreetBrand.objects.select_related("cycle"), request.user, pk)
    return post_inline(
        request,
        f.MilestoneForm(request.POST),
        lambda d: services.milestone_add(
            actor=request.user,
            brand=brand,
            title=d["title"],
            planned_on=d["planned_on"],
            weight=d["weight"],
        ),
        reverse("evaluation:brand", args=[brand.pk]),
    )


# --- the streets' evaluation tasks ---------------------------------------------------------


@access(Perm.EVALUATION_VIEW)
def tasks(request: SignedInRequest, pk: int) -> HttpResponse:
    cycle = eval_access.get_visible(CycleYear.objects.all(), request.user, pk=pk)
    rows = scoped(
        StreetTask.objects.filter(cycle=cycle).select_related("street"),
        request.user,
        Perm.EVALUATION_VIEW,
    ).order_by("region_path", "pk")
    manages = eval_access.manages(request.user, cycle.region_path)
    form = None
    if manages:
        form = f.TasksForm(streets=_streets(cycle, request.user, Perm.EVALUATION_MANAGE))
    report = scope_for(request.user, Perm.EVALUATION_REPORT)
    return render(
        request,
        "evaluation/tasks.html",
        {
            "cycle": cycle,
            "rows": [(t, report.contains(t.region_path)) for t in rows],
            "manages": manages,
            "form": form,
            "today": timezone.localdate(),
        },
    )


@require_POST
@access(Perm.EVALUATION_MANAGE)
def tasks_set(request: SignedInRequest, pk: int) -> HttpResponse:
    cycle = eval_access.get_managed(CycleYear.objects.all(), request.user, pk)
    return post_inline(
        request,
        f.TasksForm(request.POST, streets=_streets(cycle, request.user, Perm.EVALUATION_MANAGE)),
        lambda d: services.tasks_set(
            actor=request.user, cycle=cycle, street=d["street"], tasks=d["tasks"]
        ),
        reverse("evaluation:tasks", args=[cycle.pk]),
        _("Saved."),
    )


@require_POST
@access(Perm.EVALUATION_REPORT)
def task_done(request: SignedInRequest, pk: int) -> HttpResponse:
    task = eval_access.get_reported(StreetTask.objects.select_related("cycle"), request.user, pk)
    return post_inline(
        request,
        DoneForm(request.POST),
        lambda d: services.task_done(
            actor=request.user, task=task, version=d["version"], done_on=d["done_on"]
        ),
        reverse("evaluation:tasks", args=[task.cycle_id]),
    )


# --- cadres and position inspections --------------------------------------------------------


@access(Perm.EVALUATION_REPORT)
def cadre_create(request: SignedInRequest) -> HttpResponse:
    communities = Region.objects.filter(
        scope_for(request.user, Perm.EVALUATION_REPORT).q("path"), level=RegionLevel.COMMUNITY
    ).order_by("path")
    form = f.CadreForm(request.POST or None, communities=communities)
    return _form_page(
        request,
        form,
        lambda d: services.cadre_create(
            actor=request.user, region=d["region"], kind=d["kind"], name=d["name"], post=d["post"]
        ),
        title=_("New cadre"),
        done=lambda c: reverse("evaluation:cadre", args=[c.pk]),
        back=reverse("evaluation:cadres"),
    )


@access(Perm.EVALUATION_REPORT)
def participation_add(request: SignedInRequest, pk: int) -> HttpResponse:
    cadre = eval_access.get_reported(Cadre.objects.all(), request.user, pk)
    form = f.ParticipationForm(request.POST or None)
    return _form_page(
        request,
        form,
        lambda d: services.participation_add(
            actor=request.user,
            cadre=cadre,
            measure=d["measure"],
            started_on=d["started_on"],
            ended_on=d["ended_on"],
            unit=d["unit"],
            hours=d["hours"],
            note=d["note"],
        ),
        title=_("%(name)s: a measure taken part in") % {"name": cadre.name},
        done=lambda _p: reverse("evaluation:cadre", args=[cadre.pk]),
        back=reverse("evaluation:cadre", args=[cadre.pk]),
    )


@access(Perm.EVALUATION_MANAGE)
def inspection_create(request: SignedInRequest) -> HttpResponse:
    positions = scoped(
        ServicePosition.objects.select_related("region"), request.user, Perm.EVALUATION_MANAGE
    )
    form = f.InspectionForm(
        request.POST or None,
        positions=positions,
        search_url=reverse("evaluation:position_search"),
    )
    return _form_page(
        request,
        form,
        lambda d: services.inspection_record(
            actor=request.user,
            position=d["position"],
            inspected_on=d["inspected_on"],
            failed=d["failed"],
            deadline_workdays=d["deadline_workdays"],
            note=d["note"],
        ),
        title=_("Record an inspection"),
        done=lambda _i: reverse("evaluation:positions"),
        back=reverse("evaluation:positions"),
        intro=_("Each failed item opens a rectification due in the working days given."),
    )


@access(Perm.EVALUATION_MANAGE)
def position_search(request: SignedInRequest) -> HttpResponse:
    """The inspection form's position list for what was typed (htmx): options only."""
    rows = selectors.positions_to_inspect(request.user, request.GET.get("position_q", ""))
    n = selectors.POSITION_MATCHES
    context = {
        "options": [(p.pk, f.position_label(p)) for p in rows[:n]],
        "more": n if len(rows) > n else 0,
    }
    return render(request, "evaluation/_position_options.html", context)


# --- the tasks' Excel import (the one import page) -------------------------------------------


def _run_task_import(user: User, upload: UploadedFile) -> str:
    result = imports.import_tasks(actor=user, upload=upload, filename=upload.name or "")
    return _("Import finished: %(c)s created, %(u)s updated, %(n)s unchanged.") % {
        "c": result.created,
        "u": result.updated,
        "n": result.unchanged,
    }


TASK_IMPORT = ImportPage(
    key="evaluation_tasks",
    title=gettext_lazy("Import evaluation tasks"),
    template_url="evaluation:tasks_template",
    done_url="evaluation:index",
    run=_run_task_import,
)


@access(Perm.EVALUATION_MANAGE)
def tasks_import(request: SignedInRequest) -> HttpResponse:
    return import_page(request, TASK_IMPORT)


@access(Perm.EVALUATION_MANAGE)
def tasks_template(request: SignedInRequest) -> HttpResponse:
    example = [[c.example for c in imports.COLUMNS]]
    content = write_workbook(
        imports.SHEET, imports.COLUMNS, example, notes=template_notes(imports.COLUMNS)
    )
    return xlsx_response(content, "evaluation-tasks-template.xlsx")


# --- a round's paper score sheets, imported by its secretary ---------------------------------


def _sheet_import_page(round_: Round) -> ImportPage:
    def run(user: User, upload: UploadedFile) -> str:
        result = imports.import_sheets(
            actor=user, round_=round_, upload=upload, filename=upload.name or ""
        )
        return _("Import finished: %(c)s sheets imported and sealed, %(n)s unchanged.") % {
            "c": result.created,
            "n": result.unchanged,
        }

    return ImportPage(
        key=f"evaluation_sheets_{round_.pk}",
        title=_("%(round)s: import paper score sheets") % {"round": round_.title},
        template_url="evaluation:sheets_template",
        done_url="evaluation:round_panel",
        run=run,
        url_args=(round_.pk,),
        intro=_(
            "One row per paper sheet: the judge's scores for one entrant, a column per "
            "criterion. The template lists every judge with every entrant they may score; "
            "fill in the scores of the sheets handed in and leave the other rows blank. The "
            "whole file is checked as the judges' own entry checks a sheet (round open, no "
            "recused entrant, scores within range, one sheet per judge and entrant); if any "
            "row is wrong nothing is imported. Imported sheets are confirmed and sealed until "
            "the round closes, marked as imported by you on the judge's behalf. Importing the "
            "same file again changes nothing."
        ),
    )


@access(Perm.EVALUATION_MANAGE)
def sheets_import(request: SignedInRequest, pk: int) -> HttpResponse:
    round_ = eval_access.get_managed(Round.objects.all(), request.user, pk)
    return import_page(request, _sheet_import_page(round_))


@access(Perm.EVALUATION_MANAGE)
def sheets_template(request: SignedInRequest, pk: int) -> HttpResponse:
    round_ = eval_access.get_managed(Round.objects.all(), request.user, pk)
    columns = imports.sheet_columns(round_)
    rows = imports.sheet_template_rows(round_)
    content = write_workbook(imports.SHEETS_SHEET, columns, rows, notes=template_notes(columns))
    return xlsx_response(content, f"score-sheets-round-{round_.pk}.xlsx")
