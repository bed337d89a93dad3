"""Forms for the customer pages. Every choice of a related object is limited to the current workspace;
custom fields appear as typed inputs (`cf_<key>`)."""

import datetime as dt

from django import forms
from django.utils import timezone

from opencmo.campaigns.models import Campaign
from opencmo.core.models import Workspace
from opencmo.crm import access, conditions
from opencmo.crm.models import (
    AssignmentRule,
    Company,
    CrmSettings,
    CustomField,
    Feedback,
    Handoff,
    LawfulBasis,
    LifecycleStage,
    Purpose,
    ScoringRule,
)
from opencmo.crm.services import EVENT_KINDS
from opencmo.org.models import Person

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _people(workspace: Workspace):
    return Person.objects.filter(workspace=workspace, is_active=True).order_by("name")


def _campaigns(workspace: Workspace):
    return Campaign.objects.filter(workspace=workspace).order_by("-start_date", "name")


class CustomFieldsMixin:
    """Adds one typed input per custom field definition of `entity` and collects them back."""

    entity = CustomField.Entity.CONTACT

    def add_custom_fields(self, workspace: Workspace, values: dict) -> None:
        self.definitions = list(CustomField.objects.filter(workspace=workspace, entity=self.entity))
        for d in self.definitions:
            name = f"cf_{d.key}"
            common = {"label": d.label, "required": d.required, "help_text": d.help_text}
            if d.type == CustomField.Type.NUMBER:
                field = forms.DecimalField(max_digits=18, decimal_places=6, **common)
            elif d.type == CustomField.Type.DATE:
                field = forms.DateField(widget=DATE, **common)
            elif d.type == CustomField.Type.CHOICE:
                field = forms.ChoiceField(choices=[("", "—"), *[(c, c) for c in d.choices]], **common)
            else:
                field = forms.CharField(max_length=500, **common)
            self.fields[name] = field
            if d.key in (values or {}) and not self.is_bound:
                self.initial[name] = values[d.key]

    def custom_values(self) -> dict:
        out = {}
        for d in self.definitions:
            value = self.cleaned_data.get(f"cf_{d.key}")
            if value in (None, ""):
                continue
            out[d.key] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return out


class ContactForm(CustomFieldsMixin, forms.Form):
    email = forms.EmailField(required=False)
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    phone = forms.CharField(max_length=40, required=False)
    job_title = forms.CharField(max_length=150, required=False)
    company = forms.ModelChoiceField(queryset=Company.objects.none(), required=False)
    country = forms.CharField(max_length=60, required=False, help_text="ISO code (NO, SE, DK…) or name.")
    city = forms.CharField(max_length=100, required=False)
    language = forms.CharField(max_length=10, required=False, help_text="e.g. nb, sv, da, en")
    stage = forms.ModelChoiceField(queryset=LifecycleStage.objects.none(), label="Lifecycle stage")
    owner = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    source = forms.CharField(
        max_length=40, required=False, help_text="How we got them: form, event, referral…"
    )
    first_touch_channel = forms.CharField(max_length=60, required=False)
    first_touch_campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), required=False)
    utm_source = forms.CharField(max_length=200, required=False)
    utm_medium = forms.CharField(max_length=200, required=False)
    utm_campaign = forms.CharField(max_length=200, required=False)

    SOURCE_FIELDS = (
        "source",
        "first_touch_channel",
        "first_touch_campaign",
        "utm_source",
        "utm_medium",
        "utm_campaign",
    )

    def __init__(self, *args, workspace: Workspace, contact=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.filter(workspace=workspace)
        self.fields["owner"].queryset = _people(workspace)
        self.fields["first_touch_campaign"].queryset = _campaigns(workspace)
        self.fields["stage"].queryset = LifecycleStage.objects.filter(workspace=workspace, is_active=True)
        if contact is not None:
            del self.fields["stage"]  # stages move through the lifecycle form, with their history
            if not self.is_bound:
                for name in self.fields:
                    if hasattr(contact, name):
                        self.initial[name] = getattr(contact, name)
        elif not self.is_bound:
            self.initial["stage"] = self.fields["stage"].queryset.filter(key="lead").first()
        self.add_custom_fields(workspace, contact.custom if contact else {})

    def service_fields(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("cf_") and k != "stage"}
        data["custom"] = self.custom_values()
        return data

    def identity_fields(self):
        return [self[n] for n in self.fields if n not in self.SOURCE_FIELDS and not n.startswith("cf_")]

    def source_fields(self):
        return [self[n] for n in self.SOURCE_FIELDS]

    def custom_fields(self):
        return [self[n] for n in self.fields if n.startswith("cf_")]


class CompanyForm(CustomFieldsMixin, forms.Form):
    entity = CustomField.Entity.COMPANY
    name = forms.CharField(max_length=200)
    domain = forms.CharField(max_length=200, required=False, help_text="example.com")
    industry = forms.CharField(max_length=100, required=False)
    employees = forms.IntegerField(min_value=0, required=False)
    country = forms.CharField(max_length=60, required=False)
    city = forms.CharField(max_length=100, required=False)
    owner = forms.ModelChoiceField(queryset=Person.objects.none(), required=False, label="Account owner")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, workspace: Workspace, company=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people(workspace)
        if company is not None and not self.is_bound:
            for name in self.fields:
                if hasattr(company, name):
                    self.initial[name] = getattr(company, name)
        self.add_custom_fields(workspace, company.custom if company else {})

    def service_fields(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("cf_")}
        data["custom"] = self.custom_values()
        return data


class StageForm(forms.Form):
    stage = forms.ModelChoiceField(queryset=LifecycleStage.objects.none(), label="Move to")
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, workspace: Workspace, **kwargs):
        kwargs.setdefault("auto_id", "stage_%s")  # several forms share one page
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = LifecycleStage.objects.filter(workspace=workspace, is_active=True)


class EventForm(forms.Form):
    kind = forms.CharField(
        max_length=60,
        label="What happened",
        widget=forms.TextInput(attrs={"list": "event-kinds"}),
        help_text="e.g. " + ", ".join(k for k, _ in EVENT_KINDS[:5]) + "…",
    )
    occurred_at = forms.DateTimeField(widget=DATETIME, required=False, label="When", help_text="Empty: now.")
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), required=False)
    detail = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, workspace: Workspace, **kwargs):
        kwargs.setdefault("auto_id", "event_%s")  # several forms share one page
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = _campaigns(workspace)


class ConsentForm(forms.Form):
    purpose = forms.ModelChoiceField(queryset=Purpose.objects.none())
    wording = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Wording shown",
        help_text="The exact text the person agreed to. Empty: the purpose's standard wording.",
    )
    source = forms.CharField(max_length=100, initial="web form", help_text="Web form, event, phone, email…")
    given_at = forms.DateTimeField(widget=DATETIME, required=False, label="Given at", help_text="Empty: now.")
    evidence = forms.CharField(max_length=200, required=False, help_text="Form id, double opt-in reference…")

    def __init__(self, *args, workspace: Workspace, **kwargs):
        kwargs.setdefault("auto_id", "consent_%s")  # several forms share one page
        super().__init__(*args, **kwargs)
        self.fields["purpose"].queryset = Purpose.objects.filter(workspace=workspace, is_active=True)


class WithdrawForm(forms.Form):
    source = forms.CharField(max_length=100, required=False, label="How was it withdrawn?")


class BasisForm(forms.Form):
    purpose = forms.ModelChoiceField(queryset=Purpose.objects.none())
    basis = forms.ChoiceField(choices=LawfulBasis.choices, label="Lawful basis")
    valid_from = forms.DateField(widget=DATE, required=False)
    valid_until = forms.DateField(widget=DATE, required=False)
    note = forms.CharField(max_length=300, required=False, help_text="Contract number, LIA reference…")

    def __init__(self, *args, workspace: Workspace, **kwargs):
        kwargs.setdefault("auto_id", "basis_%s")  # several forms share one page
        super().__init__(*args, **kwargs)
        self.fields["purpose"].queryset = Purpose.objects.filter(workspace=workspace, is_active=True)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "Accept (make it an SQL)"), ("reject", "Reject")])
    reason = forms.ChoiceField(
        choices=[("", "— reason for rejecting —"), *Handoff.RejectReason.choices], required=False
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Note")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "decision_%s")  # several forms share one page
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not data.get("reason"):
            self.add_error("reason", "Say why the lead is rejected.")
        return data


class ReassignForm(forms.Form):
    person = forms.ModelChoiceField(queryset=Person.objects.none(), label="Give to")

    def __init__(self, *args, workspace: Workspace, **kwargs):
        kwargs.setdefault("auto_id", "reassign_%s")  # several forms share one page
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = access.sales_people(workspace)


class PurposeChoiceForm(forms.Form):
    purpose = forms.ModelChoiceField(
        queryset=Purpose.objects.none(), label="Export for", empty_label="— purpose —"
    )

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].queryset = Purpose.objects.filter(workspace=workspace, is_active=True)


OPERATOR_CHOICES = [("", "—"), *conditions.OPERATORS.items()]


class SegmentForm(forms.Form):
    name = forms.CharField(max_length=150)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    purpose = forms.ModelChoiceField(
        queryset=Purpose.objects.none(),
        required=False,
        empty_label="— not set —",
        label="Used for",
        help_text="Exports of this segment only include contacts with a valid lawful basis for it.",
    )
    q = forms.CharField(max_length=100, required=False, label="Text")
    stages = forms.MultipleChoiceField(choices=[], required=False, widget=forms.CheckboxSelectMultiple)
    owner = forms.ChoiceField(choices=[], required=False)
    countries = forms.CharField(max_length=200, required=False, help_text="Comma-separated: NO, SE, DK")
    company = forms.ModelChoiceField(queryset=Company.objects.none(), required=False, empty_label="— any —")
    industry = forms.CharField(max_length=100, required=False)
    score_min = forms.DecimalField(max_digits=8, decimal_places=1, required=False, label="Score at least")
    score_max = forms.DecimalField(max_digits=8, decimal_places=1, required=False, label="Score at most")
    channels = forms.CharField(max_length=200, required=False, label="First-touch channels")
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(), required=False, label="First-touch campaign", empty_label="— any —"
    )
    event_kind = forms.CharField(
        max_length=60, required=False, label="Did", widget=forms.TextInput(attrs={"list": "event-kinds"})
    )
    min_count = forms.IntegerField(min_value=1, required=False, label="At least … times")
    within_days = forms.IntegerField(min_value=1, required=False, label="In the last … days")
    absent = forms.BooleanField(required=False, label="…or rather did NOT do it")
    feedback = forms.ChoiceField(
        choices=[
            ("", "—"),
            ("promoter", "Promoter (9-10)"),
            ("passive", "Passive (7-8)"),
            ("detractor", "Detractor (0-6)"),
        ],
        required=False,
        label="Latest NPS answer",
    )
    consent_purpose = forms.ModelChoiceField(
        queryset=Purpose.objects.none(),
        required=False,
        label="Lawful basis for",
        empty_label="— any purpose —",
    )
    consent_state = forms.ChoiceField(
        choices=[("valid", "has a valid basis"), ("missing", "has none")], required=False, label="…which"
    )
    created_within_days = forms.IntegerField(min_value=1, required=False, label="Added in the last … days")

    CONDITIONS = 3

    def __init__(self, *args, workspace: Workspace, segment=None, **kwargs):
        super().__init__(*args, **kwargs)
        purposes = Purpose.objects.filter(workspace=workspace, is_active=True)
        self.fields["purpose"].queryset = purposes
        self.fields["consent_purpose"].queryset = purposes
        self.fields["stages"].choices = list(
            LifecycleStage.objects.filter(workspace=workspace).values_list("key", "name")
        )
        self.fields["owner"].choices = [
            ("", "Anyone"),
            ("none", "Nobody"),
            *[(str(p.pk), p.name) for p in _people(workspace)],
        ]
        self.fields["company"].queryset = Company.objects.filter(workspace=workspace)
        self.fields["campaign"].queryset = _campaigns(workspace)
        fields = [("", "— attribute —"), *conditions.field_choices(workspace)]
        for n in range(1, self.CONDITIONS + 1):
            self.fields[f"cond{n}_field"] = forms.ChoiceField(
                choices=fields, required=False, label="Attribute"
            )
            self.fields[f"cond{n}_op"] = forms.ChoiceField(
                choices=OPERATOR_CHOICES, required=False, label="Operator"
            )
            self.fields[f"cond{n}_value"] = forms.CharField(max_length=200, required=False, label="Value")
        if segment is not None and not self.is_bound:
            self.initial.update(initial_from(segment))

    def condition_rows(self):
        return [
            (self[f"cond{n}_field"], self[f"cond{n}_op"], self[f"cond{n}_value"])
            for n in range(1, self.CONDITIONS + 1)
        ]

    def filters(self) -> dict:
        """The filter JSON from the form (the service validates and canonicalises it)."""
        data = self.cleaned_data
        owner = data.get("owner") or None
        out = {
            "q": data.get("q", ""),
            "stages": data.get("stages") or [],
            "owner": owner if owner == "none" else (int(owner) if owner else None),
            "countries": data.get("countries", ""),
            "company": data["company"].pk if data.get("company") else None,
            "industry": data.get("industry", ""),
            "score_min": str(data["score_min"]) if data.get("score_min") is not None else "",
            "score_max": str(data["score_max"]) if data.get("score_max") is not None else "",
            "channels": data.get("channels", ""),
            "campaign": data["campaign"].pk if data.get("campaign") else None,
            "conditions": [
                {
                    "field": data.get(f"cond{n}_field"),
                    "op": data.get(f"cond{n}_op"),
                    "value": data.get(f"cond{n}_value"),
                }
                for n in range(1, self.CONDITIONS + 1)
                if data.get(f"cond{n}_field")
            ],
            "feedback": data.get("feedback", ""),
            "created_within_days": data.get("created_within_days"),
        }
        if data.get("event_kind"):
            out["behaviour"] = {
                "event_kind": data["event_kind"],
                "min_count": data.get("min_count") or 1,
                "within_days": data.get("within_days"),
                "absent": data.get("absent", False),
            }
        if data.get("consent_purpose"):
            out["consent"] = {
                "purpose": data["consent_purpose"].pk,
                "state": data.get("consent_state") or "valid",
            }
        return out


def initial_from(segment) -> dict:
    f = segment.filters or {}
    initial = {
        "name": segment.name,
        "description": segment.description,
        "purpose": segment.purpose_id,
        "q": f.get("q", ""),
        "stages": f.get("stages", []),
        "owner": str(f["owner"]) if f.get("owner") is not None else "",
        "countries": ", ".join(f.get("countries", [])),
        "company": f.get("company"),
        "industry": f.get("industry", ""),
        "score_min": f.get("score_min"),
        "score_max": f.get("score_max"),
        "channels": ", ".join(f.get("channels", [])),
        "campaign": f.get("campaign"),
        "feedback": f.get("feedback", ""),
        "created_within_days": f.get("created_within_days"),
    }
    for n, cond in enumerate(f.get("conditions", []), start=1):
        initial.update(
            {f"cond{n}_field": cond["field"], f"cond{n}_op": cond["op"], f"cond{n}_value": cond["value"]}
        )
    if behaviour := f.get("behaviour"):
        initial.update(
            {
                "event_kind": behaviour["event_kind"],
                "min_count": behaviour.get("min_count"),
                "within_days": behaviour.get("within_days"),
                "absent": behaviour.get("absent", False),
            }
        )
    if consent := f.get("consent"):
        initial.update({"consent_purpose": consent["purpose"], "consent_state": consent["state"]})
    return initial


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(choices=Feedback.Kind.choices)
    score = forms.IntegerField(help_text="NPS 0-10, CSAT 1-5.")
    received_on = forms.DateField(widget=DATE, initial=timezone.localdate, label="Received")
    email = forms.EmailField(
        required=False, label="Contact's email", help_text="Links the answer to the contact."
    )
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), required=False)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = _campaigns(workspace)


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text="UTF-8 or Windows-1252; comma, semicolon or tab separated."
    )


class SettingsForm(forms.ModelForm):
    class Meta:
        model = CrmSettings
        fields = [
            "mql_threshold",
            "half_life_days",
            "sla_hours",
            "assignment",
            "retention_enabled",
            "retention_days",
        ]
        labels = {
            "mql_threshold": "MQL threshold (points)",
            "half_life_days": "Engagement half-life (days)",
            "sla_hours": "Hand-off SLA (hours)",
            "assignment": "Assign MQLs by",
            "retention_enabled": "Retention policy on",
            "retention_days": "Erase after … days without activity",
        }


class StageEditForm(forms.ModelForm):
    class Meta:
        model = LifecycleStage
        fields = ["name", "position", "is_active"]
        labels = {"is_active": "In use"}


class NewStageForm(forms.Form):
    name = forms.CharField(max_length=80, label="New stage")


class CustomFieldForm(forms.ModelForm):
    choices_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Options",
        help_text="Choice fields: one option per line.",
    )

    class Meta:
        model = CustomField
        fields = ["label", "entity", "type", "required", "help_text", "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["entity"].disabled = True
            self.fields["type"].disabled = True
            self.initial["choices_text"] = "\n".join(self.instance.choices or [])

    def choices(self) -> list[str]:
        return [
            line.strip() for line in self.cleaned_data.get("choices_text", "").splitlines() if line.strip()
        ]


class ScoringRuleForm(forms.ModelForm):
    field = forms.ChoiceField(choices=[], required=False, label="Attribute (fit)")
    operator = forms.ChoiceField(choices=OPERATOR_CHOICES, required=False, label="Operator (fit)")

    class Meta:
        model = ScoringRule
        fields = [
            "kind",
            "name",
            "field",
            "operator",
            "value",
            "event_kind",
            "points",
            "position",
            "is_active",
        ]
        labels = {"value": "Value (fit)", "event_kind": "Event kind (engagement)"}
        widgets = {"event_kind": forms.TextInput(attrs={"list": "event-kinds"})}

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [("", "—"), *conditions.field_choices(workspace)]


class AssignmentRuleForm(forms.ModelForm):
    field = forms.ChoiceField(choices=[], label="Attribute")
    operator = forms.ChoiceField(choices=OPERATOR_CHOICES[1:])

    class Meta:
        model = AssignmentRule
        fields = ["name", "field", "operator", "value", "assign_to", "position", "is_active"]

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = conditions.field_choices(workspace)
        self.fields["assign_to"].queryset = access.sales_people(workspace)


class PurposeForm(forms.ModelForm):
    class Meta:
        model = Purpose
        fields = [
            "name",
            "description",
            "lawful_basis",
            "consent_wording",
            "data_categories",
            "data_subjects",
            "recipients",
            "transfers",
            "retention",
            "safeguards",
            "is_active",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 2})
            for name in (
                "description",
                "consent_wording",
                "data_categories",
                "recipients",
                "transfers",
                "safeguards",
            )
        }
        labels = {"is_active": "In use"}


class EraseForm(forms.Form):
    confirm = forms.CharField(max_length=254, label="Type the contact's email address (or ERASE) to confirm")
    reason = forms.CharField(
        max_length=300,
        help_text="Why, without naming the person: e.g. “Request by email 2026-03-02, ticket 118”.",
    )
    suppress = forms.BooleanField(
        required=False, initial=True, label="Keep a hashed suppression entry so they cannot be imported again"
    )

    def __init__(self, *args, contact, **kwargs):
        super().__init__(*args, **kwargs)
        self.contact = contact

    def clean_confirm(self):
        typed = self.cleaned_data["confirm"].strip()
        if typed != "ERASE" and typed.lower() != (self.contact.email or "").lower():
            raise forms.ValidationError("That does not match; nothing was erased.")
        return typed


class SuppressionCheckForm(forms.Form):
    email = forms.EmailField(label="Is this address suppressed?")
