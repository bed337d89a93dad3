"""Webhook settings pages (workspace administrators only): endpoints, the secret shown once, the
delivery log, test events and redelivery. Form -> service -> render; a service's ValidationError goes
back on the form or into a message."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from opencmo.core.forms import apply_errors
from opencmo.core.tenancy import scoped_or_404, workspace_view
from opencmo.webhooks import delivery as sending
from opencmo.webhooks import selectors, services
from opencmo.webhooks.forms import EndpointForm
from opencmo.webhooks.models import EventType, WebhookDelivery, WebhookEndpoint


def _fields(form: EndpointForm) -> dict:
    data = form.cleaned_data
    return {
        "kind": data["kind"],
        "url": data["url"],
        "description": data["description"],
        "event_types": list(data["event_types"]),
        "is_active": data["is_active"],
    }


def _secret_page(
    request: HttpRequest, endpoint: WebhookEndpoint, secret: str, *, rotated: bool
) -> HttpResponse:
    response = render(
        request, "webhooks/secret.html", {"endpoint": endpoint, "secret": secret, "rotated": rotated}
    )
    response["Cache-Control"] = "no-store"  # the secret is shown once: keep it out of caches and history
    return response


@require_http_methods(["GET", "POST"])
@workspace_view(admin_only=True)
def webhook_list(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.endpoint_create(
                actor=request.user, workspace=request.workspace, **_fields(form)
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if secret:
                return _secret_page(request, endpoint, secret, rotated=False)
            messages.success(request, "Slack endpoint added. Send a test event to check it.")
            return redirect("webhook_detail", ws=request.workspace.slug, webhookendpoint_pk=endpoint.pk)
    return render(
        request,
        "webhooks/list.html",
        {"endpoints": selectors.endpoints(request.workspace), "form": form, "event_types": EventType.choices},
    )


@require_http_methods(["GET", "POST"])
@workspace_view(admin_only=True)
def webhook_detail(request: HttpRequest, webhookendpoint_pk: int) -> HttpResponse:
    endpoint = scoped_or_404(WebhookEndpoint, request.workspace, webhookendpoint_pk)
    form = EndpointForm.for_endpoint(endpoint, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(actor=request.user, endpoint=endpoint, **_fields(form))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Endpoint saved.")
            return redirect("webhook_detail", ws=request.workspace.slug, webhookendpoint_pk=endpoint.pk)
    return render(
        request,
        "webhooks/detail.html",
        {
            "endpoint": endpoint,
            "form": form,
            "deliveries": selectors.deliveries(endpoint),
            "attempts": selectors.attempts(endpoint),
            "retry_delays": sending.RETRY_DELAYS,
            "disable_after": sending.disable_after(),
        },
    )


@require_POST
@workspace_view(admin_only=True)
def webhook_test(request: HttpRequest, webhookendpoint_pk: int) -> HttpResponse:
    endpoint = scoped_or_404(WebhookEndpoint, request.workspace, webhookendpoint_pk)
    try:
        delivery = services.endpoint_send_test(actor=request.user, endpoint=endpoint)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Test event {delivery.message_id} queued; its attempts appear below.")
    return redirect("webhook_detail", ws=request.workspace.slug, webhookendpoint_pk=endpoint.pk)


@require_POST
@workspace_view(admin_only=True)
def webhook_rotate(request: HttpRequest, webhookendpoint_pk: int) -> HttpResponse:
    endpoint = scoped_or_404(WebhookEndpoint, request.workspace, webhookendpoint_pk)
    try:
        secret = services.endpoint_rotate_secret(actor=request.user, endpoint=endpoint)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("webhook_detail", ws=request.workspace.slug, webhookendpoint_pk=endpoint.pk)
    return _secret_page(request, endpoint, secret, rotated=True)


@require_POST
@workspace_view(admin_only=True)
def webhook_delete(request: HttpRequest, webhookendpoint_pk: int) -> HttpResponse:
    endpoint = scoped_or_404(WebhookEndpoint, request.workspace, webhookendpoint_pk)
    services.endpoint_delete(actor=request.user, endpoint=endpoint)
    messages.success(request, f"Endpoint {endpoint} deleted with its delivery log.")
    return redirect("webhook_list", ws=request.workspace.slug)


@require_http_methods(["GET"])
@workspace_view(admin_only=True)
def webhook_delivery(request: HttpRequest, webhookdelivery_pk: int) -> HttpResponse:
    delivery = scoped_or_404(WebhookDelivery, request.workspace, webhookdelivery_pk)
    body = sending.body_of(delivery)
    try:
        pretty = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        pretty = body.decode("utf-8", "replace")
    return render(
        request,
        "webhooks/delivery.html",
        {
            "delivery": delivery,
            "endpoint": delivery.endpoint,
            "body": pretty,
            "attempts": delivery.attempt_log.order_by("number"),
            "can_redeliver": delivery.endpoint.is_active
            and delivery.status in (WebhookDelivery.Status.SUCCEEDED, WebhookDelivery.Status.FAILED),
        },
    )


@require_POST
@workspace_view(admin_only=True)
def webhook_redeliver(request: HttpRequest, webhookdelivery_pk: int) -> HttpResponse:
    delivery = scoped_or_404(WebhookDelivery, request.workspace, webhookdelivery_pk)
    try:
        services.delivery_redeliver(actor=request.user, delivery=delivery)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Redelivery of {delivery.message_id} queued.")
    return redirect("webhook_delivery", ws=request.workspace.slug, webhookdelivery_pk=delivery.pk)
