"""Forms for the household pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridlight.core.forms import Form, date_input
from gridlight.households.models import (
    Attribute,
    AttributeScope,
    Light,
    Relation,
    ResidentStatus,
    VisitMethod,
)


def _attribute_choices(scope: str) -> list[tuple[str, str]]:
    return list(Attribute.objects.filter(active=True, applies_to=scope).values_list("code", "name"))


class HouseholdFilterForm(Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        help_text=_("Name, ID number, address or household number"),
    )
    light = forms.ChoiceField(
        label=_("Light"), required=False, choices=[("", _("All lights")), *Light.choices]
    )
    attribute = forms.ChoiceField(label=_("Attribute"), required=False)
    region = forms.CharField(label=_("Region code"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["attribute"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("", _("All attributes")),
            *Attribute.objects.filter(active=True).values_list("code", "name"),
        ]


class HouseholdForm(Form):
    code = forms.CharField(label=_("Household number"), max_length=40)
    grid = forms.CharField(label=_("Grid code"), max_length=32)
    address = forms.CharField(label=_("Address"), max_length=200)
    attributes = forms.MultipleChoiceField(
        label=_("Household attributes"), required=False, widget=forms.CheckboxSelectMultiple
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["attributes"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = _attribute_choices(AttributeScope.HOUSEHOLD)
        field.widget.attrs.pop("class", None)
        if editing:
            del self.fields["code"]
            del self.fields["grid"]


class MemberForm(Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60)
    id_number = forms.CharField(label=_("ID card number"), max_length=30, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    relation = forms.ChoiceField(label=_("Relation"), choices=Relation.choices)
    attributes = forms.MultipleChoiceField(
        label=_("Attributes"), required=False, widget=forms.CheckboxSelectMultiple
    )
    disability_grade = forms.IntegerField(
        label=_("Disability grade (1 most severe)"), required=False, min_value=1, max_value=4
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["attributes"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = _attribute_choices(AttributeScope.RESIDENT)
        field.widget.attrs.pop("class", None)

    def attribute_grades(self) -> dict[str, int | None]:
        grades: dict[str, int | None] = dict.fromkeys(self.cleaned_data["attributes"])
        if "disability" in grades:
            grades["disability"] = self.cleaned_data.get("disability_grade")
        return grades


class DepartForm(Form):
    status = forms.ChoiceField(
        label=_("What happened"),
        choices=[
            (ResidentStatus.DECEASED.value, ResidentStatus.DECEASED.label),
            (ResidentStatus.MOVED_OUT.value, ResidentStatus.MOVED_OUT.label),
        ],
    )
    on = forms.DateField(label=_("Date"), widget=date_input())


class MoveForm(Form):
    grid = forms.CharField(label=_("New grid code"), max_length=32)
    version = forms.IntegerField(widget=forms.HiddenInput)


class OverrideForm(Form):
    light = forms.ChoiceField(label=_("Light"), choices=Light.choices)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    until = forms.DateField(label=_("Until"), widget=date_input())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["until"].initial = timezone.localdate() + timedelta(days=30)


class VisitForm(Form):
    method = forms.ChoiceField(
        label=_("How"),
        choices=VisitMethod.choices,
        widget=forms.RadioSelect,
        initial=VisitMethod.HOME,
    )
    visited_on = forms.DateField(label=_("Date"), widget=date_input())
    notes = forms.CharField(
        label=_("Visit notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Visit notes")}),
    )
    problems = forms.CharField(
        label=_("Problems found"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Problems found")}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].initial = timezone.localdate()
        self.fields["method"].widget.attrs.pop("class", None)


class RuleDraftForm(Form):
    definition = forms.CharField(
        label=_("Definition (YAML)"),
        widget=forms.Textarea(attrs={"rows": 24, "class": "form-control font-monospace"}),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    edit_version = forms.IntegerField(widget=forms.HiddenInput)


class RuleEditorForm(Form):
    """What the form editor sends besides the rows (which ``rules.editor.from_post`` reads)."""

    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    edit_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)


class PublishForm(Form):
    effective_from = forms.DateField(label=_("In force from"), widget=date_input())


class AttributeForm(Form):
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("English, lowercase, never changes (rules name it)."),
    )
    name = forms.CharField(label=_("Name"), max_length=60)
    name_en = forms.CharField(label=_("English name"), max_length=80, required=False)
    applies_to = forms.ChoiceField(label=_("Applies to"), choices=AttributeScope.choices)
    graded = forms.BooleanField(label=_("Graded (1 most severe)"), required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("graded", "active"):
            self.fields[name].widget.attrs["class"] = "form-check-input"


class PackageForm(Form):
    visit_interval_days = forms.IntegerField(
        label=_("Visit every (days)"), min_value=1, max_value=366
    )
    items = forms.CharField(
        label=_("Service items (one per line)"), widget=forms.Textarea(attrs={"rows": 6})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
