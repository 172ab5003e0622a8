"""Forms for the development pages: they validate input; services do the work."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridlight.core.forms import Form, date_input
from gridlight.core.industries import Industry
from gridlight.development.models import (
    Light,
    Milestone,
    ProjectKind,
    Stage,
    Zone,
)

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
    period = forms.DateField(label=_("Period (first day)"), widget=date_input(), initial=date.today)
    value = forms.DecimalField(label=_("Value"), max_digits=20, decimal_places=4)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
