"""Events other apps emit, and what each endpoint receives.

`emit()` is called inside the service's transaction: the delivery rows are written with the change
(committed together or not at all, a transactional outbox) and sending is queued only once the
transaction commits, so a receiver never hears about a change that was rolled back. A failure here is
logged and never undoes the business change (it runs in a savepoint).

The helpers below (`approval_requested`, `campaign_status_changed`...) turn model objects into the
JSON `data` of each event and the one-line text Slack shows.
"""

import datetime as dt
import logging
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from opencmo.env import env_str
from opencmo.webhooks.models import TEST_EVENT, EventType, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)


def base_url() -> str:
    """Absolute links in payloads need the public address (OPENCMO_BASE_URL); without it they stay
    site-relative."""
    value = getattr(settings, "OPENCMO_BASE_URL", None) or env_str("OPENCMO_BASE_URL", "")
    return value.rstrip("/")


def absolute(path: str) -> str:
    return f"{base_url()}{path}" if path.startswith("/") else path


def new_message_id() -> str:
    return "msg_" + uuid.uuid4().hex


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def payload(event_type: str, data: dict, text: str, *, at: dt.datetime | None = None) -> dict:
    """The JSON body: {type, timestamp, data}. `text` (the Slack line) is kept beside it, not sent."""
    return {
        "type": event_type,
        "timestamp": (at or timezone.now()).isoformat().replace("+00:00", "Z"),
        "data": _json(data),
        "_text": text,
    }


def create_delivery(endpoint: WebhookEndpoint, body: dict) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        workspace_id=endpoint.workspace_id,
        endpoint=endpoint,
        message_id=new_message_id(),
        event_type=body["type"],
        payload=body,
        next_attempt_at=timezone.now(),
    )


def queue(delivery_pks: list[int]) -> None:
    """Send after commit (the sweep picks up anything whose queueing was lost, e.g. a crash)."""
    if not delivery_pks:
        return
    from opencmo.webhooks.tasks import deliver

    def send() -> None:
        for pk in delivery_pks:
            try:
                deliver.enqueue(delivery_pk=pk)
            except Exception:  # the row stays due; `opencmo webhooks-retry` or the sweep task sends it
                logger.exception("Could not queue webhook delivery %s", pk)

    transaction.on_commit(send)


def emit(workspace, event_type: str, data: dict, text: str) -> list[WebhookDelivery]:
    """Record one delivery per active endpoint of `workspace` subscribed to `event_type`."""
    if event_type not in EventType.values and event_type != TEST_EVENT:
        raise ValueError(f"Unknown webhook event type {event_type!r}")
    try:
        with transaction.atomic():
            body = payload(event_type, {"workspace": workspace.slug, **data}, text)
            endpoints = [
                e
                for e in WebhookEndpoint.objects.filter(workspace=workspace, is_active=True)
                if e.wants(event_type)
            ]
            deliveries = [create_delivery(endpoint, body) for endpoint in endpoints]
    except Exception:
        logger.exception("Could not record webhook event %s for %s", event_type, workspace)
        return []
    queue([d.pk for d in deliveries])
    return deliveries


# --- event builders (called from the services that make the change) ----------------------------------


def _person(person) -> dict | None:
    return None if person is None else {"id": person.pk, "name": person.name}


def _approval_data(request) -> dict:
    from opencmo.org.raci_services import activity_url

    url = absolute(activity_url(request.activity))
    return {
        "approval": {
            "id": request.pk,
            "kind": request.kind,
            "summary": request.summary,
            "amount": request.amount,
            "currency": request.workspace.currency if request.amount is not None else None,
            "status": request.status,
            "requested_by": _person(request.requested_by),
            "approver": _person(request.approver),
            "decided_by": _person(request.decided_by),
            "decided_at": request.decided_at,
            "comment": request.decision_comment,
        },
        "activity": {"id": request.activity_id, "name": request.activity.name},
        "url": url,
    }


def approval_requested(request) -> None:
    data = _approval_data(request)
    text = (
        f"Approval requested: “{request.summary}” by {request.requested_by.name}, "
        f"to be decided by {request.approver.name}. {data['url']}"
    )
    emit(request.workspace, EventType.APPROVAL_REQUESTED, data, text)


def approval_decided(request) -> None:
    data = _approval_data(request)
    who = request.decided_by.name if request.decided_by else "the approver"
    comment = f" — {request.decision_comment}" if request.decision_comment else ""
    text = f"{request.get_status_display()}: “{request.summary}” by {who}{comment}. {data['url']}"
    emit(request.workspace, EventType.APPROVAL_DECIDED, data, text)


def campaign_status_changed(campaign, old: str, actor=None, note: str = "") -> None:
    from opencmo.campaigns.models import Campaign
    from opencmo.campaigns.services import campaign_url

    url = absolute(campaign_url(campaign))
    was, now = Campaign.Status(old).label, Campaign.Status(campaign.status).label
    data = {
        "campaign": {"id": campaign.pk, "name": campaign.name, "code": campaign.code},
        "from": old,
        "to": campaign.status,
        "changed_by": getattr(actor, "email", None) or "system",
        "note": note,
        "url": url,
    }
    text = f"Campaign “{campaign.name}” moved from {was} to {now}. {url}"
    emit(campaign.workspace, EventType.CAMPAIGN_STATUS_CHANGED, data, text)


def budget_alert(plan, line, kind: str, month: dt.date, message: str, url: str) -> None:
    link = absolute(url)
    data = {
        "plan": {"id": plan.pk, "name": plan.name},
        "line": {"id": line.pk, "name": line.name},
        "kind": kind,
        "month": month,
        "message": message,
        "url": link,
    }
    label = "over" if kind == "over" else "under"
    text = f"Budget alert: “{line.name}” ({plan.name}) is {label} plan in {month:%B %Y}. {message} {link}"
    emit(plan.workspace, EventType.BUDGET_ALERT, data, text)


def mql_handoff(handoff) -> None:
    from opencmo.crm.services import contact_url

    contact = handoff.contact
    url = absolute(contact_url(contact))
    data = {
        "handoff": {
            "id": handoff.pk,
            "assigned_to": _person(handoff.assigned_to),
            "assigned_at": handoff.assigned_at,
            "due_at": handoff.due_at,
            "score": handoff.score_at_handoff,
        },
        "contact": {"id": contact.pk, "name": str(contact), "email": getattr(contact, "email", "") or None},
        "url": url,
    }
    who = handoff.assigned_to.name if handoff.assigned_to else "nobody yet (no sales person)"
    text = f"New MQL handed to sales: {contact} (score {handoff.score_at_handoff}), assigned to {who}. {url}"
    emit(handoff.workspace, EventType.CRM_MQL_HANDOFF, data, text)
