"""Forms of the policy pages: the list's filters, a draft's YAML, publishing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridlight.core.forms import Form, date_input
from gridlight.policies.models import Mode, SubjectType


class PolicyFilterForm(Form):
    q = forms.CharField(
        label=_("Search"),
        max_length=100,
        required=False,
        help_text=_("Title, document number or code"),
    )
    subject_type = forms.ChoiceField(
        label=_("For"), required=False, choices=[("", _("All")), *SubjectType.choices]
    )
    mode = forms.ChoiceField(
        label=_("Mode"), required=False, choices=[("", _("All")), *Mode.choices]
    )
    state = forms.ChoiceField(
        label=_("In force"),
        required=False,
        choices=[("", _("All")), ("in_force", _("In force")), ("not_in_force", _("Not in force"))],
    )


class DraftForm(Form):
    definition = forms.CharField(
        label=_("Definition (YAML)"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 24, "class": "form-control font-monospace"}),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    edit_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)


class PublishForm(Form):
    effective_from = forms.DateField(label=_("In force from"), widget=date_input())
    effective_to = forms.DateField(
        label=_("In force until (exclusive)"), required=False, widget=date_input()
    )


class MatchFilterForm(Form):
    """Filters of a policy's matches page."""

    state = forms.ChoiceField(label=_("State"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    tracking = forms.ChoiceField(
        label=_("Push"),
        required=False,
        choices=[
            ("", _("All")),
            ("pushed", _("Pushed")),
            ("not_pushed", _("Not pushed")),
            ("opened", _("Opened")),
            ("applied", _("Applied")),
            ("reminder", _("Reminder due")),
        ],
    )
    street = forms.ChoiceField(label=_("Street"), required=False)
    new = forms.BooleanField(label=_("New since last run"), required=False)

    def __init__(self, *args: Any, streets: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from gridlight.policies.models import MatchState, MatchStatus

        for name, choices in (
            ("state", [("", _("All")), *MatchState.choices]),
            ("status", [("", _("Current and withdrawn")), *MatchStatus.choices]),
            ("street", [("", _("All")), *streets]),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices
