"""Forms for workspaces and memberships, plus the glue that shows service errors on a form."""

from django import forms
from django.core.exceptions import ValidationError

from opencmo.core.models import Access, Membership, Workspace


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the named fields, else as a form-wide error."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class WorkspaceForm(forms.ModelForm):
    class Meta:
        model = Workspace
        fields = ["name", "slug", "currency", "description"]
        help_texts = {"slug": "Used in addresses: /w/<slug>/. Letters, digits and hyphens."}


class WorkspaceSettingsForm(forms.ModelForm):
    class Meta:
        model = Workspace
        fields = ["name", "currency", "description"]


class InviteForm(forms.Form):
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    access = forms.ChoiceField(choices=Access.choices, initial=Access.MEMBER)


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["access", "is_active"]


class AuditFilterForm(forms.Form):
    object_type = forms.ChoiceField(required=False)
    action = forms.ChoiceField(
        required=False,
        choices=[("", "Any action"), ("create", "Created"), ("update", "Updated"), ("delete", "Deleted")],
    )
    actor = forms.CharField(required=False, max_length=100)

    def __init__(self, *args, object_types: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", "Any object"), *[(t, t) for t in object_types]]
