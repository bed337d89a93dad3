"""Forms for campaigns, channels, filters and the lifecycle; every choice is limited to the workspace."""

from django import forms
from django.db.models import Q

from opencmo.campaigns.models import Campaign, Channel
from opencmo.campaigns.services import START_STATUSES
from opencmo.core.models import Workspace
from opencmo.org.models import Person
from opencmo.strategy.models import Objective, Segment

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ObjectiveChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Objective) -> str:
        return f"{obj.title} ({obj.start_date:%b %Y} to {obj.end_date:%b %Y})"


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.name} · {obj.title}" if obj.title else obj.name


class PeopleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.name} · {obj.title}" if obj.title else obj.name


class CampaignForm(forms.Form):
    """The plan of a campaign. With `create=True` also its starting status and RACI."""

    name = forms.CharField(max_length=200)
    code = forms.CharField(
        max_length=80,
        required=False,
        help_text="Stable id for matching ad-platform campaign names and UTM tags. "
        "Left empty, it is made from the name.",
    )
    status = forms.ChoiceField(
        choices=[(s, Campaign.Status(s).label) for s in START_STATUSES],
        initial=Campaign.Status.IDEA,
        help_text="Planned: ready to ask for launch approval.",
    )
    start_date = forms.DateField(widget=DATE)
    end_date = forms.DateField(widget=DATE, help_text="Inclusive: the last day it runs.")
    objectives = ObjectiveChoice(
        queryset=Objective.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The objectives this campaign serves; its expected results are set on their KPIs.",
    )
    channels = forms.ModelMultipleChoiceField(
        queryset=Channel.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    segment = forms.ModelChoiceField(queryset=Segment.objects.none(), required=False, label="Target segment")
    agency = forms.CharField(max_length=150, required=False, help_text="External agency running it, if any.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    accountable = PersonChoice(
        queryset=Person.objects.none(),
        label="Accountable (A)",
        help_text="Owns the campaign: approves its work and launch (within their authority).",
    )
    responsible = PeopleChoice(
        queryset=Person.objects.none(),
        required=False,
        label="Responsible (R)",
        widget=forms.CheckboxSelectMultiple,
        help_text="Do the work and ask for approval.",
    )
    restricted = forms.BooleanField(
        required=False, help_text="Only its RACI people, approvers and administrators see it."
    )
    creates_leads = forms.BooleanField(required=False, help_text="Sales should at least be Informed.")

    def __init__(self, *args, workspace: Workspace, campaign: Campaign | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = campaign.objectives.values("pk") if campaign is not None else []
        self.fields["objectives"].queryset = Objective.objects.filter(workspace=workspace).filter(
            Q(status=Objective.Status.ACTIVE) | Q(pk__in=chosen)
        )
        self.fields["channels"].queryset = Channel.objects.filter(workspace=workspace)
        self.fields["segment"].queryset = Segment.objects.filter(workspace=workspace)
        people = Person.objects.filter(workspace=workspace, is_active=True)
        self.fields["accountable"].queryset = people
        self.fields["responsible"].queryset = people
        if campaign is not None:  # editing: RACI lives on the activity, the lifecycle has its own buttons
            for name in ("status", "accountable", "responsible"):
                del self.fields[name]
            self.fields["code"].required = True
            self.fields[
                "code"
            ].help_text = (
                "Stable id for matching ad-platform campaign names and UTM tags: change it with care."
            )

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The campaign cannot end before it starts.")
        return data


def campaign_initial(campaign: Campaign) -> dict:
    return {
        "name": campaign.name,
        "code": campaign.code,
        "start_date": campaign.start_date,
        "end_date": campaign.end_date,
        "objectives": list(campaign.objectives.all()),
        "channels": list(campaign.channels.all()),
        "segment": campaign.segment,
        "agency": campaign.agency,
        "description": campaign.description,
        "restricted": campaign.activity.restricted,
        "creates_leads": campaign.activity.creates_leads,
    }


LABELS = {
    "status": "Status",
    "channel": "Channel",
    "objective": "Objective",
    "owner": "Owner",
    "segment": "Segment",
}


class FilterForm(forms.Form):
    """List and calendar filters from the query string; an unknown value is ignored, never an error page."""

    q = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Campaign.Status.choices])
    channel = forms.ModelChoiceField(
        queryset=Channel.objects.none(), required=False, empty_label="Any channel"
    )
    objective = forms.ModelChoiceField(
        queryset=Objective.objects.none(), required=False, empty_label="Any objective"
    )
    owner = forms.ModelChoiceField(
        queryset=Person.objects.none(), required=False, empty_label="Any owner (A)"
    )
    segment = forms.ModelChoiceField(
        queryset=Segment.objects.none(), required=False, empty_label="Any segment"
    )

    def __init__(self, *args, workspace: Workspace, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.filter(workspace=workspace)
        self.fields["objective"].queryset = Objective.objects.filter(workspace=workspace)
        self.fields["owner"].queryset = owners
        self.fields["segment"].queryset = Segment.objects.filter(workspace=workspace)
        for name, label in LABELS.items():
            self.fields[name].widget.attrs["aria-label"] = label

    def value(self, name: str):
        """The cleaned value of one filter, or empty when it was missing or invalid."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        value = self.cleaned_data.get(name)
        if isinstance(self.fields[name], forms.ModelChoiceField):
            return value or None
        return value or ""


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Campaign.Status.choices, widget=forms.HiddenInput)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)
    force = forms.BooleanField(required=False, label="Launch before the start date")


class LaunchRequestForm(forms.Form):
    summary = forms.CharField(
        max_length=300,
        label="What is to be approved",
        help_text="e.g. creative, media plan and landing page are final; launch on the start date.",
    )


class ChannelForm(forms.Form):
    name = forms.CharField(max_length=100, label="Channel name")


class ExpectedResultsForm(forms.Form):
    """One optional number per KPI of the campaign's objectives: its expected contribution."""

    def __init__(self, *args, kpis, current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.kpis = list(kpis)
        for kpi in self.kpis:
            self.fields[f"kpi_{kpi.pk}"] = forms.DecimalField(
                max_digits=16,
                decimal_places=4,
                required=False,
                label=kpi.name,
                initial=f"{current[kpi.pk].value.normalize():f}" if kpi.pk in current else None,
                widget=forms.NumberInput(attrs={"step": "any", "class": "num"}),
            )

    def values(self) -> dict:
        return {kpi: self.cleaned_data.get(f"kpi_{kpi.pk}") for kpi in self.kpis}
