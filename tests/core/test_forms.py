"""The shared form base gives each widget the CSS framework's class for its kind."""

from __future__ import annotations

from django import forms

from gridlight.core.forms import Form


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
