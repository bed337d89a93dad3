"""Forms of the reviews pages; the services re-check everything."""

from django import forms

from opencmo.budget.models import BudgetLine, BudgetPlan
from opencmo.core.models import Workspace
from opencmo.org.models import Person
from opencmo.reviews.models import Review, ReviewCycle, ReviewDecision


def _people(workspace: Workspace):
    return Person.objects.filter(workspace=workspace, is_active=True).order_by("name")


class DateInput(forms.DateInput):
    input_type = "date"


class CycleForm(forms.Form):
    kind = forms.ChoiceField(choices=ReviewCycle.Kind.choices, label="Kind of review")
    name = forms.CharField(max_length=150)
    cadence = forms.ChoiceField(choices=ReviewCycle.Cadence.choices)
    first_date = forms.DateField(widget=DateInput, label="First meeting")
    chair = forms.ModelChoiceField(queryset=Person.objects.none())
    participants = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = _people(workspace)
        self.fields["participants"].queryset = _people(workspace)


class DecisionForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Decision")
    owner = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people(workspace)


class ActionForm(forms.Form):
    title = forms.CharField(max_length=200, label="Action")
    responsible = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(), help_text="Who does the work (Responsible)."
    )
    accountable = forms.ModelChoiceField(
        queryset=Person.objects.none(), help_text="The one person answerable for it (Accountable)."
    )
    due_date = forms.DateField(widget=DateInput, required=False)
    decision = forms.ModelChoiceField(
        queryset=ReviewDecision.objects.none(), required=False, label="From decision"
    )

    def __init__(self, *args, review: Review, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = _people(review.workspace)
        self.fields["responsible"].widget.attrs["size"] = 4
        self.fields["accountable"].queryset = _people(review.workspace)
        self.fields["decision"].queryset = review.decisions.all()


class ReallocationForm(forms.Form):
    from_line = forms.ModelChoiceField(queryset=BudgetLine.objects.none(), label="From line")
    to_line = forms.ModelChoiceField(queryset=BudgetLine.objects.none(), label="To line")
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0.01)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, review: Review, **kwargs):
        super().__init__(*args, **kwargs)
        lines = (
            BudgetLine.objects.filter(workspace=review.workspace, plan__status=BudgetPlan.Status.ACTIVE)
            .select_related("plan")
            .order_by("plan__start_date", "plan__name", "parent_id", "name")
        )
        for name in ("from_line", "to_line"):
            self.fields[name].queryset = lines
            self.fields[name].label_from_instance = lambda line: f"{line.plan.name} · {line.name}"


class FollowUpForm(forms.Form):
    follow_up = forms.ChoiceField(choices=ReviewDecision.FollowUp.choices, label="Follow-up")
    notes = forms.CharField(required=False, max_length=2000)


class CloseForm(forms.Form):
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Minutes")
