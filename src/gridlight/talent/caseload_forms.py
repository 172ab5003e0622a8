"""Forms of the caseload pages: they validate input; the services in ``caseload`` decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridlight.core.forms import Form, date_input
from gridlight.core.models import User
from gridlight.talent.caseload import RECORDABLE
from gridlight.talent.models import ContactKind


class ContactForm(Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(k.value, k.label) for k in RECORDABLE],
        initial=ContactKind.VISIT,
    )
    on = forms.DateField(label=_("Date"), widget=date_input())
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class _ChooseCommissioner(Form):
    commissioner = forms.TypedChoiceField(label=_("Commissioner"), coerce=int)

    def __init__(self, *args: Any, choices: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["commissioner"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "—"), *((u.pk, str(u)) for u in choices)]


class AssignForm(_ChooseCommissioner):
    version = forms.IntegerField(widget=forms.HiddenInput)


class HandoverForm(_ChooseCommissioner):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commissioner"].label = _("Successor")

    deactivate = forms.BooleanField(
        label=_("The leaver stops taking cases"), required=False, initial=True
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class DeskForm(Form):
    office_phone = forms.CharField(label=_("Office phone"), required=False, max_length=20)
    active = forms.BooleanField(label=_("Takes cases"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class CadenceForm(Form):
    level = forms.CharField(widget=forms.HiddenInput, required=False, max_length=1)
    days = forms.IntegerField(label=_("Contact every (days)"), min_value=7, max_value=366)
    seen = forms.IntegerField(widget=forms.HiddenInput)
