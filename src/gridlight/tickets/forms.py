"""Forms for the ticket pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridlight.core.forms import Form
from gridlight.core.models import Region, RegionLevel
from gridlight.tickets.models import Card, Category, Source, Status, Unit
from gridlight.tickets.steps import INPUTS, Input, Kind


def leaf_categories(public_only: bool) -> list[tuple[str, list[tuple[str, str]]]]:
    """Active leaf categories grouped under their parent, for a select."""
    groups: dict[str, list[tuple[str, str]]] = {}
    qs = Category.objects.filter(active=True, children__isnull=True).select_related("parent")
    if public_only:
        qs = qs.filter(public=True)
    for c in qs.order_by("sort_order"):
        groups.setdefault(c.parent.name if c.parent else "", []).append((c.code, c.name))
    return list(groups.items())


def community_choices(root: Region | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """Communities grouped by street under ``root`` (the district), for residents who do not
    know region codes."""
    if root is None:
        return []
    groups: dict[str, list[tuple[str, str]]] = {}
    qs = (
        Region.objects.filter(path__startswith=root.path + ".", level=RegionLevel.COMMUNITY)
        .select_related("parent")
        .order_by("path")
    )
    for r in qs:
        groups.setdefault(r.parent.name if r.parent else "", []).append((r.code, r.name))
    return list(groups.items())


def grid_choices(community_code: str) -> list[tuple[str, str]]:
    """The grids of a community, for the intake form's second select."""
    if not community_code:
        return []
    qs = Region.objects.filter(
        parent__code=community_code, parent__level=RegionLevel.COMMUNITY, level=RegionLevel.GRID
    ).order_by("path")
    return [(r.code, r.name) for r in qs]


class IntakeForm(Form):
    """Raising a ticket. Where the problem is may be picked from the region tree (community,
    then grid), taken from the browser's location, or read from the address: the service
    (``tickets.locate``) decides when nothing was picked, as for the API and Open311."""

    category = forms.ChoiceField(label=_("Kind of problem"))
    region = forms.ChoiceField(label=_("Where (community)"), required=False)
    grid = forms.ChoiceField(label=_("Grid (if you know it)"), required=False)
    region_code = forms.CharField(
        label=_("Or grid code"),
        required=False,
        max_length=32,
        help_text=_("Staff may name the grid exactly."),
    )
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("Describe the problem"), widget=forms.Textarea(attrs={"rows": 4})
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=200,
        required=False,
        help_text=_("Without a community or your location, name the street or community here."),
    )
    # Filled by the "use my location" button (static/gridlight/locate.js), never typed.
    latitude = forms.FloatField(
        required=False, min_value=-90, max_value=90, widget=forms.HiddenInput
    )
    longitude = forms.FloatField(
        required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
    )
    requester_name = forms.CharField(label=_("Caller's name"), max_length=60, required=False)
    requester_phone = forms.CharField(label=_("Caller's phone"), max_length=20, required=False)
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[(Source.HOTLINE, Source.HOTLINE.label), (Source.GRID, Source.GRID.label)],
        required=False,
    )
    visit = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, public: bool, district: Region | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [("", "—"), *leaf_categories(public)]
        region = self.fields["region"]
        assert isinstance(region, forms.ChoiceField)
        region.choices = [("", "—"), *community_choices(district)]
        # Choosing a community fills the grid select with its grids (htmx).
        region.widget.attrs.update(
            {
                "hx-get": reverse("tickets:grid_options"),
                "hx-trigger": "change",
                "hx-target": "#id_grid",
                "hx-swap": "innerHTML",
            }
        )
        grid = self.fields["grid"]
        assert isinstance(grid, forms.ChoiceField)
        picked = str(self.data.get("region", "") or self.initial.get("region", ""))
        grid.choices = [("", "—"), *grid_choices(picked)]
        if public:
            for name in ("region_code", "requester_name", "requester_phone", "source"):
                del self.fields[name]


class TicketFilterForm(Form):
    q = forms.CharField(label=_("Search"), required=False, help_text=_("Title or ticket id"))
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("open", _("Open")), *Status.choices],
    )
    card = forms.ChoiceField(
        label=_("Card"),
        required=False,
        choices=[
            ("", _("All")),
            (Card.YELLOW, Card.YELLOW.label),
            (Card.RED, Card.RED.label),
            ("supervised", _("Under supervision")),
        ],
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    talent = forms.BooleanField(label=_("Talent problems only"), required=False)

    # Staff filters: the public search their own tickets by words and status only.
    STAFF_ONLY = ("card", "category", "talent")

    def __init__(self, *args: Any, staff: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not staff:
            for name in self.STAFF_ONLY:
                del self.fields[name]
            return
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("All")), *leaf_categories(False)]


class ActionForm(Form):
    """One form for every step, its fields those of the step table (``steps.INPUTS``); each
    step reads the fields it needs (the service checks them)."""

    version = forms.IntegerField(widget=forms.HiddenInput)


def _yes(value: str) -> bool:
    return value == "yes"


def _action_field(spec: Input) -> forms.Field:
    if spec.kind is Kind.UNIT:
        return forms.ModelChoiceField(
            label=spec.label, required=False, queryset=Unit.objects.filter(active=True)
        )
    if spec.kind is Kind.BOOL:
        return forms.TypedChoiceField(
            label=spec.label, required=False, coerce=_yes, choices=list(spec.choices)
        )
    if spec.kind is Kind.CHOICE:
        return forms.ChoiceField(label=spec.label, required=False, choices=list(spec.choices))
    if spec.kind is Kind.DAYS:
        low, high = spec.bounds or (None, None)
        return forms.IntegerField(label=spec.label, required=False, min_value=low, max_value=high)
    if spec.kind is Kind.TICKET:
        return forms.IntegerField(label=spec.label, required=False)
    return forms.CharField(
        label=spec.label,
        required=False,
        max_length=spec.max_length,
        widget=forms.Textarea(attrs={"rows": 2}) if spec.textarea else None,
    )


# Built from the step table once, as the class statement would have declared them.
ActionForm.base_fields.update({name: _action_field(spec) for name, spec in INPUTS.items()})
