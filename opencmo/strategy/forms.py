"""Forms for the strategy pages. Every choice of a related object is limited to the current workspace."""

from django import forms
from django.db.models import Q
from django.utils import timezone

from opencmo.core.models import Workspace
from opencmo.org.models import Person
from opencmo.strategy.models import CompanyGoal, Kpi, KpiActual, Objective, Segment, StrategyVersion

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_PK = 2**63 - 1  # beyond this SQLite raises OverflowError instead of "no such row"


def _sane(value) -> bool:
    text = str(value).strip()
    return not text.lstrip("-").isdigit() or abs(int(text)) <= MAX_PK


class ChoiceOfOne(forms.ModelChoiceField):
    """A ModelChoiceField that answers "not a valid choice" to an absurd id instead of crashing."""

    def to_python(self, value):
        if value not in self.empty_values and not _sane(value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class ChoiceOfMany(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for item in value or ():
            if not _sane(item):
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                )
        return super()._check_values(value)


class GoalForm(forms.ModelForm):
    class Meta:
        model = CompanyGoal
        fields = ["title", "description", "target_year", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        labels = {"is_active": "Active (shown on the strategy page)"}
        help_texts = {"target_year": "The year the goal should be reached, if it has one."}


class ObjectiveForm(forms.ModelForm):
    class Meta:
        model = Objective
        fields = ["title", "description", "goals", "horizon", "owner", "start_date", "end_date", "status"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "goals": forms.CheckboxSelectMultiple,
            "start_date": DATE,
            "end_date": DATE,
        }
        labels = {"goals": "Company goals it serves", "owner": "Owner (Accountable)"}
        field_classes = {"owner": ChoiceOfOne, "goals": ChoiceOfMany}

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goals"].queryset = CompanyGoal.objects.filter(workspace=workspace, is_active=True)
        # Active people, plus the current owner even if they have left (so the form still shows them).
        self.fields["owner"].queryset = Person.objects.filter(workspace=workspace).filter(
            Q(is_active=True) | Q(pk=self.instance.owner_id or 0)
        )
        if not self.instance.pk:
            del self.fields["status"]

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The objective must end on or after its start date.")
        return data


class KpiForm(forms.ModelForm):
    class Meta:
        model = Kpi
        fields = [
            "name",
            "unit",
            "direction",
            "baseline",
            "target",
            "period_start",
            "period_end",
            "cumulative",
            "source",
            "metric_key",
        ]
        widgets = {"period_start": DATE, "period_end": DATE}
        labels = {"cumulative": "Cumulative: actuals add up over the period (leads, orders, revenue)"}
        help_texts = {
            "baseline": "Where the KPI stands when the period starts (0 for a count starting afresh).",
            "cumulative": "Leave unticked for a level that is read off (NPS, conversion, share of voice).",
            "metric_key": "For imported actuals: the metric's name in the analytics store (web.sessions).",
        }

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "The period must end on or after its start.")
        return data


class KpiActualForm(forms.ModelForm):
    class Meta:
        model = KpiActual
        fields = ["date", "value", "note"]
        widgets = {"date": DATE}
        help_texts = {"date": "Entering a date that already has a value replaces it."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()

    def validate_unique(self):
        """Re-entering a day replaces its value (the service does that), so no uniqueness error here."""


class SegmentForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["name", "description", "is_b2b"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        labels = {"is_b2b": "Business customers (B2B)"}

    def validate_unique(self):
        """The service checks the name case-insensitively and says so on the field."""


class StrategyDraftForm(forms.ModelForm):
    class Meta:
        model = StrategyVersion
        fields = ["positioning", "segments", "tone_of_voice", "competitors", "trends", "change_summary"]
        widgets = {
            "positioning": forms.Textarea(attrs={"rows": 4}),
            "segments": forms.CheckboxSelectMultiple,
            "tone_of_voice": forms.Textarea(attrs={"rows": 4}),
            "competitors": forms.Textarea(attrs={"rows": 4}),
            "trends": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {"segments": "Target segments", "change_summary": "What changes, and why"}
        field_classes = {"segments": ChoiceOfMany}
        help_texts = {
            "positioning": "For [target], [brand] is the [frame of reference] that [benefit], "
            "because [reason].",
            "competitors": "One per line, with what sets us apart.",
            "change_summary": "One line; shown in the history and in the approval request.",
        }

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segments"].queryset = Segment.objects.filter(workspace=workspace)


class StrategyDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Required when rejecting, and when approving your own proposal.",
    )
