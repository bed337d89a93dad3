"""Forms for the budget pages. Every choice list is limited to the current workspace (and plan)."""

import datetime as dt
from decimal import Decimal

from django import forms

from opencmo.budget import ledger
from opencmo.budget.models import BudgetLine, BudgetPlan, SpendEntry
from opencmo.campaigns.models import Campaign, Channel
from opencmo.core.models import Workspace
from opencmo.org.models import Person
from opencmo.strategy.models import Objective

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


def money_field(**kwargs) -> forms.DecimalField:
    kwargs.setdefault("max_digits", 16)
    kwargs.setdefault("decimal_places", 2)
    kwargs.setdefault("widget", forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))
    return forms.DecimalField(**kwargs)


class MonthField(forms.DateField):
    """A month picker (<input type=month>, "2026-03"); also accepts a full date. Cleans to the 1st."""

    widget = MONTH
    input_formats = ["%Y-%m", "%Y-%m-%d"]

    def to_python(self, value):
        day = super().to_python(value)
        return ledger.month_start(day) if day else day


def _people(workspace: Workspace):
    return Person.objects.filter(workspace=workspace, is_active=True)


class PlanForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="E.g. “FY 2027”.")
    start_date = forms.DateField(widget=DATE, label="First day")
    end_date = forms.DateField(widget=DATE, label="Last day")
    total = money_field(min_value=0, label="Total budget")
    accountable = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        required=False,
        empty_label="The CMO (default)",
        help_text="Shapes the allocation and approves reallocations within their authority.",
    )
    responsible = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text="Enter spend and request reallocations (Ctrl/⌘-click for several). Empty: the marketing "
        "managers.",
    )
    restricted = forms.BooleanField(
        required=False, help_text="Only its RACI people and administrators see it."
    )

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accountable"].queryset = _people(workspace)
        self.fields["responsible"].queryset = _people(workspace)
        if not self.is_bound:
            year = dt.date.today().year + 1
            self.initial.setdefault("name", f"FY {year}")
            self.initial.setdefault("start_date", dt.date(year, 1, 1))
            self.initial.setdefault("end_date", dt.date(year, 12, 31))


class PlanEditForm(forms.Form):
    name = forms.CharField(max_length=100)
    start_date = forms.DateField(widget=DATE, label="First day")
    end_date = forms.DateField(widget=DATE, label="Last day")
    status = forms.ChoiceField(choices=BudgetPlan.Status.choices)
    restricted = forms.BooleanField(
        required=False, help_text="Only its RACI people and administrators see it."
    )


class AllocateForm(forms.Form):
    parent = forms.ModelChoiceField(queryset=BudgetLine.objects.none(), label="Under")
    level = forms.ChoiceField(
        choices=[c for c in BudgetLine.Level.choices if c[0] != BudgetLine.Level.TOTAL], label="Kind of line"
    )
    objective = forms.ModelChoiceField(queryset=Objective.objects.none(), required=False)
    channel = forms.ModelChoiceField(queryset=Channel.objects.none(), required=False)
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), required=False)
    name = forms.CharField(
        max_length=200, required=False, help_text="Empty: the objective, channel or campaign."
    )
    amount = money_field(min_value=0)
    accountable = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        required=False,
        empty_label="The plan's Accountable person",
        help_text="Gets the over/under-spend alerts.",
    )

    def __init__(self, *args, plan: BudgetPlan, parent_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        ws = plan.workspace
        self.fields["parent"].queryset = BudgetLine.objects.filter(plan=plan)
        if parent_choices is not None:
            self.fields["parent"].choices = parent_choices
        self.fields["objective"].queryset = Objective.objects.filter(workspace=ws)
        self.fields["channel"].queryset = Channel.objects.filter(workspace=ws)
        self.fields["campaign"].queryset = Campaign.objects.filter(workspace=ws)
        self.fields["accountable"].queryset = _people(ws)


class ResizeForm(forms.Form):
    amount = money_field(min_value=0, label="New amount")


class LineEditForm(forms.Form):
    name = forms.CharField(max_length=200)
    accountable = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        required=False,
        empty_label="The plan's Accountable person",
        help_text="Gets this line's over/under-spend alerts.",
    )

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accountable"].queryset = _people(workspace)


class MonthsForm(forms.Form):
    """The phasing editor: planned and forecast for every month of the plan."""

    def __init__(self, *args, months: list[dt.date], can_plan: bool, can_forecast: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.months = months
        for month in months:
            key = f"{month:%Y-%m}"
            self.fields[f"planned_{key}"] = money_field(
                min_value=0, label=f"Planned {month:%b %Y}", disabled=not can_plan, required=can_plan
            )
            self.fields[f"forecast_{key}"] = money_field(
                min_value=0, label=f"Forecast {month:%b %Y}", required=False, disabled=not can_forecast
            )
            for kind in ("planned", "forecast"):
                field = self.fields[f"{kind}_{key}"]
                field.widget.attrs = {**field.widget.attrs, "aria-label": field.label, "class": "budget-cell"}

    def planned(self) -> dict:
        return {m: self.cleaned_data[f"planned_{m:%Y-%m}"] for m in self.months}

    def forecast(self) -> dict:
        return {m: self.cleaned_data.get(f"forecast_{m:%Y-%m}") for m in self.months}


class CommitmentForm(forms.Form):
    supplier = forms.CharField(max_length=150)
    reference = forms.CharField(max_length=100, required=False, label="PO / agreement no.")
    month = MonthField()
    amount = money_field(min_value=Decimal("0.01"))
    note = forms.CharField(max_length=300, required=False)


class SpendForm(forms.Form):
    date = forms.DateField(widget=DATE)
    amount = money_field(help_text="Negative for a refund or credit note.")
    currency = forms.CharField(max_length=3, required=False, help_text="Empty: the workspace currency.")
    line = forms.ModelChoiceField(queryset=BudgetLine.objects.none(), required=False, label="Budget line")
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(),
        required=False,
        help_text="Or the campaign: its budget line is found.",
    )
    description = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, workspace: Workspace, plans, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = BudgetLine.objects.filter(
            workspace=workspace, plan__in=plans
        ).select_related("plan")
        self.fields["line"].label_from_instance = lambda line: f"{line.plan.name} · {line.name}"
        self.fields["campaign"].queryset = Campaign.objects.filter(workspace=workspace)
        self.fields["currency"].widget.attrs.update({"placeholder": workspace.currency, "size": 4})


class SpendFilterForm(forms.Form):
    plan = forms.ModelChoiceField(queryset=BudgetPlan.objects.none(), required=False, empty_label="All plans")
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(), required=False, empty_label="All campaigns"
    )
    channel = forms.ModelChoiceField(
        queryset=Channel.objects.none(), required=False, empty_label="All channels"
    )
    date_from = forms.DateField(widget=DATE, required=False, label="From")
    date_to = forms.DateField(widget=DATE, required=False, label="To")
    matched = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Matched or not"),
            ("matched", "On a budget line"),
            ("noline", "Without a budget line"),
            ("unmatched", "Unmatched (no campaign)"),
        ],
    )
    source = forms.ChoiceField(required=False, choices=[("", "Any source"), *SpendEntry.Source.choices])
    q = forms.CharField(required=False, label="Search")

    def __init__(self, *args, workspace: Workspace, plans, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans
        self.fields["campaign"].queryset = Campaign.objects.filter(workspace=workspace)
        self.fields["channel"].queryset = Channel.objects.filter(workspace=workspace)


class MapForm(forms.Form):
    platform = forms.CharField(max_length=40, widget=forms.HiddenInput)
    external_campaign = forms.CharField(max_length=255, widget=forms.HiddenInput)
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(), label="Our campaign", empty_label="Choose a campaign…"
    )

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.filter(workspace=workspace)


class RateForm(forms.Form):
    currency = forms.CharField(max_length=3, help_text="Three letters, e.g. EUR.")
    date = forms.DateField(widget=DATE)
    rate = forms.DecimalField(
        max_digits=18,
        decimal_places=8,
        min_value=0,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rate"].help_text = f"Units of {workspace.currency} for one unit of the currency."


class RateImportForm(forms.Form):
    file = forms.FileField(help_text="CSV with the columns currency,date,rate (a header row).")
    dry_run = forms.BooleanField(required=False, label="Check only, save nothing")


class ReallocationForm(forms.Form):
    from_line = forms.ModelChoiceField(queryset=BudgetLine.objects.none(), label="From")
    to_line = forms.ModelChoiceField(queryset=BudgetLine.objects.none(), label="To")
    amount = money_field(min_value=0)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, plan: BudgetPlan, line_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("from_line", "to_line"):
            self.fields[name].queryset = BudgetLine.objects.filter(plan=plan)
            if line_choices is not None:
                self.fields[name].choices = [("", "---------"), *line_choices]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class SignOffForm(forms.Form):
    decision = forms.ChoiceField(choices=[("agree", "Agree"), ("object", "Object")])
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
