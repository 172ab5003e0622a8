"""Forms for the development pages: they validate input; services do the work."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridlight.core.forms import Form, date_input
from gridlight.core.industries import Industry
from gridlight.core.models import Region
from gridlight.development.models import (
    LandUse,
    Light,
    Milestone,
    Project,
    ProjectKind,
    QuantityUnit,
    Stage,
    Zone,
)
from gridlight.development.services import MilestoneInput, ProjectInput
from gridlight.tickets.models import Unit

ALL = _("All")


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", ALL), *[(k, v) for k, v in choices if k]]


class ProjectFilterForm(Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=60)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    industry = forms.ChoiceField(
        label=_("Industry"), required=False, choices=_blank(Industry.choices)
    )
    zone = forms.ChoiceField(label=_("Strategy zone"), required=False, choices=_blank(Zone.choices))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_blank(ProjectKind.choices))
    stage = forms.ChoiceField(label=_("Stage"), required=False, choices=_blank(Stage.choices))
    light = forms.ChoiceField(label=_("Light"), required=False, choices=_blank(Light.choices))
    street = forms.CharField(label=_("Street code"), required=False, max_length=32)


def month_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class ReportForm(Form):
    """A month's report: the investment in yuan and a quantity per milestone in its own unit."""

    month = forms.DateField(label=_("Month"), widget=month_input(), input_formats=["%Y-%m"])
    investment_yuan = forms.DecimalField(
        label=_("Investment this month (yuan)"), max_digits=16, decimal_places=2
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, milestones: list[Milestone], **kwargs: Any) -> None:
        self.milestones = milestones
        super().__init__(*args, **kwargs)
        for m in milestones:
            self.fields[f"m{m.pk}"] = forms.DecimalField(
                label=f"{m.name}（{m.get_quantity_unit_display()}）",
                max_digits=18,
                decimal_places=2,
                required=False,
                initial=0,
            )
            self.fields[f"m{m.pk}"].widget.attrs["class"] = "form-control"

    def milestone_fields(self) -> list[Any]:
        return [self[f"m{m.pk}"] for m in self.milestones]


class ReasonForm(Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
    version = forms.IntegerField(widget=forms.HiddenInput)


class VersionForm(Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class FigureForm(Form):
    """Which region and period an element's page shows."""

    region = forms.CharField(label=_("Region code"), required=False, max_length=32)
    period = forms.DateField(label=_("Period"), required=False, widget=date_input())


class ValueForm(Form):
    region = forms.CharField(label=_("Region code"), max_length=32)
    period = forms.DateField(
        label=_("Period (first day)"), widget=date_input(), initial=timezone.localdate
    )
    value = forms.DecimalField(label=_("Value"), max_digits=20, decimal_places=4)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


WAN = Decimal(1_000_000)  # fen in 万元 (10,000 yuan), the unit project ledgers are kept in


class ProjectForm(Form):
    """A key project's facts; amounts in 万元 as the ledgers keep them, stored in fen."""

    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    kind = forms.ChoiceField(label=_("Kind"), choices=ProjectKind.choices)
    industry = forms.ChoiceField(label=_("Industry"), choices=Industry.choices)
    zone = forms.ChoiceField(label=_("Strategy zone"), choices=Zone.choices, required=False)
    land_use = forms.ChoiceField(
        label=_("Land use (land parcels)"), choices=LandUse.choices, required=False
    )
    street = forms.ChoiceField(label=_("Street"))
    unit = forms.ChoiceField(label=_("Responsible unit"))
    person = forms.CharField(label=_("Responsible person"), max_length=60, required=False)
    total_wan = forms.DecimalField(
        label=_("Total investment (10k yuan)"), max_digits=14, decimal_places=2
    )
    annual_wan = forms.DecimalField(
        label=_("Annual planned investment (10k yuan)"), max_digits=14, decimal_places=2
    )
    planned_start = forms.DateField(label=_("Planned start"), widget=date_input())
    planned_end = forms.DateField(label=_("Planned completion"), widget=date_input())
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    signed_on = forms.DateField(label=_("Signed on"), widget=date_input(), required=False)
    started_on = forms.DateField(label=_("Started on"), widget=date_input(), required=False)
    completed_on = forms.DateField(label=_("Completed on"), widget=date_input(), required=False)
    operating_on = forms.DateField(
        label=_("In operation since"), widget=date_input(), required=False
    )
    registration_due = forms.DateField(
        label=_("Statistical registration due"), widget=date_input(), required=False
    )
    registered_on = forms.DateField(
        label=_("Statistically registered on"), widget=date_input(), required=False
    )
    supplied_on = forms.DateField(label=_("Land supplied on"), widget=date_input(), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        streets: list[Region],
        units: list[Unit],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.streets = {r.code: r for r in streets}
        self.units = {u.code: u for u in units}
        cast(forms.ChoiceField, self.fields["street"]).choices = [(r.code, r.name) for r in streets]
        cast(forms.ChoiceField, self.fields["unit"]).choices = [(u.code, u.name) for u in units]
        if editing:
            self.fields["code"].disabled = True  # a project's code never changes

    def project_input(self, code: str = "") -> ProjectInput:
        d = self.cleaned_data
        return ProjectInput(
            code=code or d["code"],
            name=d["name"],
            year=d["year"],
            industry=d["industry"],
            region=self.streets[d["street"]],
            unit=self.units[d["unit"]],
            total_investment_fen=int(d["total_wan"] * WAN),
            annual_investment_fen=int(d["annual_wan"] * WAN),
            planned_start=d["planned_start"],
            planned_end=d["planned_end"],
            kind=d["kind"],
            zone=d.get("zone") or "",
            land_use=d.get("land_use") or "",
            person=d.get("person") or "",
            stage=d["stage"],
            signed_on=d.get("signed_on"),
            started_on=d.get("started_on"),
            completed_on=d.get("completed_on"),
            operating_on=d.get("operating_on"),
            registration_due=d.get("registration_due"),
            registered_on=d.get("registered_on"),
            supplied_on=d.get("supplied_on"),
        )


def project_initial(project: Project) -> dict[str, Any]:
    initial: dict[str, Any] = {
        name: getattr(project, name)
        for name in (
            "code",
            "name",
            "year",
            "kind",
            "industry",
            "zone",
            "land_use",
            "person",
            "planned_start",
            "planned_end",
            "stage",
            "signed_on",
            "started_on",
            "completed_on",
            "operating_on",
            "registration_due",
            "registered_on",
            "supplied_on",
            "version",
        )
    }
    initial.update(
        street=project.region.code,
        unit=project.unit.code,
        total_wan=Decimal(project.total_investment_fen) / WAN,
        annual_wan=Decimal(project.annual_investment_fen) / WAN,
    )
    return initial


class MilestoneForm(Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    quantity_unit = forms.ChoiceField(label=_("Unit"), choices=QuantityUnit.choices)
    planned_quantity = forms.DecimalField(
        label=_("Planned quantity"), max_digits=18, decimal_places=2, min_value=Decimal("0.01")
    )
    planned_start = forms.DateField(label=_("Planned start"), widget=date_input())
    planned_end = forms.DateField(label=_("Planned end"), widget=date_input())
    weight = forms.IntegerField(label=_("Weight"), min_value=1, max_value=100, initial=1)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def milestone_input(self) -> MilestoneInput:
        d = self.cleaned_data
        return MilestoneInput(
            d["name"],
            d["quantity_unit"],
            d["planned_quantity"],
            d["planned_start"],
            d["planned_end"],
            d["weight"],
        )


class StageForm(Form):
    """Move a project on to a later stage, reached on a day."""

    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    on = forms.DateField(label=_("Reached on"), widget=date_input())
    version = forms.IntegerField(widget=forms.HiddenInput)


class SummaryForm(Form):
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    by = forms.ChoiceField(
        label=_("Group by"),
        required=False,
        choices=[
            ("industry", _("Industry")),
            ("zone", _("Strategy zone")),
            ("street", _("Street")),
            ("unit", _("Responsible unit")),
            ("kind", _("Kind")),
        ],
    )
