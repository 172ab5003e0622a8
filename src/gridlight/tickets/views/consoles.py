"""The consoles: the dispatcher's, the unit handler's worklist, the supervision board, and the
administration of the catalogue (the working-day calendar is in calendar.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core.access import Perm, SignedInRequest, access, has_perm
from gridlight.core.forms import Form
from gridlight.core.params import parse_id
from gridlight.core.views.common import submit
from gridlight.tickets import access as ticket_access
from gridlight.tickets import config, deadlines, selectors
from gridlight.tickets.models import (
    WITH_UNIT,
    Card,
    Category,
    SlaPolicy,
    Status,
    Ticket,
    Transition,
    Unit,
)

LIMIT = 100


# What the consoles' rows show (not the description, the requester or the deadlines' details).
ROW_FIELDS = (
    "pk", "created_at", "title", "talent", "status", "card", "supervised", "due_at", "version",
    "return_count", "street_id", "category__name", "category__to_street",
    "category__default_unit_id", "unit__name", "street__name",
)  # fmt: skip


def _rows(qs: QuerySet[Ticket]) -> list[Ticket]:
    return list(qs.select_related("category", "unit", "street").only(*ROW_FIELDS)[:LIMIT])


@access(Perm.TICKET_DISPATCH)
def dispatch_console(request: SignedInRequest) -> HttpResponse:
    """Everything waiting for the dispatcher, oldest first."""
    # Every section is open work: the partial index of open tickets serves them all.
    mine = selectors.open_work_for(request.user, Perm.TICKET_DISPATCH)
    sections = [
        ("new", gettext_lazy("New, to accept and dispatch"), mine.filter(status=Status.SUBMITTED)),
        (
            "returned",
            gettext_lazy("Returned or accepted, to dispatch"),
            mine.filter(status=Status.ACCEPTED),
        ),
        (
            "extension",
            gettext_lazy("Extension requests"),
            mine.filter(status__in=WITH_UNIT, extension_requested__gt=0),
        ),
        ("verify", gettext_lazy("Handled, to verify"), mine.filter(status=Status.HANDLED)),
        (
            "follow_up",
            gettext_lazy("To follow up with the person"),
            mine.filter(status=Status.FOLLOW_UP),
        ),
    ]
    counts = mine.aggregate(
        **{key: Count("pk", filter=_section_q(key)) for key, _label, _qs in sections}
    )
    shown = []
    for key, label, qs in sections:
        rows = _rows(qs.order_by("created_at", "id"))
        shown.append({"key": key, "label": label, "rows": rows, "count": counts[key]})
    # One query for the suggestions of both dispatch sections, however many tickets they list;
    # each row's choice of units is written here, not by the template (two hundred rows times
    # thirty units took the template most of a second).
    units = list(ticket_access.units_for(request.user, Perm.TICKET_DISPATCH))
    options = [
        (u.pk, format_html('<option value="{}"', u.pk), format_html(">{}</option>", u.name))
        for u in units
    ]
    to_dispatch = [t for s in shown if s["key"] in ("new", "returned") for t in s["rows"]]
    suggested = selectors.suggested_units(to_dispatch)
    for t in to_dispatch:
        t.suggested = suggested[t.pk]  # type: ignore[attr-defined]
        t.unit_options = mark_safe(  # type: ignore[attr-defined]  # noqa: S308 - escaped above
            "".join(
                start + (" selected" if pk == t.suggested else "") + end  # type: ignore[attr-defined]
                for pk, start, end in options
            )
        )
    return render(
        request,
        "tickets/dispatch.html",
        {
            "sections": shown,
            "units": units,
            "limit": LIMIT,
            # As far ahead as the deadlines of today's dispatches may reach, extensions included.
            "calendar_gaps": deadlines.calendar_gaps(
                timezone.localdate(),
                timezone.localdate() + timedelta(days=deadlines.horizon_days()),
            ),
        },
    )


def _section_q(key: str) -> Q:
    return {
        "new": Q(status=Status.SUBMITTED),
        "returned": Q(status=Status.ACCEPTED),
        "extension": Q(status__in=WITH_UNIT, extension_requested__gt=0),
        "verify": Q(status=Status.HANDLED),
        "follow_up": Q(status=Status.FOLLOW_UP),
    }[key]


@access(Perm.TICKET_HANDLE)
def worklist(request: SignedInRequest) -> HttpResponse:
    """The unit handler's worklist: to sign, overdue, due soon, in hand, sent back to them."""
    units = ticket_access.my_units(request.user)
    mine = selectors.open_work_for(request.user, Perm.TICKET_HANDLE).filter(unit_id__in=units)
    now = timezone.now()
    soon = now + timedelta(days=2)
    working = mine.filter(status__in=[Status.SIGNED, Status.IN_PROGRESS])
    sections = [
        ("sign", gettext_lazy("To sign for"), mine.filter(status=Status.DISPATCHED)),
        ("overdue", gettext_lazy("Overdue"), working.filter(due_at__lt=now)),
        (
            "due",
            gettext_lazy("Due within two days"),
            working.filter(due_at__gte=now, due_at__lt=soon),
        ),
        (
            "again",
            gettext_lazy("Reopened or failed verification"),
            # EXISTS per ticket in hand, not a join over their transitions made distinct.
            working.filter(
                Q(reopen_count__gt=0)
                | Exists(
                    Transition.objects.filter(
                        ticket=OuterRef("pk"), name="verify", data__passed=False
                    )
                )
            ),
        ),
        ("working", gettext_lazy("In hand"), working.filter(due_at__gte=soon)),
    ]
    shown = [
        {"key": key, "label": label, "rows": _rows(qs.order_by("due_at", "id"))}
        for key, label, qs in sections
    ]
    return render(
        request,
        "tickets/worklist.html",
        {
            "sections": shown,
            "units": Unit.objects.filter(pk__in=units),
            "now": now,
            "limit": LIMIT,
        },
    )


@access(Perm.TICKET_VIEW)
def supervision(request: SignedInRequest) -> HttpResponse:
    """Cards and supervision: counts per unit and per street, and the tickets under supervision."""
    held = selectors.open_work_for(request.user, Perm.TICKET_VIEW).filter(status__in=WITH_UNIT)
    cards = {
        "yellow": Count("pk", filter=Q(card=Card.YELLOW)),
        "red": Count("pk", filter=Q(card=Card.RED)),
        "supervised": Count("pk", filter=Q(supervised=True)),
        "open": Count("pk"),
    }
    by_unit = list(held.values("unit__name").annotate(**cards).order_by("-red", "-yellow"))
    by_street = list(held.values("street__name").annotate(**cards).order_by("-red", "-yellow"))
    flagged = _rows(
        held.filter(Q(supervised=True) | Q(card=Card.RED)).order_by("-supervised", "due_at")
    )
    chart = {
        "names": [r["unit__name"] or "—" for r in by_unit[:20]],
        "yellow": [r["yellow"] for r in by_unit[:20]],
        "red": [r["red"] for r in by_unit[:20]],
        "supervised": [r["supervised"] for r in by_unit[:20]],
    }
    return render(
        request,
        "tickets/supervision.html",
        {
            "by_unit": by_unit,
            "by_street": by_street,
            "flagged": flagged,
            "chart": chart,
            "limit": LIMIT,
        },
    )


# --- administration ---------------------------------------------------------------------------


class PolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = SlaPolicy
        fields = list(config.POLICY_FIELDS)


@access(Perm.TICKET_VIEW)
def catalogue(request: SignedInRequest) -> HttpResponse:
    categories = Category.objects.select_related("parent", "policy", "default_unit").order_by(
        "sort_order"
    )
    units = (
        ticket_access.units_for(request.user).annotate(n=Count("members")).order_by("kind", "code")
    )
    return render(
        request,
        "tickets/catalogue.html",
        {
            "categories": categories,
            "policies": SlaPolicy.objects.all(),
            "units": units,
            "can_admin": has_perm(request.user, Perm.TICKET_ADMIN),
        },
    )


@access(Perm.TICKET_ADMIN)
def policy_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    policy = get_object_or_404(SlaPolicy, pk=pk)
    form = PolicyForm(request.POST or None, instance=policy, initial={"version": policy.version})

    def action(d: dict[str, Any]) -> SlaPolicy:
        fields = {k: d[k] for k in PolicyForm.Meta.fields}
        return config.policy_update(
            actor=request.user, policy=policy, version=d["version"], **fields
        )

    done, status = submit(request, form, action)
    if done is not None:
        messages.success(request, _("Saved. New dispatches use it; running deadlines stay."))
        return redirect("tickets:catalogue")
    return render(
        request, "tickets/policy_edit.html", {"form": form, "policy": policy}, status=status
    )


class CategoryForm(forms.ModelForm):  # type: ignore[type-arg]
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Category
        fields = ["name", "name_en", "policy", "default_unit", "to_street", "public", "active"]


@access(Perm.TICKET_ADMIN)
def category_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(Category, pk=pk)
    form = CategoryForm(
        request.POST or None, instance=category, initial={"version": category.version}
    )
    default_unit = form.fields["default_unit"]
    assert isinstance(default_unit, forms.ModelChoiceField)
    default_unit.queryset = ticket_access.units_for(request.user, Perm.TICKET_ADMIN)

    def action(d: dict[str, Any]) -> Category:
        fields = {f: d[f] for f in CategoryForm.Meta.fields}
        return config.category_update(
            actor=request.user, category=category, version=d["version"], **fields
        )

    done, status = submit(request, form, action)
    if done is not None:
        messages.success(request, _("Saved."))
        return redirect("tickets:catalogue")
    return render(
        request, "tickets/policy_edit.html", {"form": form, "policy": category}, status=status
    )


class MemberForm(Form):
    username = forms.CharField(label=gettext_lazy("User name"), max_length=150)


@access(Perm.TICKET_VIEW)
def unit_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    """A unit's handlers; the district administrator adds and removes them."""
    unit = get_object_or_404(ticket_access.units_for(request.user), pk=pk)
    can_admin = has_perm(request.user, Perm.TICKET_ADMIN)
    form = MemberForm(request.POST or None)
    if request.method == "POST":
        if not can_admin:
            raise PermissionDenied
        remove = request.POST.get("remove")
        if remove:
            member_id = parse_id(remove)
            if member_id is not None:
                config.unit_member_remove(actor=request.user, unit=unit, member_id=member_id)
            return redirect("tickets:unit", unit.pk)

    def action(d: dict[str, Any]) -> Any:
        return config.unit_member_add(actor=request.user, unit=unit, username=d["username"])

    done, status = submit(request, form, action)
    if done is not None:
        messages.success(request, _("Saved."))
        return redirect("tickets:unit", unit.pk)
    return render(
        request,
        "tickets/unit.html",
        {
            "unit": unit,
            "members": unit.members.order_by("username"),
            "form": form,
            "can_admin": can_admin,
        },
        status=status,
    )
