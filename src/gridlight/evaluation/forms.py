from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridlight.core.forms import Form, date_input
from gridlight.core.models import Region, RegionLevel, ServicePosition, User
from gridlight.core.params import parse_id
from gridlight.evaluation.models import (
    AttendanceStatus,
    CadreKind,
    Criterion,
    Entrant,
    FocusArea,
    Judge,
    Measure,
    Round,
    StandardItem,
)
from gridlight.evaluation.services import CriterionInput, TaskInput, plain
from gridlight.tickets.models import Category


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


# --- set-up forms (the district's managers; a street for its own entry) --------------------------


def _lines(text: str) -> list[list[str]]:
    """Lines of comma-separated cells (full- or half-width commas), blank lines skipped."""
    return [
        [cell.strip() for cell in line.replace("，", ",").split(",")]
        for line in text.splitlines()
        if line.strip()
    ]


def _number(text: str, line: int) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise forms.ValidationError(
            _("Line %(n)s: %(v)s is not a number.") % {"n": line, "v": text or "—"}
        ) from None
    if not value.is_finite():
        raise forms.ValidationError(_("Line %(n)s: not a number.") % {"n": line})
    return value


class CycleForm(Form):
    district = forms.ModelChoiceField(label=_("District"), queryset=Region.objects.none())
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    arenas = forms.DecimalField(label=_("Weight of the arenas (%)"), initial=40, min_value=0)
    assessment = forms.DecimalField(
        label=_("Weight of the half-year assessment (%)"), initial=30, min_value=0
    )
    observation = forms.DecimalField(
        label=_("Weight of the year-end observation (%)"), initial=30, min_value=0
    )
    leading = forms.DecimalField(label=_("Leading from (points)"), initial=85, min_value=0)
    advanced = forms.DecimalField(label=_("Advanced from (points)"), initial=75, min_value=0)

    def __init__(self, *args: Any, districts: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["district"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = districts
        if len(districts) == 1:
            field.initial = districts[0].pk


class CycleWeightsForm(Form):
    arenas = forms.DecimalField(label=_("Weight of the arenas (%)"), min_value=0)
    assessment = forms.DecimalField(label=_("Weight of the half-year assessment (%)"), min_value=0)
    observation = forms.DecimalField(label=_("Weight of the year-end observation (%)"), min_value=0)
    leading = forms.DecimalField(label=_("Leading from (points)"), min_value=0)
    advanced = forms.DecimalField(label=_("Advanced from (points)"), min_value=0)
    version = forms.IntegerField(widget=forms.HiddenInput)


class EventForm(Form):
    held_on = forms.DateField(label=_("Date"), widget=date_input())
    agenda = forms.CharField(
        label=_("Agenda"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    minutes = forms.CharField(
        label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class StreetChoiceForm(Form):
    """A form with a street of the year's district to choose (set by the view)."""

    street = forms.ModelChoiceField(label=_("Street"), queryset=Region.objects.none())

    def __init__(self, *args: Any, streets: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["street"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = streets


class AttendanceForm(StreetChoiceForm):
    status = forms.ChoiceField(label=_("Attendance"), choices=AttendanceStatus.choices)
    attendee = forms.CharField(label=_("Attendee"), max_length=60, required=False)


class ActionItemForm(StreetChoiceForm):
    title = forms.CharField(label=_("Action item"), max_length=200)
    workdays = forms.IntegerField(
        label=_("Due in working days"), min_value=1, max_value=120, initial=10
    )
    owner_name = forms.CharField(label=_("Owner"), max_length=60)


class EscalateForm(Form):
    category = forms.ModelChoiceField(label=_("Ticket category"), queryset=Category.objects.none())
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Category.objects.filter(active=True).order_by("sort_order", "code")


class RoundForm(Form):
    title = forms.CharField(label=_("Title"), max_length=120, required=False)
    level = forms.TypedChoiceField(
        label=_("Who competes"),
        coerce=int,
        choices=[(RegionLevel.STREET, _("Streets")), (RegionLevel.COMMUNITY, _("Communities"))],
    )
    criteria = forms.CharField(
        label=_("Criteria"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One per line: name, weight (%), highest score[, lowest score]. "
            "The weights add up to 100."
        ),
    )
    entrants = forms.CharField(
        label=_("Entrants (region codes)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Blank: every street (or community) of the district, in the tree's order."),
    )
    trim = forms.IntegerField(
        label=_("Scores dropped at each end"), min_value=0, max_value=3, initial=1
    )
    trim_min = forms.IntegerField(
        label=_("Only with at least this many judges"), min_value=1, max_value=50, initial=5
    )
    deviation_z = forms.DecimalField(
        label=_("Flag a sheet beyond (standard deviations)"),
        min_value=1,
        max_value=10,
        decimal_places=2,
        initial=Decimal("2.5"),
    )

    def clean_criteria(self) -> list[CriterionInput]:
        parsed = []
        for n, cells in enumerate(_lines(self.cleaned_data["criteria"]), start=1):
            if len(cells) not in (3, 4):
                raise forms.ValidationError(
                    _("Line %(n)s: write name, weight, highest score[, lowest score].") % {"n": n}
                )
            low = _number(cells[3], n) if len(cells) == 4 else Decimal(0)
            parsed.append(CriterionInput(cells[0], _number(cells[1], n), _number(cells[2], n), low))
        if not parsed:
            raise forms.ValidationError(_("A round needs at least one criterion."))
        return parsed

    def clean_entrants(self) -> list[str]:
        text = self.cleaned_data["entrants"].replace("，", ",").replace(",", " ")
        return [code for code in text.split() if code]


class JudgeForm(Form):
    user = forms.ModelChoiceField(label=_("Evaluator"), queryset=User.objects.none())

    def __init__(self, *args: Any, candidates: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = candidates


class ConflictForm(Form):
    judge = forms.ModelChoiceField(label=_("Judge"), queryset=Judge.objects.none())
    entrant = forms.ModelChoiceField(label=_("Entrant"), queryset=Entrant.objects.none())
    reason = forms.CharField(label=_("Conflict"), max_length=200)

    def __init__(self, *args: Any, round_: Round, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        judge, entrant = self.fields["judge"], self.fields["entrant"]
        assert isinstance(judge, forms.ModelChoiceField)
        assert isinstance(entrant, forms.ModelChoiceField)
        judge.queryset = round_.judges.select_related("user")
        entrant.queryset = round_.entrants.select_related("region")


class BrandForm(StreetChoiceForm):
    project = forms.CharField(label=_("Key project"), max_length=120)
    brand = forms.CharField(label=_("Brand"), max_length=60)
    focus_area = forms.ChoiceField(label=_("Focus area"), choices=FocusArea.choices)
    goals = forms.CharField(
        label=_("Goals"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class MilestoneForm(Form):
    title = forms.CharField(label=_("Milestone"), max_length=120)
    planned_on = forms.DateField(label=_("Planned date"), widget=date_input())
    weight = forms.IntegerField(label=_("Weight"), min_value=1, max_value=100, initial=1)


class AssessmentForm(Form):
    period_start = forms.DateField(label=_("From"), widget=date_input())
    period_end = forms.DateField(label=_("To"), widget=date_input())


class TasksForm(StreetChoiceForm):
    tasks = forms.CharField(
        label=_("Evaluation tasks"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One per line: task, weight (%). A street's weights add up to 100."),
    )

    def clean_tasks(self) -> list[TaskInput]:
        parsed = []
        for n, cells in enumerate(_lines(self.cleaned_data["tasks"]), start=1):
            if len(cells) != 2:
                raise forms.ValidationError(_("Line %(n)s: write task, weight.") % {"n": n})
            parsed.append(TaskInput(cells[0], _number(cells[1], n)))
        return parsed


class RouteForm(Form):
    starts_at = forms.DateTimeField(
        label=_("First stop starts at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    minutes = forms.IntegerField(
        label=_("Minutes per stop"), min_value=10, max_value=240, initial=40
    )
    stops = forms.CharField(
        label=_("Stops (region codes, in order)"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    observers = forms.ModelMultipleChoiceField(
        label=_("Observers"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, candidates: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["observers"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = candidates

    def clean_stops(self) -> list[str]:
        text = self.cleaned_data["stops"].replace("，", ",").replace(",", " ")
        codes = [c for c in text.split() if c]
        if not codes:
            raise forms.ValidationError(_("List at least one stop."))
        return codes


class CadreForm(Form):
    region = forms.ModelChoiceField(label=_("Community"), queryset=Region.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=CadreKind.choices)
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60)
    post = forms.CharField(label=_("Post"), max_length=60)

    def __init__(self, *args: Any, communities: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = communities


class ParticipationForm(Form):
    measure = forms.ModelChoiceField(label=_("Measure"), queryset=Measure.objects.all())
    started_on = forms.DateField(label=_("From"), widget=date_input())
    ended_on = forms.DateField(label=_("To"), widget=date_input(), required=False)
    unit = forms.CharField(label=_("Unit"), max_length=120, required=False)
    hours = forms.DecimalField(
        label=_("Hours"), min_value=0, max_value=2000, decimal_places=1, initial=0
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


def position_label(position: ServicePosition) -> str:
    """A position as the search list shows it: its name, code and region (names repeat)."""
    return f"{position.name} · {position.code} · {position.region.name}"


class PositionSearch(forms.Select):
    """A search box above a short list: typing asks ``search_url`` (htmx) for the matching
    positions in the user's scope, which replace the list's options. The list holds only the
    chosen position until then, never every position of the district."""

    template_name = "evaluation/_position_search.html"

    def __init__(self, search_url: str) -> None:
        super().__init__(attrs={"size": 6})
        self.search_url = search_url

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["search_url"] = self.search_url
        return context


class InspectionForm(Form):
    position = forms.ModelChoiceField(
        label=_("Position"),
        queryset=ServicePosition.objects.none(),
        help_text=_("Type part of the name, code or address, then choose from the list."),
    )
    inspected_on = forms.DateField(label=_("Inspected on"), widget=date_input())
    failed = forms.ModelMultipleChoiceField(
        label=_("Items failed"),
        queryset=StandardItem.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    deadline_workdays = forms.IntegerField(
        label=_("Time to fix (working days)"), min_value=1, max_value=120, initial=20
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(
        self, *args: Any, positions: QuerySet[ServicePosition], search_url: str, **kwargs: Any
    ) -> None:
        """``positions``: those the user may inspect; the choice is checked against them (one
        query), and only the chosen one is rendered."""
        super().__init__(*args, **kwargs)
        field = self.fields["position"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = positions
        field.widget = PositionSearch(search_url)
        chosen = parse_id(self.data.get("position")) if self.is_bound else None
        picked = positions.filter(pk=chosen).first() if chosen is not None else None
        choices = [(picked.pk, position_label(picked))] if picked is not None else []
        field.widget.choices = [("", "—"), *choices]
