"""Forms of the reports pages: they parse and check input; services do the work."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otklik.reports.models import Measure, ReportKind, SstuResult
from otklik.reports.selectors import DEFAULT_MIN_VOLUME, MAX_DASHBOARD_DAYS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class MonthField(forms.CharField):
    """A month as YYYY-MM (the browser's month picker); cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month"})

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]
        value = super().to_python(value)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(f"{value}-01")
        except ValueError:
            raise forms.ValidationError(_("Enter a month as YYYY-MM.")) from None


class DashboardForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    organization = forms.TypedChoiceField(label=_("Organisation"), required=False, coerce=int, empty_value=None)
    territory = forms.TypedChoiceField(label=_("Territory"), required=False, coerce=int, empty_value=None)
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    regime = forms.ChoiceField(label=_("Kind of message"), required=False)
    min_volume = forms.IntegerField(label=_("Rank organisations with at least this many answers"), required=False,
                                    min_value=0, initial=DEFAULT_MIN_VOLUME)

    def __init__(self, *args: Any, choices: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", _("all"))]
        self.fields["organization"].choices = everything + choices["organizations"]  # type: ignore[attr-defined]
        self.fields["territory"].choices = everything + choices["territories"]  # type: ignore[attr-defined]
        self.fields["category"].choices = everything + choices["categories"]  # type: ignore[attr-defined]
        self.fields["regime"].choices = everything + choices["regimes"]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The period must start before it ends."))
        date_to = data.get("date_to") or timezone.localdate()  # the view's default end
        if data.get("date_from") and (date_to - data["date_from"]).days >= MAX_DASHBOARD_DAYS:
            raise forms.ValidationError(_("The period may be at most three years."))
        return data


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of report"), choices=ReportKind.choices)
    month = MonthField(label=_("Month (any month of the quarter)"))
    organization = forms.TypedChoiceField(label=_("Organisation"), required=False, coerce=int, empty_value=None)
    replace = forms.BooleanField(label=_("Make it again if it exists (the frozen copy is replaced)"), required=False)

    def __init__(self, *args: Any, organizations: list[tuple[int, str]], region_wide: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[Any, Any]] = [("", _("the whole region"))] if region_wide else []
        self.fields["organization"].choices = choices + organizations  # type: ignore[attr-defined]
        if not region_wide:
            del self.fields["replace"]
        previous = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
        self.fields["month"].initial = previous.strftime("%Y-%m")


class DecisionForm(forms.Form):
    measure = forms.ChoiceField(label=_("Decision"), choices=Measure.choices)
    person = forms.TypedChoiceField(label=_("Person"), required=False, coerce=int, empty_value=None)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", _("the organisation as a whole")), *people]  # type: ignore[attr-defined]


class SstuExportForm(forms.Form):
    month = MonthField(label=_("Month"))
    organization = forms.TypedChoiceField(label=_("Organisation"), required=False, coerce=int, empty_value=None)
    push = forms.BooleanField(label=_("Send to the connector as well"), required=False)

    def __init__(self, *args: Any, organizations: list[tuple[int, str]], region_wide: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[Any, Any]] = [("", _("every organisation"))] if region_wide else []
        self.fields["organization"].choices = choices + organizations  # type: ignore[attr-defined]


class SstuResultForm(forms.Form):
    result = forms.ChoiceField(label=_("Result of consideration"), choices=SstuResult.Result.choices)
    actions_taken = forms.BooleanField(label=_("Measures taken (for a supported appeal)"), required=False)
    attachment = forms.FileField(label=_("Answer file (optional: otherwise the answer text is sent)"),
                                 required=False)
