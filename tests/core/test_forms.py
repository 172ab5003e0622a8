"""The shared form base gives each widget the CSS framework's class for its kind."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from django import forms

from gridlight.core.forms import Form, bounded_formset


class _Sample(Form):
    name = forms.CharField()
    kind = forms.ChoiceField(choices=[("a", "A")])
    talent = forms.BooleanField(required=False)
    method = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)
    tags = forms.MultipleChoiceField(choices=[("a", "A")], widget=forms.CheckboxSelectMultiple)
    token = forms.CharField(widget=forms.HiddenInput)


def test_widgets_get_the_class_of_their_kind() -> None:
    form = _Sample()
    classes = {name: field.widget.attrs.get("class") for name, field in form.fields.items()}
    assert classes == {
        "name": "form-control",
        "kind": "form-select",
        "talent": "form-check-input",  # a wide text box was drawn for a tick box
        "method": "form-check-input",
        "tags": "form-check-input",
        "token": None,
    }
    assert 'class="form-check-input"' in str(form["talent"])


def test_a_posted_row_count_cannot_inflate_a_formset() -> None:
    """A post claiming 10**20 rows once made Django build, validate and render 1,000 forms per
    formset (a minute of a worker for one request); a bounded formset builds at most its
    maximum and says what is wrong."""
    rows = bounded_formset(_Row, max_num=3)
    data = {
        "r-TOTAL_FORMS": "99999999999999999999",
        "r-INITIAL_FORMS": "0",
        "r-MIN_NUM_FORMS": "0",
        "r-MAX_NUM_FORMS": "1000",
    }
    formset = rows(data, prefix="r")
    assert not formset.is_valid()
    assert len(formset.forms) == 3
    assert formset.non_form_errors()


def test_every_formset_in_the_project_is_bounded() -> None:
    found = []
    for module in _form_modules():
        for value in vars(module).values():
            formset = isinstance(value, type) and issubclass(value, forms.BaseFormSet)
            if formset and value is not forms.BaseFormSet:
                found.append((module.__name__, value.absolute_max, value.validate_max))
    assert found, "the scan found no formset: it looks in the wrong place"
    assert [f for f in found if f[1] > 100 or not f[2]] == []


class _Row(Form):
    name = forms.CharField(required=False)


def _form_modules() -> list[ModuleType]:
    import gridlight

    names = [m.name for m in pkgutil.walk_packages(gridlight.__path__, "gridlight.")]
    return [importlib.import_module(n) for n in names if n.rsplit(".", 1)[-1].endswith("forms")]
