"""Sending one delivery: claim it, POST it, log the attempt, schedule the retry or give up, and disable
an endpoint that keeps failing.

Retries: the first try, then up to len(RETRY_DELAYS) more after 10 s, 1 min, 10 min, 1 h and 6 h, each
with ±20 % jitter so many failing deliveries do not retry in lockstep. A delivery is *claimed* by moving
its `next_attempt_at` past the HTTP timeout (+30 s) in one UPDATE, so the deferred task and the sweep
never send the same attempt twice; a worker killed mid-request leaves the claim to expire and the
sweep retries.
"""

import datetime as dt
import json
import logging
import random
import time

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.tasks import default_task_backend
from django.utils import timezone

from opencmo.core import audit
from opencmo.core.models import Access, Membership
from opencmo.core.notifications import notify
from opencmo.webhooks import signing, transport
from opencmo.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

RETRY_DELAYS = (10, 60, 600, 3600, 6 * 3600)  # seconds before retry 1..5
JITTER = 0.2
DISABLE_AFTER = 15  # consecutive failed attempts (three deliveries' worth of retries)
_rng = random.SystemRandom()


def disable_after() -> int:
    return int(getattr(settings, "WEBHOOK_DISABLE_AFTER_FAILURES", DISABLE_AFTER))


def retry_delay(attempts_done: int, *, rng=_rng) -> dt.timedelta | None:
    """Wait before the next try after `attempts_done` failed tries; None when retries are used up."""
    if attempts_done < 1 or attempts_done > len(RETRY_DELAYS):
        return None
    base = RETRY_DELAYS[attempts_done - 1]
    return dt.timedelta(seconds=base * rng.uniform(1 - JITTER, 1 + JITTER))


def body_of(delivery: WebhookDelivery) -> bytes:
    """Exactly the bytes that are signed and sent."""
    if delivery.endpoint.kind == WebhookEndpoint.Kind.SLACK:
        return json.dumps({"text": delivery.payload.get("_text", delivery.event_type)}).encode()
    public = {k: v for k, v in delivery.payload.items() if not k.startswith("_")}
    return json.dumps(public, separators=(",", ":"), ensure_ascii=False).encode()


def request_headers(delivery: WebhookDelivery, body: bytes) -> dict[str, str]:
    """Signed with the real send time (receivers refuse timestamps more than minutes off)."""
    endpoint = delivery.endpoint
    if endpoint.kind == WebhookEndpoint.Kind.SLACK or not endpoint.secret:
        return {}
    return signing.headers(endpoint.secret, delivery.message_id, int(time.time()), body)


def _claim(pk: int, now: dt.datetime) -> bool:
    lease = now + dt.timedelta(seconds=transport.timeout() + 30)
    return bool(
        WebhookDelivery.objects.filter(
            pk=pk,
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING],
            next_attempt_at__lte=now,
        ).update(next_attempt_at=lease)
    )


def attempt(delivery_pk: int, *, now: dt.datetime | None = None) -> WebhookDelivery | None:
    """Try one delivery if it is due. Returns it (updated), or None when it was not due or is gone."""
    now = now or timezone.now()
    if not _claim(delivery_pk, now):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint", "workspace").get(pk=delivery_pk)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        _finish(delivery, now, transport.Result(None, 0, error="Endpoint is disabled; not sent."))
        return delivery
    body = body_of(delivery)
    result = transport.post(endpoint.url, body, request_headers(delivery, body))
    _finish(delivery, now, result)
    return delivery


@transaction.atomic
def _finish(delivery: WebhookDelivery, now: dt.datetime, result: transport.Result) -> None:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    delivery.attempts += 1
    number = delivery.attempt_log.count() + 1
    WebhookAttempt.objects.create(
        workspace_id=delivery.workspace_id,
        delivery=delivery,
        number=number,
        at=now,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        response_excerpt=result.excerpt,
        error=result.error or ("" if result.ok else f"HTTP {result.status_code}"),
        succeeded=result.ok,
    )
    delivery.last_status_code = result.status_code
    if result.ok:
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.SUCCEEDED, None
        endpoint.consecutive_failures = 0
        endpoint.save(update_fields=["consecutive_failures", "updated_at"])
    else:
        if endpoint.is_active:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
                consecutive_failures=F("consecutive_failures") + 1
            )
            endpoint.refresh_from_db(fields=["consecutive_failures"])
            if endpoint.consecutive_failures >= disable_after():
                _disable(endpoint, now)
        wait = retry_delay(delivery.attempts) if endpoint.is_active else None
        if wait is None:
            delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
        else:
            delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.RETRYING, now + wait
    delivery.save(update_fields=["attempts", "status", "next_attempt_at", "last_status_code", "updated_at"])
    if delivery.status == WebhookDelivery.Status.RETRYING:
        _schedule(delivery.pk, delivery.next_attempt_at)


def _disable(endpoint: WebhookEndpoint, now: dt.datetime) -> None:
    before = audit.snapshot(endpoint)
    endpoint.is_active, endpoint.disabled_at = False, now
    endpoint.disabled_reason = f"Disabled after {endpoint.consecutive_failures} failed attempts in a row."
    endpoint.save()
    before.pop("secret", None)
    after = audit.snapshot(endpoint)
    after.pop("secret", None)
    audit.record(
        actor=None,
        workspace=endpoint.workspace,
        action="update",
        obj=endpoint,
        changes=audit.diff(before, after),
    )
    WebhookDelivery.objects.filter(
        endpoint=endpoint, status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING]
    ).update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
    from django.urls import reverse

    admins = [
        m.user
        for m in Membership.objects.filter(
            workspace=endpoint.workspace, access=Access.ADMIN, is_active=True
        ).select_related("user")
    ]
    notify(
        workspace=endpoint.workspace,
        users=admins,
        subject=f"Webhook endpoint disabled: {endpoint}"[:200],
        body=f"{endpoint.disabled_reason} Deliveries to {endpoint.url} have stopped; fix the receiver, "
        "then re-enable the endpoint and redeliver what failed.",
        url=reverse(
            "webhook_detail", kwargs={"ws": endpoint.workspace.slug, "webhookendpoint_pk": endpoint.pk}
        ),
    )
    logger.warning("Webhook endpoint %s disabled: %s", endpoint.pk, endpoint.disabled_reason)


def _schedule(pk: int, when: dt.datetime) -> None:
    """Queue the retry for its time when the task backend can defer; otherwise the sweep sends it."""
    from opencmo.webhooks.tasks import deliver

    if not default_task_backend.supports_defer:
        return

    def send() -> None:
        try:
            deliver.using(run_after=when).enqueue(delivery_pk=pk)
        except Exception:
            logger.exception("Could not queue the retry of webhook delivery %s", pk)

    transaction.on_commit(send)


def due(now: dt.datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING],
            next_attempt_at__lte=now,
            endpoint__is_active=True,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:500]
    )


def keep_days() -> int:
    return int(getattr(settings, "WEBHOOK_LOG_DAYS", 90))


def prune(now: dt.datetime | None = None) -> int:
    """Forget finished deliveries (and their attempt log) older than WEBHOOK_LOG_DAYS (default 90):
    payloads can hold personal data (the MQL event), so the log is not kept forever."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=keep_days())
    old = WebhookDelivery.objects.filter(
        created_at__lt=cutoff,
        status__in=[WebhookDelivery.Status.SUCCEEDED, WebhookDelivery.Status.FAILED],
    )
    return old.delete()[1].get(WebhookDelivery._meta.label, 0)


def sweep(now: dt.datetime | None = None) -> int:
    """Send every due delivery (lost queue entries, retries on a backend without deferral), then prune
    the old log."""
    now = now or timezone.now()
    sent = sum(1 for pk in due(now) if attempt(pk, now=now) is not None)
    prune(now)
    return sent
