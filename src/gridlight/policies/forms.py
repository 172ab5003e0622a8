"""Forms of the policy pages: the list's filters, a draft's YAML, publishing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridlight.core.forms import Form, date_input
from gridlight.policies.models import Mode, Policy, SubjectType


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


class PolicyForm(Form):
    """A policy's catalogue entry (its versions are edited as drafts). The budget is in yuan
    and the lead department an id: both are checked by the service (``values``)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    issuer = forms.CharField(label=_("Issuing body"), max_length=120)
    doc_number = forms.CharField(label=_("Document number"), max_length=80, required=False)
    source_url = forms.URLField(
        label=_("Source"), max_length=300, required=False, assume_scheme="https"
    )
    source_file = forms.FileField(
        label=_("Source file"),
        required=False,
        help_text=_("The issuing document: PDF, JPEG or PNG, up to 5 MB. Replaces the one kept."),
    )
    mode = forms.ChoiceField(label=_("Mode"), choices=Mode.choices)
    budget_yuan = forms.CharField(
        label=_("Budget (yuan)"), max_length=20, required=False, help_text=_("Blank: no budget.")
    )
    period_start = forms.DateField(label=_("Period from"), required=False, widget=date_input())
    period_end = forms.DateField(label=_("Period to"), required=False, widget=date_input())
    materials = forms.CharField(
        label=_("Required materials"),
        max_length=3500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line."),
    )
    exclusive_group = forms.CharField(label=_("Exclusive group"), max_length=60, required=False)
    lead_unit = forms.CharField(
        label=_("Lead department"),
        max_length=12,
        required=False,
        widget=forms.Select,
        help_text=_("Its handlers review the policy's applications and re-confirm its grants."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)

    def __init__(self, *args: Any, units: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widget = self.fields["lead_unit"].widget
        assert isinstance(widget, forms.Select)
        widget.choices = [("", _("None (the regions' reviewers)")), *units]

    @staticmethod
    def initial_for(policy: Policy) -> dict[str, Any]:
        from gridlight.policies.templatetags.policies import yuan

        return {
            **{k: getattr(policy, k) for k in ("title", "issuer", "doc_number", "source_url")},
            "mode": policy.mode,
            "budget_yuan": yuan(policy.budget_fen).replace(",", "")
            if policy.budget_fen is not None
            else "",
            "period_start": policy.period_start,
            "period_end": policy.period_end,
            "materials": "\n".join(policy.materials or []),
            "exclusive_group": policy.exclusive_group,
            "lead_unit": policy.lead_unit_id or "",
            "version": policy.version,
        }

    def values(self) -> dict[str, Any]:
        """The service's keyword arguments (DomainError with the reason for a bad budget or
        an unknown department); the source file, if one was chosen, unchecked (the service
        checks it)."""
        from gridlight.core.uploads import MAX_BYTES, Upload
        from gridlight.policies.services import lead_unit_of
        from gridlight.policies.steps import to_fen

        d = self.cleaned_data
        f = d.get("source_file")
        upload = {"source_file": Upload(f.name or "", f.read(MAX_BYTES + 1))} if f else {}
        return {
            **upload,
            **{k: d[k] for k in ("title", "issuer", "doc_number", "source_url", "mode")},
            "budget_fen": to_fen(d["budget_yuan"]),
            "period_start": d["period_start"],
            "period_end": d["period_end"],
            "materials": [m.strip() for m in d["materials"].splitlines() if m.strip()],
            "exclusive_group": d["exclusive_group"].strip(),
            "lead_unit": lead_unit_of(d["lead_unit"]),
        }


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
