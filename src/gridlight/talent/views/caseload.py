"""The commissioners' pages: a caseload as a worklist of contacts due, recording a contact,
assigning and handing over, the workload across commissioners, the cadence and a desk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridlight.core.access import Perm, SignedInRequest, access, roles
from gridlight.core.errors import DomainError
from gridlight.core.models import Role
from gridlight.talent import caseload as services
from gridlight.talent import caseload_selectors as selectors
from gridlight.talent.access import get_enterprise, get_talent
from gridlight.talent.caseload_forms import (
    AssignForm,
    CadenceForm,
    ContactForm,
    DeskForm,
    HandoverForm,
)
from gridlight.talent.models import CommissionerProfile, ContactKind, Enterprise, Talent

# Rows per section and page: three sections of 20 (150 rows were most of the page's time).
PAGE = 20
SECTION_LABELS = {
    "overdue": gettext_lazy("Overdue"),
    "soon": gettext_lazy("Due within two weeks"),
    "later": gettext_lazy("Later"),
}


def optional_url(name: str, *args: Any) -> str:
    """The URL of a page another part of the app may provide (profiles, problems), or ''."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _subject(request: SignedInRequest, kind: str, pk: int) -> Talent | Enterprise:
    return get_talent(request.user, pk) if kind == "talent" else get_enterprise(request.user, pk)


@access(Perm.TALENT_VIEW)
def my_caseload(request: SignedInRequest) -> HttpResponse:
    """A commissioner's own caseload; the district goes to the workload across commissioners."""
    if Role.TALENT_COMMISSIONER in roles(request.user):
        return redirect("caseload:commissioner", request.user.pk)
    if selectors.may_arrange(request.user):
        return redirect("caseload:workload")
    raise PermissionDenied


@dataclass
class Section:
    name: str
    label: str
    page: Page[Any]
    query: str


@access(Perm.TALENT_VIEW)
def commissioner_caseload(request: SignedInRequest, pk: int) -> HttpResponse:
    """Who the commissioner has not contacted: overdue first (most overdue on top), then due
    within two weeks, then the rest; counts by level; the district may reassign from here."""
    commissioner = selectors.get_commissioner(request.user, pk)
    today = timezone.localdate()
    load = selectors.load_of(request.user, commissioner, today=today)
    sections = []
    # Each row's link: reversed once per kind with a placeholder id (150 reverse() calls a page
    # were most of its rendering time at 100,000 talents).
    urls = {
        kind: reverse(f"caseload:{kind}_contact", args=[0]) for kind in ("talent", "enterprise")
    }
    for name, label in SECTION_LABELS.items():
        qs = selectors.caseload_section(request.user, commissioner, name, today=today, load=load)
        # A merged sequence of two tables, not a queryset: the paginator slices it.
        page: Page[Any] = Paginator(cast(Any, qs), PAGE).get_page(request.GET.get(f"{name}-page"))
        page.object_list = selectors.case_items(page.object_list, today)
        for item in page.object_list:
            item.url = urls[item.kind].replace("/0/contact/", f"/{item.pk}/contact/")  # type: ignore[attr-defined]
        others = request.GET.copy()
        others.pop(f"{name}-page", None)
        sections.append(Section(name, str(label), page, others.urlencode()))
    arrange = selectors.may_arrange(request.user)
    return render(
        request,
        "talent/caseload/caseload.html",
        {
            "commissioner": commissioner,
            "profile": CommissionerProfile.objects.filter(user_id=commissioner.pk).first(),
            "load": load,
            "sections": sections,
            "today": today,
            "arrange": arrange,
            "choices": selectors.commissioner_choices(request.user) if arrange else [],
        },
    )


@access(Perm.TALENT_VIEW)
def contact(request: SignedInRequest, kind: str, pk: int) -> HttpResponse:
    """A talent's or a key enterprise's service log, and a contact recorded by its
    commissioner (or the district)."""
    subject = _subject(request, kind, pk)
    form = ContactForm(request.POST or None, initial={"on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.contact_record(
                    actor=request.user,
                    talent=subject if isinstance(subject, Talent) else None,
                    enterprise=subject if isinstance(subject, Enterprise) else None,
                    kind=form.cleaned_data["kind"],
                    on=form.cleaned_data["on"],
                    notes=form.cleaned_data["notes"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Contact recorded."))
                if subject.commissioner_id:
                    return redirect("caseload:commissioner", subject.commissioner_id)
                return redirect(f"caseload:{kind}_contact", pk)
    log = selectors.service_log(request.user, **{f"{kind}_id": subject.pk}).select_related(
        "ticket"
    )[:50]
    raise_url = optional_url("talent:problem_raise")
    return render(
        request,
        "talent/caseload/contact.html",
        {
            "subject": subject,
            "kind": kind,
            "form": form,
            "log": log,
            "problem_kind": ContactKind.PROBLEM,
            "raise_url": f"{raise_url}?{kind}={subject.pk}" if raise_url else "",
            "detail_url": optional_url(f"talent:{kind}_detail", subject.pk),
            "arrange": selectors.may_arrange(request.user),
        },
        status=status,
    )


@access(Perm.TALENT_ASSIGN)
def assign(request: SignedInRequest, kind: str, pk: int) -> HttpResponse:
    """Make a commissioner (active, serving the record's street) responsible for a talent or
    a key enterprise."""
    subject = _subject(request, kind, pk)
    services.require_district(request.user, subject.region_path)
    choices = selectors.commissioner_choices(request.user, subject.region_path)
    form = AssignForm(
        request.POST or None,
        choices=choices,
        initial={"version": subject.version, "commissioner": subject.commissioner_id},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            chosen = next(u for u in choices if u.pk == form.cleaned_data["commissioner"])
            version = form.cleaned_data["version"]
            try:
                if isinstance(subject, Talent):
                    services.caseload_assign_talent(
                        actor=request.user, talent=subject, version=version, commissioner=chosen
                    )
                else:
                    services.caseload_assign_enterprise(
                        actor=request.user,
                        enterprise=subject,
                        version=version,
                        commissioner=chosen,
                    )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Commissioner assigned."))
                return redirect("caseload:commissioner", chosen.pk)
    return render(
        request,
        "talent/caseload/assign.html",
        {"subject": subject, "kind": kind, "form": form},
        status=status,
    )


@access(Perm.TALENT_ASSIGN)
def handover(request: SignedInRequest, pk: int) -> HttpResponse:
    """A leaving commissioner's whole caseload to another in one step."""
    leaver = selectors.get_commissioner(request.user, pk)
    profile = CommissionerProfile.objects.filter(user_id=leaver.pk).first()
    choices = [u for u in selectors.commissioner_choices(request.user) if u.pk != leaver.pk]
    form = HandoverForm(
        request.POST or None,
        choices=choices,
        initial={"version": profile.version if profile else 0},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            successor = next(u for u in choices if u.pk == form.cleaned_data["commissioner"])
            try:
                done = services.caseload_handover(
                    actor=request.user,
                    leaver=leaver,
                    version=form.cleaned_data["version"],
                    successor=successor,
                    deactivate=form.cleaned_data["deactivate"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(
                    request,
                    _("%(talents)d talents and %(enterprises)d enterprises handed over.")
                    % {"talents": done.talents, "enterprises": done.enterprises},
                )
                return redirect("caseload:commissioner", successor.pk)
    today = timezone.localdate()
    return render(
        request,
        "talent/caseload/handover.html",
        {
            "leaver": leaver,
            "load": selectors.load_of(request.user, leaver, today=today),
            "form": form,
        },
        status=status,
    )


@require_POST
@access(Perm.TALENT_ASSIGN)
def reassign(request: SignedInRequest, pk: int) -> HttpResponse:
    """The records ticked on a caseload page (``pick`` = ``talent:<id>:<version>`` or
    ``enterprise:<id>:<version>``) to another commissioner, in one step."""
    current = selectors.get_commissioner(request.user, pk)
    choices = selectors.commissioner_choices(request.user)
    target = next((u for u in choices if str(u.pk) == request.POST.get("commissioner")), None)
    picks: dict[str, list[services.Pick]] = {"talent": [], "enterprise": []}
    for raw in request.POST.getlist("pick"):
        kind, _sep, rest = raw.partition(":")
        pk_text, _sep, version = rest.partition(":")
        if kind in picks and pk_text.isdigit() and version.isdigit():
            picks[kind].append(services.Pick(int(pk_text), int(version)))
    if target is None or not (picks["talent"] or picks["enterprise"]):
        messages.error(request, _("Tick the records and choose the commissioner to take them."))
        return redirect("caseload:commissioner", current.pk)
    try:
        moved = services.caseload_reassign(
            actor=request.user,
            commissioner=target,
            talents=picks["talent"],
            enterprises=picks["enterprise"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("caseload:commissioner", current.pk)
    messages.success(request, _("%(n)d records reassigned.") % {"n": moved})
    return redirect("caseload:commissioner", current.pk)


@access(Perm.TALENT_ASSIGN)
def workload(request: SignedInRequest) -> HttpResponse:
    """Cases per commissioner by level, overdue contacts and contacts this month, with the
    district's talent figures counted from the records."""
    today = timezone.localdate()
    w = selectors.workload(request.user, today=today)
    chart = {
        "names": [str(load.commissioner) for load in w.loads],
        "levels": {level: [load.by_level.get(level, 0) for load in w.loads] for level in "ABCDE"},
        "enterprises": [load.enterprises for load in w.loads],
        "overdue": [load.overdue for load in w.loads],
    }
    return render(
        request,
        "talent/caseload/workload.html",
        {
            "workload": w,
            "figures": selectors.figures(request.user),
            "chart": chart,
            "today": today,
            "levels": "ABCDE",
        },
    )


@access(Perm.TALENT_VIEW)
def cadence(request: SignedInRequest) -> HttpResponse:
    """The contact cadence by talent level; the district changes it here, and every due date
    of the level moves with it."""
    try:
        services.require_cadence_scope(request.user)
        may_edit = True
    except PermissionDenied:
        may_edit = False
    form = CadenceForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        status = 400
        if form.is_valid():
            try:
                moved = services.cadence_update(
                    actor=request.user,
                    level=form.cleaned_data["level"] or "",
                    days=form.cleaned_data["days"],
                    version_days=form.cleaned_data["seen"],
                )
            except DomainError as exc:
                messages.error(request, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Saved: %(n)d due dates recomputed.") % {"n": moved})
                return redirect("caseload:cadence")
        else:
            messages.error(request, _("Contacts are 7 to 366 days apart."))
    return render(
        request,
        "talent/caseload/cadence.html",
        {"cadences": selectors.cadences(), "may_edit": may_edit},
        status=status,
    )


@access(Perm.TALENT_VIEW)
def desk(request: SignedInRequest, pk: int) -> HttpResponse:
    """A commissioner's desk: the office phone its talents see, and whether it takes cases."""
    commissioner = selectors.get_commissioner(request.user, pk)
    profile = CommissionerProfile.objects.filter(user_id=commissioner.pk).first()
    form = DeskForm(
        request.POST or None,
        initial={
            "office_phone": profile.office_phone if profile else "",
            "active": profile.active if profile else True,
            "version": profile.version if profile else 1,
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            if not selectors.may_arrange(request.user):
                # The commissioner edits its phone; whether it takes cases is the district's.
                data["active"] = profile.active if profile else True
            try:
                services.commissioner_update(actor=request.user, commissioner=commissioner, **data)
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Saved."))
                return redirect("caseload:desk", commissioner.pk)
    return render(
        request,
        "talent/caseload/desk.html",
        {
            "commissioner": commissioner,
            "profile": profile,
            "form": form,
            "arrange": selectors.may_arrange(request.user),
        },
        status=status,
    )
