"""Forms for the core pages: they validate input; services do the work."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridlight.core.models import PositionKind, Region, RegionKind, Role
from gridlight.core.models.regions import KIND_LEVEL

# Roles that change nothing in the region tree by default: their write scope starts empty.
READ_ONLY_ROLES = {
    Role.DEPARTMENT_HANDLER,
    Role.EVALUATOR,
    Role.RESIDENT,
    Role.TALENT,
    Role.ENTERPRISE,
}


def date_input() -> forms.DateInput:
    """The browser's date picker; its value is always ISO (YYYY-MM-DD), whatever the language."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def bounded_formset(form: type[forms.Form], *, max_num: int) -> type[forms.BaseFormSet[Any]]:
    """A formset of at most ``max_num`` rows (one blank row shown for adding) that a post cannot
    inflate: a management form claiming more rows is refused with a message, and no more than
    ``max_num`` forms are ever built. Django's own ceiling is ``max_num`` + 1,000, which a
    hostile post fills with a thousand forms to validate and render (a minute of a worker)."""
    return forms.formset_factory(
        form,
        extra=1,
        can_delete=True,
        max_num=max_num,
        validate_max=True,
        absolute_max=max_num,
    )


class Form(forms.Form):
    """A form whose widgets carry the CSS framework's classes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                css = "form-check-input"  # a tick box or a round button, not a text box
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)


class LoginForm(Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)


class RegionForm(Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=RegionKind.choices)
    sort_order = forms.IntegerField(label=_("Sort order"), min_value=0, initial=0)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, level: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = [(k.value, k.label) for k in RegionKind if KIND_LEVEL[k] == level]


class PositionForm(Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PositionKind.choices)
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.none(), to_field_name="code"
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    longitude = forms.DecimalField(
        label=_("Longitude"),
        max_digits=9,
        decimal_places=6,
        required=False,
        min_value=-180,
        max_value=180,
    )
    latitude = forms.DecimalField(
        label=_("Latitude"),
        max_digits=9,
        decimal_places=6,
        required=False,
        min_value=-90,
        max_value=90,
    )
    opening_hours = forms.CharField(label=_("Opening hours"), max_length=100, required=False)
    services = forms.CharField(
        label=_("Services (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    phone = forms.CharField(label=_("Service phone"), max_length=30, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = regions
        field.label_from_instance = lambda r: f"{r.code} {r.name}"  # type: ignore[method-assign,assignment]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("longitude") is None) != (data.get("latitude") is None):
            raise forms.ValidationError(_("Give both longitude and latitude, or neither."))
        return data

    def service_fields(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "kind": d["kind"],
            "code": d["code"],
            "name": d["name"],
            "address": d["address"],
            "longitude": d["longitude"],
            "latitude": d["latitude"],
            "opening_hours": d["opening_hours"],
            "phone": d["phone"],
            "services": [s for s in d["services"].splitlines() if s.strip()],
        }


class UploadForm(Form):
    """An import's upload: at most IMPORT_MAX_BYTES, with one of ``suffixes`` (the guarded
    reader then checks what the file really is)."""

    file = forms.FileField(
        label=_("Excel workbook (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xlsm"}),
    )
    suffixes: tuple[str, ...] = (".xlsx", ".xlsm", ".xls")
    wrong_kind = _("Upload an Excel workbook (.xlsx).")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)}
            )
        if not upload.name.lower().endswith(self.suffixes):
            raise forms.ValidationError(self.wrong_kind)
        return upload


class PositionFilterForm(Form):
    q = forms.CharField(label=_("Search"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *PositionKind.choices]
    )
    region = forms.CharField(label=_("Region code"), required=False)


class AuditFilterForm(Form):
    actor = forms.CharField(label=_("Actor"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)
    obj = forms.CharField(label=_("Object"), required=False)
    region = forms.CharField(label=_("Region code"), required=False)
    since = forms.DateField(
        label=_("From"),
        required=False,
        widget=date_input(),
    )
    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=date_input(),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from gridlight.core.audit import action_choices

        super().__init__(*args, **kwargs)
        field = self.fields["action"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("All")), *action_choices()]


class TokenForm(Form):
    name = forms.CharField(label=_("Token name"), max_length=80)
    days = forms.IntegerField(
        label=_("Valid for (days; leave empty for no expiry)"),
        required=False,
        min_value=1,
        max_value=3650,
    )


class AssignmentForm(Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    region = forms.CharField(
        label=_("Region code"),
        required=False,
        help_text=_("Empty for residents, talents and enterprises."),
    )
    write_region = forms.CharField(
        label=_("Write scope region code"),
        required=False,
        help_text=_("Empty: the same region for roles that change data; '-' for read-only."),
    )

    def __init__(
        self, *args: Any, regions: Any, roles: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.regions = regions
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = roles

    def _region(self, code: str) -> Region | None:
        if not code:
            return None
        region = self.regions.filter(code=code.strip()).first()
        if region is None:
            raise forms.ValidationError(_("No region with this code in your scope."))
        return region  # type: ignore[no-any-return]

    def clean_region(self) -> Region | None:
        return self._region(self.cleaned_data["region"])

    def clean_write_region(self) -> Region | str | None:
        code = self.cleaned_data["write_region"].strip()
        return "-" if code == "-" else self._region(code)

    def write_scope(self) -> Region | None:
        """The write region: as given, or the view region for roles that change data."""
        write = self.cleaned_data["write_region"]
        if write == "-":
            return None
        if write is None and self.cleaned_data["role"] not in READ_ONLY_ROLES:
            return self.cleaned_data["region"]  # type: ignore[no-any-return]
        return write  # type: ignore[no-any-return]


class UserCreateForm(AssignmentForm):
    username = forms.RegexField(
        label=_("User name"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        help_text=_("Letters, digits and @ . + - _ only."),
    )
    display_name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60)
    password = forms.CharField(label=_("Initial password"), strip=False, widget=forms.PasswordInput)
    field_order = ["username", "display_name", "password", "role", "region", "write_region"]


class UserFilterForm(Form):
    q = forms.CharField(label=_("Search"), required=False)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("All roles")), *Role.choices]
    )


MAP_LEVELS = {"street": 1, "community": 2, "grid": 3}


class MapFilterForm(PositionFilterForm):
    level = forms.ChoiceField(
        label=_("Outlines"),
        required=False,
        choices=[
            ("", _("Automatic")),
            ("street", _("Streets")),
            ("community", _("Communities")),
            ("grid", _("Grids")),
        ],
    )


class OutlineUploadForm(UploadForm):
    file = forms.FileField(
        label=_("GeoJSON file (.geojson or .json)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json"}),
    )
    suffixes = (".geojson", ".json")
    wrong_kind = _("Upload a GeoJSON file (.geojson or .json).")
