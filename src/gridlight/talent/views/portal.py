"""The phone-first portal of talents and enterprises: my commissioner, my problems and their
progress (as the public see a ticket: ``tickets.disclosure``), raising a problem, my profile and
its self-correction. Every page answers 404 to anyone without a talent profile or an enterprise
of its own, and shows only that record's data."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gridlight.core.access import SignedInRequest, access
from gridlight.core.errors import DomainError
from gridlight.core.params import parse_id
from gridlight.core.views.common import paginate, query_without_page, submit
from gridlight.talent import portal, problems, services
from gridlight.talent.models import Enterprise, Talent
from gridlight.talent.portal_forms import (
    ChildFormSet,
    EnterpriseCorrectionForm,
    RaiseForm,
    TalentCorrectionForm,
)
from gridlight.talent.views.common import show_error, submit_checked
from gridlight.tickets import disclosure
from gridlight.tickets.models import OPEN_STATUSES


def _record(request: SignedInRequest) -> Talent | Enterprise:
    record = portal.portal_record(request.user)
    if record is None:
        raise Http404
    return record


def _subject(record: Talent | Enterprise) -> dict[str, Any]:
    is_talent = isinstance(record, Talent)
    return {
        "talent": record if is_talent else None,
        "enterprise": None if is_talent else record,
    }


@access()
def home(request: SignedInRequest) -> HttpResponse:
    record = _record(request)
    mine = portal.my_problems(request.user)
    recent = [(p, disclosure.for_viewer(p.ticket, request.user)) for p in mine[:3]]
    return render(
        request,
        "talent/portal/home.html",
        {
            "record": record,
            "is_talent": isinstance(record, Talent),
            "commissioner": portal.commissioner_of(record),
            "open_count": mine.filter(ticket__status__in=OPEN_STATUSES).count(),
            "solved_count": problems.solved_problems(request.user).count(),
            "recent": recent,
        },
    )


@access()
def my_problems(request: SignedInRequest) -> HttpResponse:
    _record(request)
    page = paginate(request, portal.my_problems(request.user), size=20)
    rows = [(p, disclosure.for_viewer(p.ticket, request.user)) for p in page]
    return render(
        request,
        "talent/portal/problems.html",
        {"page": page, "rows": rows, "query": query_without_page(request)},
    )


@access()
def problem_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    _record(request)
    number = parse_id(pk)
    problem = (
        portal.my_problems(request.user).filter(pk=number).first() if number is not None else None
    )
    if problem is None:
        raise Http404
    ticket = problem.ticket
    return render(
        request,
        "talent/portal/problem.html",
        {
            "problem": problem,
            "t": disclosure.for_viewer(ticket, request.user),
            "timeline": disclosure.timeline(ticket, request.user),
        },
    )


@access()
def problem_new(request: SignedInRequest) -> HttpResponse:
    record = _record(request)
    form = RaiseForm(request.POST or None)
    problem, status = submit(
        request,
        form,
        lambda d: problems.raise_problem(
            actor=request.user,
            **_subject(record),
            category=d["category"],
            title=d["title"],
            description=d["description"],
        ),
    )
    if problem is not None:
        messages.success(request, _("Your problem was raised; your commissioner follows it."))
        return redirect("talent_portal:problem", problem.pk)
    return render(
        request,
        "talent/portal/raise.html",
        {"form": form, "commissioner": portal.commissioner_of(record)},
        status=status,
    )


@access()
def profile(request: SignedInRequest) -> HttpResponse:
    record = _record(request)
    context: dict[str, Any] = {"record": record, "is_talent": isinstance(record, Talent)}
    if isinstance(record, Talent):
        context["shown"] = portal.shown_talent(record)
    return render(request, "talent/portal/profile.html", context)


def _children(formset: Any) -> list[services.ChildInput]:
    kept = []
    for f in formset.forms:
        d = f.cleaned_data
        if not d or d.get("DELETE") or d.get("birth_date") is None:
            continue
        kept.append(services.ChildInput(name=d.get("name") or "", birth_date=d["birth_date"]))
    return kept


@access()
def profile_edit(request: SignedInRequest) -> HttpResponse:
    record = _record(request)
    if isinstance(record, Enterprise):
        return _enterprise_edit(request, record)
    initial_children = [
        {"name": c.name, "birth_date": c.birth_date}
        for c in record.children.order_by("birth_date", "pk")
    ]
    form = TalentCorrectionForm(
        request.POST or None,
        initial={
            "version": record.version,
            "spouse_employment": record.spouse_employment,
            "housing": record.housing,
        },
    )
    formset = ChildFormSet(request.POST or None, initial=initial_children, prefix="child")
    status = 200
    if request.method == "POST":
        if not (form.is_valid() and formset.is_valid()):
            status = 400
        else:
            d = form.cleaned_data
            try:
                portal.talent_self_correct(
                    actor=request.user,
                    talent=record,
                    version=d["version"],
                    phone=d["phone"],
                    spouse_employment=d["spouse_employment"],
                    housing=d["housing"],
                    children=_children(formset),
                )
            except DomainError as exc:
                status = show_error(form, exc)
            else:
                messages.success(request, _("Your profile was updated."))
                return redirect("talent_portal:profile")
    return render(
        request,
        "talent/portal/profile_edit.html",
        {"form": form, "formset": formset, "is_talent": True},
        status=status,
    )


def _enterprise_edit(request: SignedInRequest, enterprise: Enterprise) -> HttpResponse:
    form = EnterpriseCorrectionForm(
        request.POST or None,
        initial={
            "version": enterprise.version,
            "address": enterprise.address,
            "headcount": enterprise.headcount,
        },
    )
    done, status = submit_checked(
        request,
        form,
        lambda d: portal.enterprise_self_correct(
            actor=request.user,
            enterprise=enterprise,
            version=d["version"],
            address=d["address"],
            headcount=d["headcount"],
        ),
    )
    if done is not None:
        messages.success(request, _("Your enterprise's record was updated."))
        return redirect("talent_portal:profile")
    return render(
        request,
        "talent/portal/profile_edit.html",
        {"form": form, "is_talent": False},
        status=status,
    )
