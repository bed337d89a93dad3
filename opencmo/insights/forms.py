"""The dashboard filter (a GET form, so the URL keeps it and links can be shared)."""

from __future__ import annotations

import datetime as dt

from django import forms

from opencmo.insights.selectors import DEFAULT_PERIOD, PERIODS, Filters, period_range

MAX_DAYS = 3 * 366  # longer ranges are refused: the trend charts would be unreadable anyway


class FilterForm(forms.Form):
    period = forms.ChoiceField(choices=list(PERIODS.items()), required=False, initial=DEFAULT_PERIOD)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.ChoiceField(required=False)
    objective = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(
        self, data, *, channels: list[str], objectives: list[tuple[int, str]], anchor: dt.date, **kw
    ):
        super().__init__(data, **kw)
        self.anchor = anchor
        self.fields["channel"].choices = [("", "All channels"), *((c, c) for c in channels)]
        self.fields["objective"].choices = [("", "All objectives"), *objectives]

    def clean(self):
        data = super().clean()
        period = data.get("period") or DEFAULT_PERIOD
        data["period"] = period
        if period == "custom":
            start, end = data.get("start"), data.get("end")
            if not start:
                self.add_error("start", "Choose the first day, or pick a named period.")
            if not end:
                self.add_error("end", "Choose the last day, or pick a named period.")
            if start and end and start > end:
                self.add_error("end", "The last day must not be before the first day.")
            if start and end and (end - start).days >= MAX_DAYS:
                self.add_error("start", "Choose at most three years.")
        return data

    def filters(self) -> Filters:
        """The valid filters, or the defaults for whatever was not valid (errors stay on the form)."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        period = data.get("period") or DEFAULT_PERIOD
        if period == "custom" and not self.errors and data.get("start") and data.get("end"):
            start, end = data["start"], data["end"]
        else:
            period = DEFAULT_PERIOD if period == "custom" else period
            start, end = period_range(period, self.anchor)
        channel = data.get("channel") if "channel" not in self.errors else ""
        objective = data.get("objective") if "objective" not in self.errors else None
        return Filters(start=start, end=end, period=period, channel=channel or "", objective_id=objective)


def filter_form(
    request,
    *,
    channels: list[str],
    objectives: list[tuple[int, str]],
    anchor: dt.date,
    default: tuple[dt.date, dt.date] | None = None,
) -> FilterForm:
    """The filter form of a request; `default` (start, end) replaces the default period when the URL
    names no filter (a campaign page opens on the campaign's own dates)."""
    data = request.GET or None
    if data is None and default is not None:
        data = {"period": "custom", "start": default[0].isoformat(), "end": default[1].isoformat()}
    form = FilterForm(data, channels=channels, objectives=objectives, anchor=anchor)
    if form.is_bound:
        form.is_valid()
    return form
