"""Forms for people and roles; querysets are limited to the current workspace."""

from django import forms

from opencmo.core.models import Workspace
from opencmo.core.selectors import workspace_members
from opencmo.org.models import Activity, DecisionKind, OrgPolicy, Person, Role


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ["name", "email", "title", "organisation", "reports_to", "roles", "user", "is_active"]
        widgets = {"roles": forms.CheckboxSelectMultiple}
        labels = {"roles": "Roles (hats)", "user": "Login", "organisation": "External organisation"}

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        others = Person.objects.filter(workspace=workspace, is_active=True)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        self.fields["reports_to"].queryset = others
        self.fields["roles"].queryset = Role.objects.filter(workspace=workspace)
        user_model = self.fields["user"].queryset.model
        self.fields["user"].queryset = user_model.objects.filter(
            pk__in=workspace_members(workspace).values("user_id")
        )


class RoleForm(forms.ModelForm):
    class Meta:
        model = Role
        fields = ["name", "description"]


class ActivityEditForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["name", "kind", "description", "creates_leads", "restricted"]


class ApprovalRequestForm(forms.Form):
    kind = forms.ChoiceField(choices=DecisionKind.choices, label="What needs approval")
    summary = forms.CharField(max_length=300, label="Summary")
    amount = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, help_text="For budget spend only."
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class SignOffForm(forms.Form):
    decision = forms.ChoiceField(choices=[("agree", "Agree"), ("object", "Object")])
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class AuthorityForm(forms.Form):
    kind = forms.ChoiceField(choices=DecisionKind.choices)
    role = forms.ModelChoiceField(queryset=Role.objects.none(), required=False)
    person = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    max_amount = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="Budget only: the most this holder may approve. Empty means no limit.",
    )

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = Role.objects.filter(workspace=workspace)
        self.fields["person"].queryset = Person.objects.filter(workspace=workspace, is_active=True)

    def clean(self):
        data = super().clean()
        if bool(data.get("role")) == bool(data.get("person")):
            raise forms.ValidationError("Choose either a role or a person.")
        return data


class RouteForm(forms.Form):
    """'Who approves?': the escalation route for a request from someone."""

    person = forms.ModelChoiceField(queryset=Person.objects.none(), label="Requested by / Accountable")
    kind = forms.ChoiceField(choices=DecisionKind.choices)
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.filter(workspace=workspace, is_active=True)


class PolicyForm(forms.ModelForm):
    class Meta:
        model = OrgPolicy
        fields = ["max_accountable", "max_responsible_open", "allow_recorded_self_approval"]
