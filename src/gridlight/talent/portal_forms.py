"""Forms of the talent problem pages and the portal: they validate input; the services in
``talent/problems.py`` and ``talent/portal.py`` do the work and the real checks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridlight.core.forms import Form, bounded_formset, date_input
from gridlight.talent.models import Housing, ProblemCategory, SpouseEmployment
from gridlight.talent.problems import DIMENSIONS
from gridlight.talent.services import MAX_CHILDREN, MAX_HEADCOUNT

MONTH_FORMATS = ["%Y-%m", "%Y-%m-%d"]


def month_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class RaiseForm(Form):
    category = forms.ChoiceField(label=_("Category"), choices=ProblemCategory.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("Description"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )


class ProblemFilterForm(Form):
    q = forms.CharField(label=_("Search title"), required=False, max_length=100)
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *ProblemCategory.choices],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open and closed")), ("open", _("Open")), ("closed", _("Closed"))],
    )
    commissioner = forms.TypedChoiceField(
        label=_("Commissioner"), required=False, coerce=int, empty_value=None
    )
    # Reached from an enterprise's page or a row of the "solved" report (a list of every
    # enterprise would be thousands of options, most of the page's time).
    enterprise = forms.IntegerField(widget=forms.HiddenInput, required=False)
    month = forms.DateField(
        label=_("Raised in"), required=False, input_formats=MONTH_FORMATS, widget=month_input()
    )

    def __init__(self, *args: Any, commissioners: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        f = self.fields["commissioner"]
        assert isinstance(f, forms.ChoiceField)
        f.choices = [("", _("All commissioners")), *commissioners]


class SolvedFilterForm(ProblemFilterForm):
    """The KPI page's filters: the period, what the rows are, and the list's narrowing."""

    start = forms.DateField(
        label=_("From month"), required=False, input_formats=MONTH_FORMATS, widget=month_input()
    )
    end = forms.DateField(
        label=_("To month"), required=False, input_formats=MONTH_FORMATS, widget=month_input()
    )
    by = forms.ChoiceField(label=_("Rows by"), required=False, choices=list(DIMENSIONS.items()))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("q", "status", "month"):
            del self.fields[name]


class TalentCorrectionForm(Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    phone = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        max_length=30,
        help_text=_("Leave blank to keep the number on record."),
    )
    spouse_employment = forms.ChoiceField(
        label=_("Spouse's employment"),
        required=False,
        choices=[("", _("Not given")), *SpouseEmployment.choices],
    )
    housing = forms.ChoiceField(
        label=_("Housing"), required=False, choices=[("", _("Not given")), *Housing.choices]
    )


class ChildForm(Form):
    name = forms.CharField(label=_("Child's name"), required=False, max_length=60)
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=date_input())


ChildFormSet = bounded_formset(ChildForm, max_num=MAX_CHILDREN)


class EnterpriseCorrectionForm(Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    headcount = forms.IntegerField(
        label=_("Headcount"), required=False, min_value=0, max_value=MAX_HEADCOUNT
    )
