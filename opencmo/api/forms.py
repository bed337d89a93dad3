"""The token form: a name, scopes and an expiry."""

from django import forms

from opencmo.api.scopes import ALL_SCOPES, DOMAINS

EXPIRY_CHOICES = [("7", "7 days"), ("30", "30 days"), ("90", "90 days"), ("366", "1 year"), ("", "Never")]


def _label(scope: str) -> str:
    if ":" not in scope:
        return f"Everything: {scope}"
    domain, level = scope.split(":")
    return f"{DOMAINS[domain]}: {level}"


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “Power BI” or “Zapier”.")
    scopes = forms.MultipleChoiceField(
        choices=[(s, _label(s)) for s in ALL_SCOPES],
        widget=forms.CheckboxSelectMultiple,
        help_text="Write includes read. The token can never do more than you can.",
    )
    expires_in_days = forms.ChoiceField(
        choices=EXPIRY_CHOICES, initial="90", required=False, label="Expires in"
    )

    def clean_expires_in_days(self) -> int | None:
        value = self.cleaned_data.get("expires_in_days")
        return int(value) if value else None
