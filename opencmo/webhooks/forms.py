"""Endpoint form: the address, what it is, which events it receives."""

from django import forms

from opencmo.webhooks.models import EventType, WebhookEndpoint


class EndpointForm(forms.Form):
    kind = forms.ChoiceField(
        label="Type", choices=WebhookEndpoint.Kind.choices, initial=WebhookEndpoint.Kind.STANDARD
    )
    url = forms.CharField(
        label="URL",
        max_length=500,
        help_text="Where events are POSTed. Slack: the incoming-webhook address Slack gave you.",
    )
    description = forms.CharField(max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label="Events", choices=EventType.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    @classmethod
    def for_endpoint(cls, endpoint: WebhookEndpoint, data=None) -> "EndpointForm":
        initial = {
            "kind": endpoint.kind,
            "url": endpoint.url,
            "description": endpoint.description,
            "event_types": endpoint.event_types,
            "is_active": endpoint.is_active,
        }
        return cls(data=data, initial=initial)
