"""Forms for people and roles; querysets are limited to the current workspace."""

from django import forms

from opencmo.core.models import Workspace
from opencmo.core.selectors import workspace_members
from opencmo.org.models import Person, Role


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
