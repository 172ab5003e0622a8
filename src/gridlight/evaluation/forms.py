from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridlight.core.forms import Form
from gridlight.evaluation.models import Criterion
from gridlight.evaluation.services import plain


class SheetForm(Form):
    """A judge's sheet: one number per criterion within its range, on a phone's number pad."""

    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    confirm = forms.BooleanField(
        label=_("Confirm and seal (it cannot change afterwards)"), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, criteria: list[Criterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for c in criteria:
            self.fields[f"c{c.pk}"] = forms.DecimalField(
                label=f"{c.name}（{plain(c.min_score)}–{plain(c.max_score)}）",
                min_value=c.min_score,
                max_value=c.max_score,
                decimal_places=2,
                widget=forms.NumberInput(
                    attrs={"inputmode": "decimal", "step": "0.01", "class": "form-control"}
                ),
            )
        # The criteria first, as the judge reads them.
        self.order_fields([f"c{c.pk}" for c in criteria] + ["note", "confirm", "version"])

    def scores(self) -> dict[str, str]:
        return {str(c.pk): str(self.cleaned_data[f"c{c.pk}"]) for c in self.criteria}
