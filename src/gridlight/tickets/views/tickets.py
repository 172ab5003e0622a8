"""Ticket pages: raising one, the list, one ticket with its timeline and the steps its viewer may
take, attachments and the in-app inbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridlight.core import exports
from gridlight.core.access import (
    Perm,
    SignedInRequest,
    Viewer,
    access,
    has_perm,
    is_public_user,
    scope_for,
)
from gridlight.core.crypto import decrypt, mask_phone
from gridlight.core.errors import DomainError
from gridlight.core.models import Region, RegionLevel, User
from gridlight.core.params import parse_id
from gridlight.core.selectors import region_by_code
from gridlight.core.spreadsheets import Column
from gridlight.core.uploads import MAX_BYTES, MAX_FILES, Upload
from gridlight.core.views.common import paginate, query_without_page, submit
from gridlight.tickets import access as ticket_access
from gridlight.tickets import deadlines, disclosure, notify, selectors, services, steps
from gridlight.tickets.forms import ActionForm, IntakeForm, TicketFilterForm, grid_choices
from gridlight.tickets.models import (
    OPEN_STATUSES,
    Attachment,
    Category,
    Ticket,
    open_work,
)


# Steps in the order their forms appear on a ticket page, with the fields each one shows.
def district_of(user: Viewer) -> Region | None:
    """The district whose communities the intake form lists: a staff member's own; for residents
    and talents (who hold no region) the first district of the installation."""
    scope = scope_for(user, Perm.TICKET_CREATE)
    districts = Region.objects.filter(level=RegionLevel.DISTRICT).order_by("path")
    if scope.empty:
        return districts.first()
    return districts.filter(path=scope.paths[0].split(".")[0]).first()


def _region_for(request: HttpRequest, data: dict[str, Any]) -> Region | None:
    """The place picked on the form: a grid code (staff), a grid of the chosen community, or
    the community; None when nothing was picked (the service then locates the problem from
    the coordinates or the address)."""
    code = (data.get("region_code") or "").strip()
    if code:
        region = region_by_code(request.user, Perm.TICKET_CREATE, code)
        if region is None:
            raise DomainError(_("No region with this code in your scope."))
        return region
    community = data.get("region") or ""
    grid = data.get("grid") or ""
    if grid:
        return Region.objects.filter(
            code=grid, level=RegionLevel.GRID, parent__code=community
        ).first()
    if community:
        return Region.objects.filter(code=community, level=RegionLevel.COMMUNITY).first()
    return None


@access()
def grid_options(request: SignedInRequest) -> HttpResponse:
    """The grids of the chosen community, as the options of the intake form's grid select."""
    grids = grid_choices(request.GET.get("region", "").strip())
    return render(request, "tickets/_grid_options.html", {"grids": grids})


@access()
def ticket_new(request: SignedInRequest) -> HttpResponse:
    public_user = is_public_user(request.user)
    if not public_user and not has_perm(request.user, Perm.TICKET_CREATE):
        raise PermissionDenied
    initial: dict[str, Any] = {}
    visit_id = request.GET.get("visit")
    if visit_id and not public_user:
        initial.update(_from_visit(request, visit_id))
    form = IntakeForm(
        request.POST or None,
        initial=initial,
        public=public_user,
        district=district_of(request.user),
    )

    def action(data: dict[str, Any]) -> Ticket:
        category = Category.objects.filter(code=data["category"]).first()
        if category is None:
            raise DomainError(_("Choose a kind of problem."))
        files = request.FILES.getlist("attachments")
        if len(files) > MAX_FILES:
            raise DomainError(_("At most %(n)s attachments.") % {"n": MAX_FILES})
        # One byte past the limit is enough to refuse a file: a large one is never read whole.
        uploads = [Upload(f.name or "", f.read(MAX_BYTES + 1)) for f in files]
        return services.submit(
            actor=request.user,
            intake=services.Intake(
                category=category,
                region=_region_for(request, data),
                title=data["title"],
                description=data["description"],
                address=data.get("address") or "",
                latitude=data.get("latitude"),
                longitude=data.get("longitude"),
                requester_name=data.get("requester_name") or "",
                requester_phone=data.get("requester_phone") or "",
                source=data.get("source") or "hotline",
                visit_id=_visit_in_scope(request, data.get("visit")),
            ),
            uploads=uploads,
        )

    ticket, status = submit(request, form, action)
    if ticket is not None:
        messages.success(
            request, _("Ticket %(n)s received. You can follow it here.") % {"n": ticket.number}
        )
        return redirect("tickets:detail", ticket.pk)
    return render(
        request, "tickets/new.html", {"form": form, "public_user": public_user}, status=status
    )


def _from_visit(request: HttpRequest, visit_id: str) -> dict[str, Any]:
    from gridlight.households.models import Visit

    visit = _visit_obj(request, visit_id)
    if visit is None:
        return {}
    assert isinstance(visit, Visit)
    grid = visit.household.grid
    return {
        "visit": visit.pk,
        "region_code": grid.code,
        "source": "grid",
        "address": visit.household.address,
        "description": visit.problems,
    }


def _visit_obj(request: HttpRequest, visit_id: Any) -> Any:
    from gridlight.core.access import scoped
    from gridlight.households.models import Visit

    pk = parse_id(visit_id)
    if pk is None:
        return None
    qs = scoped(Visit.objects.select_related("household__grid"), request.user, Perm.TICKET_CREATE)
    return qs.filter(pk=pk).first()


def _visit_in_scope(request: HttpRequest, visit_id: Any) -> int | None:
    if not visit_id:
        return None
    visit = _visit_obj(request, visit_id)
    return visit.pk if visit is not None else None


@access()
def similar(request: SignedInRequest) -> HttpResponse:
    """Open tickets like the one being written (an htmx fragment on the intake form)."""
    category = Category.objects.filter(code=request.GET.get("category", "")).first()
    code = request.GET.get("region", "") or request.GET.get("region_code", "")
    region = Region.objects.filter(code=code.strip()).first() if code else None
    if region is not None and not _may_ask_about(request.user, region):
        region = None
    found = None
    if category is not None and region is not None:
        found = selectors.similar_open(
            request.user,
            category=category,
            region_path=region.path,
            title=request.GET.get("title", ""),
        )
    return render(request, "tickets/_similar.html", {"similar": found})


def _may_ask_about(user: Viewer, region: Region) -> bool:
    """Residents and talents ask about places in the district they report to; staff about
    places in their scope. Nobody learns even how many tickets lie elsewhere."""
    if is_public_user(user):
        district = district_of(user)
        return district is not None and region.path.startswith(district.path)
    return scope_for(user, Perm.TICKET_VIEW).contains(region.path)


def _filtered(user: Viewer, params: QueryDict) -> tuple[TicketFilterForm, QuerySet[Ticket]]:
    form = TicketFilterForm(params or None, staff=disclosure.staff_view(user))
    qs = ticket_access.visible(user).select_related("category", "unit", "street", "region")
    if form.is_valid():
        d = form.cleaned_data
        q = d.get("q", "").strip()
        number = parse_id(q)
        if number is not None:
            qs = qs.filter(pk=number)
        elif q:
            qs = qs.filter(title__icontains=q)
        if d.get("status") == "open":
            qs = qs.filter(open_work())
        elif d.get("status"):
            qs = qs.filter(status=d["status"])
        if d.get("card") == "supervised":
            qs = qs.filter(supervised=True)
        elif d.get("card"):
            qs = qs.filter(card=d["card"])
        if d.get("category"):
            qs = qs.filter(category__code=d["category"])
        if d.get("talent"):
            qs = qs.filter(talent=True)
    return form, qs.order_by("-created_at", "-id")


@access()
def ticket_list(request: SignedInRequest) -> HttpResponse:
    form, qs = _filtered(request.user, request.GET)
    page = paginate(request, qs)
    page.object_list = [disclosure.for_viewer(t, request.user) for t in page.object_list]
    return render(
        request,
        "tickets/list.html",
        {
            "form": form,
            "page": page,
            "query": query_without_page(request),
            "may_export": disclosure.staff_view(request.user),
            "can_create": is_public_user(request.user)
            or has_perm(request.user, Perm.TICKET_CREATE),
        },
    )


def _step_forms(user: Viewer, ticket: Ticket) -> list[dict[str, Any]]:
    shown = []
    for step in steps.STEPS.values():
        name = step.name
        if not ticket_access.may(user, name, ticket):
            continue
        form = ActionForm(initial={"version": ticket.version}, prefix=name)
        if name == "dispatch":
            unit_field = form.fields["unit"]
            assert isinstance(unit_field, forms.ModelChoiceField)
            unit_field.queryset = ticket_access.units_for(user, Perm.TICKET_DISPATCH)
            unit_field.initial = selectors.suggested_units([ticket])[ticket.pk]
        shown.append(
            {
                "name": name,
                "label": step.label,
                "fields": [form[p.field] for p in step.params],
                "version": form["version"],
                "style": step.style,
            }
        )
    return shown


@access()
def ticket_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    return _detail(request, ticket_access.get_visible(request.user, pk))


def _detail(request: HttpRequest, ticket: Ticket, status: int = 200) -> HttpResponse:
    phone = ""
    if ticket.requester_phone_enc:
        phone = mask_phone(decrypt(ticket.requester_phone_enc))
    return render(
        request,
        "tickets/detail.html",
        {
            "t": disclosure.for_viewer(ticket, request.user),
            "phone": phone,
            "timeline": disclosure.timeline(ticket, request.user),
            "attachments": ticket.attachments.only("pk", "name", "size", "content_type"),
            "steps": _step_forms(request.user, ticket),
            "now": timezone.now(),
            "is_requester": ticket.requester_id == request.user.pk,
            "calendar_gaps": deadlines.calendar_gaps(
                *(deadlines.due_day(m) for m in (ticket.sign_due, ticket.due_at) if m)
            )
            if ticket.status in OPEN_STATUSES
            else [],
        },
        status=status,
    )


@require_POST
@access()
def ticket_action(request: SignedInRequest, pk: int, name: str) -> HttpResponse:
    ticket = ticket_access.get_visible(request.user, pk)
    if name not in steps.STEPS:
        raise Http404
    form = ActionForm(request.POST, prefix=name)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for es in form.errors.values() for e in es))
        return redirect("tickets:detail", ticket.pk)
    d = form.cleaned_data
    try:
        steps.take(name, actor=request.user, ticket=ticket, version=d["version"], values=d)
    except DomainError as exc:
        # Shown on the ticket as it is now, answered with the error's 4xx (409 on a conflict).
        messages.error(request, exc.message)
        return _detail(request, ticket_access.get_visible(request.user, ticket.pk), exc.status)
    messages.success(request, _("Done."))
    return redirect("tickets:detail", ticket.pk)


# A worksheet's rows less the header: a large export is a background job in constant memory,
# so what bounds it is the file format, not the request.
EXPORT_LIMIT = 1_048_575
EXPORT_COLUMNS = [
    Column("number", "工单号", "Ticket"),
    Column("created", "提交时间", "Submitted"),
    Column("category", "类别", "Category"),
    Column("title", "标题", "Title"),
    Column("street", "街道", "Street"),
    Column("region", "社区/网格", "Community or grid"),
    Column("source", "来源", "Source"),
    Column("status", "状态", "Status"),
    Column("unit", "承办单位", "Unit"),
    Column("due", "办理时限", "Deadline"),
    Column("card", "亮牌", "Card"),
    Column("supervised", "督办", "Supervised"),
    Column("returns", "退单次数", "Returns"),
    Column("reopens", "重办次数", "Reopenings"),
    Column("satisfaction", "满意度", "Satisfaction"),
    Column("close_reason", "结案方式", "Closed as"),
]


@access()
def ticket_export(request: SignedInRequest) -> HttpResponse:
    """The filtered list as .xlsx (no personal data: names and phones stay out); a large one
    is prepared by a background job (core/exports.py). Staff only: the sheet carries cards,
    supervision and returns."""
    if not disclosure.staff_view(request.user):
        raise PermissionDenied
    return exports.respond(request, "tickets")


@exports.register("tickets")
def _export(user: User, params: QueryDict) -> exports.Export:
    if not disclosure.staff_view(user):
        raise PermissionDenied
    _form, qs = _filtered(user, params)
    count = qs.count()
    return exports.Export(
        sheet=_("Tickets"),
        columns=EXPORT_COLUMNS,
        rows=_export_rows(qs, min(count, EXPORT_LIMIT)),
        count=min(count, EXPORT_LIMIT),
        filename=f"tickets-{timezone.localdate():%Y%m%d}.xlsx",
    )


def _export_rows(qs: QuerySet[Ticket], limit: int) -> Iterator[list[Any]]:
    """Plain values, not model instances (a department's 200,000 tickets), with the names of
    categories, streets, regions and units read once; read in chunks of 5,000."""
    from gridlight.tickets.models import Card, CloseReason, Satisfaction, Source, Status, Unit

    def labels(choices: Any) -> dict[str, str]:
        return {k: str(v) for k, v in choices.choices}

    source, status, card = labels(Source), labels(Status), labels(Card)
    satisfaction, closed_as = labels(Satisfaction), labels(CloseReason)
    categories = dict(Category.objects.values_list("pk", "name"))
    regions = dict(Region.objects.values_list("pk", "name"))  # a district's few thousand
    units = dict(Unit.objects.values_list("pk", "name"))
    local = timezone.localtime
    rows = qs.select_related(None).values(
        "pk", "created_at", "category_id", "title", "street_id", "region_id", "source", "status",
        "unit_id", "due_at", "card", "supervised", "return_count", "reopen_count",
        "satisfaction", "close_reason",
    )[:limit]  # fmt: skip
    for t in rows.iterator(chunk_size=5000):
        created = local(t["created_at"])
        yield [
            f"{created:%Y%m%d}-{t['pk']:07d}",
            f"{created:%Y-%m-%d %H:%M}",
            categories.get(t["category_id"], ""),
            t["title"],
            regions.get(t["street_id"], ""),
            regions.get(t["region_id"], ""),
            source.get(t["source"], t["source"]),
            status.get(t["status"], t["status"]),
            units.get(t["unit_id"], ""),
            deadlines.deadline_label(t["due_at"]),
            card.get(t["card"], ""),
            "✓" if t["supervised"] else "",
            t["return_count"],
            t["reopen_count"],
            satisfaction.get(t["satisfaction"], ""),
            closed_as.get(t["close_reason"], ""),
        ]


@access()
def attachment(request: SignedInRequest, pk: int, attachment_pk: int) -> HttpResponse:
    ticket = ticket_access.get_visible(request.user, pk)
    a = Attachment.objects.filter(ticket=ticket, pk=attachment_pk).first()
    if a is None:
        raise Http404
    response = HttpResponse(bytes(a.data), content_type=a.content_type)
    response["Content-Disposition"] = f'attachment; filename="attachment-{a.pk}"'
    return response


@access()
def inbox(request: SignedInRequest) -> HttpResponse:
    user = request.user
    qs = selectors.inbox(user).select_related("ticket")
    page = paginate(request, qs)
    notify.messages_mark_read(user=user, ids=[m.pk for m in page if m.read_at is None])
    return render(request, "tickets/inbox.html", {"page": page, "query": ""})
