"""Forms for the enterprise and talent pages: they read input; talent/services.py validates and
writes (the same checks for the pages, the API and the roster import)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridlight.core.forms import Form, bounded_formset, date_input
from gridlight.core.industries import Industry
from gridlight.talent.models import (
    Degree,
    Housing,
    ListingStage,
    PlatformKind,
    PlatformLevel,
    SpouseEmployment,
    TagKind,
    TagLevel,
    TalentLevel,
    TalentOrigin,
)
from gridlight.talent.services import MAX_CHILDREN, MAX_PLATFORMS


def _all(label: Any, choices: Any) -> list[tuple[str, Any]]:
    return [("", label), *[(v, lbl) for v, lbl in choices if v]]


class EnterpriseFilterForm(Form):
    q = forms.CharField(
        label=_("Search"), required=False, help_text=_("Name or unified social credit code")
    )
    industry = forms.ChoiceField(
        label=_("Industry"), required=False, choices=_all(_("All industries"), Industry.choices)
    )
    tag = forms.ChoiceField(
        label=_("Tag"), required=False, choices=_all(_("All tags"), TagKind.choices)
    )
    tag_level = forms.ChoiceField(
        label=_("Tag level"), required=False, choices=_all(_("All levels"), TagLevel.choices)
    )
    tag_stage = forms.ChoiceField(
        label=_("Listing stage"),
        required=False,
        choices=_all(_("All stages"), ListingStage.choices),
    )
    street = forms.ChoiceField(label=_("Street"), required=False)
    commissioner = forms.ChoiceField(label=_("Commissioner"), required=False)

    def __init__(self, *args: Any, streets: Any = (), commissioners: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        _set(self, "street", [("", _("All streets")), *[(s.code, s.name) for s in streets]])
        _set(
            self,
            "commissioner",
            [("", _("All commissioners")), *[(str(u.pk), str(u)) for u in commissioners]],
        )


class TalentFilterForm(Form):
    q = forms.CharField(label=_("Search"), required=False, help_text=_("Name or ID number"))
    level = forms.ChoiceField(
        label=_("Talent level"),
        required=False,
        choices=_all(_("All levels"), TalentLevel.choices),
    )
    origin = forms.ChoiceField(
        label=_("How they came"),
        required=False,
        choices=_all(_("All origins"), TalentOrigin.choices),
    )
    degree = forms.ChoiceField(
        label=_("Degree"), required=False, choices=_all(_("All degrees"), Degree.choices)
    )
    street = forms.ChoiceField(label=_("Street"), required=False)
    employer = forms.IntegerField(widget=forms.HiddenInput, required=False)
    commissioner = forms.ChoiceField(label=_("Commissioner"), required=False)
    overdue = forms.BooleanField(label=_("Contact overdue"), required=False)

    def __init__(self, *args: Any, streets: Any = (), commissioners: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        _set(self, "street", [("", _("All streets")), *[(s.code, s.name) for s in streets]])
        _set(
            self,
            "commissioner",
            [("", _("All commissioners")), *[(str(u.pk), str(u)) for u in commissioners]],
        )


def _set(form: forms.Form, name: str, choices: list[tuple[str, Any]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class EnterpriseForm(Form):
    name = forms.CharField(label=_("Enterprise name"), max_length=120)
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=40)
    industry = forms.ChoiceField(label=_("Industry"), choices=Industry.choices)
    street = forms.ChoiceField(label=_("Street"))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    headcount = forms.IntegerField(label=_("Headcount"), required=False)
    revenue_yuan = forms.IntegerField(label=_("Last year's revenue (yuan)"), required=False)
    revenue_year = forms.IntegerField(label=_("Revenue year"), required=False)
    key_introduced_year = forms.IntegerField(
        label=_("Brought in as a key enterprise (year)"), required=False
    )
    srdi_level = forms.ChoiceField(
        label=_("专精特新 level"), required=False, choices=TagLevel.choices
    )
    srdi_year = forms.IntegerField(label=_("专精特新 year recognised"), required=False)
    listing_stage = forms.ChoiceField(
        label=_("Listing reserve stage"), required=False, choices=ListingStage.choices
    )
    listing_year = forms.IntegerField(label=_("Listing reserve since (year)"), required=False)
    commissioner = forms.ChoiceField(label=_("Commissioner"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        streets: Any = (),
        commissioners: Any = (),
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set(self, "street", [(s.code, s.name) for s in streets])
        if editing:
            del self.fields["commissioner"]
        else:
            _set(
                self,
                "commissioner",
                [("", _("None yet")), *[(str(u.pk), str(u)) for u in commissioners]],
            )


class PlatformForm(Form):
    name = forms.CharField(label=_("Platform name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=PlatformKind.choices)
    level = forms.ChoiceField(label=_("Level"), choices=PlatformLevel.choices)
    year = forms.IntegerField(label=_("Year recognised"))


PlatformFormSet = bounded_formset(PlatformForm, max_num=MAX_PLATFORMS)


class TalentForm(Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60)
    id_number = forms.CharField(label=_("ID card number"), max_length=30, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    street = forms.ChoiceField(label=_("Street"))
    level = forms.ChoiceField(label=_("Talent level"), choices=TalentLevel.choices)
    origin = forms.ChoiceField(
        label=_("How they came"), required=False, choices=_all("—", TalentOrigin.choices)
    )
    degree = forms.ChoiceField(label=_("Degree"), required=False, choices=_all("—", Degree.choices))
    field = forms.CharField(label=_("Field"), max_length=60, required=False)
    employer_code = forms.CharField(
        label=_("Employer's credit code"),
        max_length=40,
        required=False,
        help_text=_("An enterprise of the registry; otherwise name the institution below."),
    )
    employer_name = forms.CharField(label=_("Institution"), max_length=120, required=False)
    arrived_on = forms.DateField(
        label=_("Arrived in the district"), required=False, widget=date_input()
    )
    spouse_employment = forms.ChoiceField(
        label=_("Spouse's employment"),
        required=False,
        choices=_all("—", SpouseEmployment.choices),
    )
    housing = forms.ChoiceField(
        label=_("Housing"), required=False, choices=_all("—", Housing.choices)
    )
    commissioner = forms.ChoiceField(label=_("Commissioner"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        streets: Any = (),
        commissioners: Any = (),
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set(self, "street", [(s.code, s.name) for s in streets])
        if editing:
            del self.fields["commissioner"]
            for name in ("id_number", "phone"):
                self.fields[name].help_text = _("Leave empty to keep the number on record.")
        else:
            _set(
                self,
                "commissioner",
                [("", _("None yet")), *[(str(u.pk), str(u)) for u in commissioners]],
            )


class ChildForm(Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60, required=False)
    birth_date = forms.DateField(label=_("Birth date"), widget=date_input())


ChildFormSet = bounded_formset(ChildForm, max_num=MAX_CHILDREN)
