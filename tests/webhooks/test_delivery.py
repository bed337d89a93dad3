"""Deliveries to a real HTTP server on 127.0.0.1: signed body, retries with backoff and jitter, the
delivery log, auto-disable with a notice to admins, redelivery, Slack text, SSRF refusal, no redirects."""

import datetime as dt
import random
import socket

import pytest
from django.utils import timezone

from opencmo.core.models import AuditEvent, Notification
from opencmo.webhooks import delivery as sending
from opencmo.webhooks import events, services, transport
from opencmo.webhooks.models import EventType, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.webhooks.receiver import verify_standard_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(acme, alice, receiver):
    endpoint, secret = services.endpoint_create(
        actor=alice,
        workspace=acme,
        url=receiver.url,
        description="Acme CRM",
        event_types=[EventType.CAMPAIGN_STATUS_CHANGED, EventType.BUDGET_ALERT],
    )
    endpoint.plain_secret = secret
    return endpoint


def _emit(run_on_commit, acme, event=EventType.CAMPAIGN_STATUS_CHANGED, data=None):
    return run_on_commit(events.emit, acme, event, data or {"campaign": {"id": 7}}, "Campaign moved.")


def test_signed_delivery_reaches_the_receiver_and_verifies(acme, endpoint, receiver, run_on_commit):
    [delivery] = _emit(run_on_commit, acme)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert verify_standard_webhook(endpoint.plain_secret, request["headers"], request["body"])
    assert request["headers"]["webhook-id"] == delivery.message_id
    assert request["headers"]["content-type"] == "application/json"
    body = receiver.json()
    assert body["type"] == "campaign.status_changed" and body["data"] == {
        "workspace": "acme",
        "campaign": {"id": 7},
    }
    assert body["timestamp"].endswith("Z") and "_text" not in body
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED and delivery.attempts == 1
    attempt = delivery.attempt_log.get()
    assert attempt.succeeded and attempt.status_code == 200 and attempt.response_excerpt == "ok"


def test_unsubscribed_and_inactive_endpoints_get_nothing(acme, alice, endpoint, receiver, run_on_commit):
    assert _emit(run_on_commit, acme, EventType.APPROVAL_REQUESTED) == []
    services.endpoint_update(actor=alice, endpoint=endpoint, is_active=False)
    assert _emit(run_on_commit, acme) == []
    assert receiver.requests == []


def test_failures_retry_on_the_backoff_schedule_then_give_up(
    acme, endpoint, receiver, run_on_commit, settings
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 100
    receiver.answer(503, "busy", times=6)
    [delivery] = _emit(run_on_commit, acme)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.RETRYING and delivery.attempts == 1
    now = delivery.attempt_log.get().at
    waits = []
    for expected in sending.RETRY_DELAYS:
        wait = (delivery.next_attempt_at - now).total_seconds()
        assert expected * 0.8 <= wait <= expected * 1.2, (expected, wait)
        waits.append(wait)
        # Not due a second early; due at its time (the sweep sends it).
        assert sending.attempt(delivery.pk, now=delivery.next_attempt_at - dt.timedelta(seconds=1)) is None
        now = delivery.next_attempt_at
        assert sending.sweep(now=now) == 1
        delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED and delivery.next_attempt_at is None
    assert delivery.attempts == 1 + len(sending.RETRY_DELAYS) == len(receiver.requests)
    log = list(delivery.attempt_log.order_by("number"))
    assert [a.number for a in log] == [1, 2, 3, 4, 5, 6]
    assert all(a.status_code == 503 and a.response_excerpt == "busy" and not a.succeeded for a in log)
    # Every try of one message carries the same webhook-id, each freshly signed.
    assert {r["headers"]["webhook-id"] for r in receiver.requests} == {delivery.message_id}
    assert all(
        verify_standard_webhook(endpoint.plain_secret, r["headers"], r["body"]) for r in receiver.requests
    )
    assert waits == sorted(waits)  # exponential: each wait longer than the last


def test_retry_delay_has_jitter_and_ends():
    rng = random.Random(1)
    first = {round(sending.retry_delay(1, rng=rng).total_seconds(), 3) for _ in range(20)}
    assert len(first) > 10 and min(first) >= 8 and max(first) <= 12
    assert sending.retry_delay(len(sending.RETRY_DELAYS) + 1) is None and sending.retry_delay(0) is None


def test_a_success_after_failures_resets_the_failure_count(acme, endpoint, receiver, run_on_commit):
    receiver.answer(500, "boom")
    [delivery] = _emit(run_on_commit, acme)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1
    delivery.refresh_from_db()
    sending.sweep(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED and delivery.attempts == 2
    assert endpoint.consecutive_failures == 0


def test_endpoint_is_disabled_after_consecutive_failures_and_admins_are_told(
    acme, alice, bob, endpoint, receiver, run_on_commit, settings
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.answer(500, "down", times=10)
    [first] = _emit(run_on_commit, acme)
    [second] = _emit(run_on_commit, acme)
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.consecutive_failures == 2
    first.refresh_from_db()
    sending.sweep(now=first.next_attempt_at + dt.timedelta(seconds=1))  # third failure in a row
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at and "3 failed attempts" in endpoint.disabled_reason
    second.refresh_from_db()
    assert second.status == WebhookDelivery.Status.FAILED and second.next_attempt_at is None  # retries stop
    note = Notification.objects.get(recipient=alice, subject__startswith="Webhook endpoint disabled")
    assert f"/w/acme/settings/webhooks/{endpoint.pk}/" == note.url
    assert not Notification.objects.filter(
        recipient=bob, subject__startswith="Webhook"
    ).exists()  # admins only
    assert AuditEvent.objects.filter(
        object_type="webhooks.WebhookEndpoint", changes__has_key="is_active"
    ).exists()
    assert _emit(run_on_commit, acme) == []  # no new deliveries to a disabled endpoint
    # Re-enabling gives a fresh start, and a redelivery goes out with the same id.
    services.endpoint_update(actor=alice, endpoint=endpoint, is_active=True)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.disabled_at is None
    before = len(receiver.requests)
    receiver.responses.clear()
    run_on_commit(services.delivery_redeliver, actor=alice, delivery=second)
    second.refresh_from_db()
    assert second.status == WebhookDelivery.Status.SUCCEEDED
    assert receiver.requests[before]["headers"]["webhook-id"] == second.message_id
    assert second.attempt_log.order_by("-number").first().number == second.attempt_log.count()


def test_slack_endpoint_gets_a_readable_text_message(acme, alice, receiver, run_on_commit):
    slack, secret = services.endpoint_create(
        actor=alice, workspace=acme, kind="slack", url=receiver.url, event_types=[EventType.BUDGET_ALERT]
    )
    assert secret == "" and slack.secret == ""
    run_on_commit(events.emit, acme, EventType.BUDGET_ALERT, {"x": 1}, "Budget alert: “Email” is over plan.")
    assert receiver.json() == {"text": "Budget alert: “Email” is over plan."}
    assert "webhook-signature" not in receiver.requests[0]["headers"]


def test_test_event_goes_to_that_endpoint_only(acme, alice, endpoint, receiver, run_on_commit):
    delivery = run_on_commit(services.endpoint_send_test, actor=alice, endpoint=endpoint)
    assert (
        receiver.json()["type"] == "webhook.test"
        and receiver.json()["data"]["sent_by"] == "alice@acme.example"
    )
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED


def test_redirects_are_not_followed(acme, endpoint, receiver, run_on_commit):
    receiver.answer(302, "", {"Location": "http://169.254.169.254/latest/meta-data/"})
    [delivery] = _emit(run_on_commit, acme)
    delivery.refresh_from_db()
    assert len(receiver.requests) == 1  # nothing followed the Location header
    assert delivery.status == WebhookDelivery.Status.RETRYING and delivery.last_status_code == 302


def test_timeouts_and_closed_ports_are_logged_as_errors(acme, alice, settings, run_on_commit):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    services.endpoint_create(
        actor=alice, workspace=acme, url=f"http://127.0.0.1:{port}/", event_types=[EventType.BUDGET_ALERT]
    )
    [delivery] = run_on_commit(events.emit, acme, EventType.BUDGET_ALERT, {}, "x")
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.status_code is None and "Connection failed" in attempt.error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
    ],
)
def test_private_targets_are_refused_by_default(acme, alice, url):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.endpoint_create(actor=alice, workspace=acme, url=url, event_types=[EventType.BUDGET_ALERT])
    assert "url" in error.value.message_dict
    assert not WebhookEndpoint.objects.filter(workspace=acme).exists()


def test_bad_schemes_and_unknown_events_are_refused(acme, alice):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.endpoint_create(actor=alice, workspace=acme, url="file:///etc/passwd", event_types=["nope"])
    assert set(error.value.message_dict) == {"url", "event_types"}
    with pytest.raises(ValidationError, match="at least one"):
        services.endpoint_create(actor=alice, workspace=acme, url="https://93.184.215.14/", event_types=[])


def test_an_address_that_turns_private_after_saving_is_refused_at_send_time(
    acme, endpoint, receiver, run_on_commit, settings
):
    """DNS rebinding or a changed record: the address connected to is checked on every send."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    [delivery] = _emit(run_on_commit, acme)
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert receiver.requests == [] and attempt.error.startswith("Refused:")


def test_connected_peer_is_checked_even_if_the_name_check_passed(monkeypatch, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    monkeypatch.setattr(transport, "check_url", lambda url: None)  # pretend DNS said "public"
    with pytest.MonkeyPatch.context():
        from tests.webhooks.receiver import Receiver

        with Receiver() as server:
            result = transport.post(server.url, b"{}", {})
    assert result.status_code is None and result.error.startswith("Refused:") and server.requests == []


def test_emit_never_breaks_the_business_change(acme, monkeypatch, run_on_commit):
    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(events, "create_delivery", broken)
    WebhookEndpoint.objects.create(
        workspace=acme, url="https://example.com/", event_types=[EventType.BUDGET_ALERT], secret="whsec_AAAA"
    )
    assert run_on_commit(events.emit, acme, EventType.BUDGET_ALERT, {}, "x") == []


def test_a_lost_queue_entry_is_sent_by_the_sweep(acme, endpoint, receiver):
    """Rows are written in the transaction; if the process dies before queueing, the sweep sends them."""
    assert len(events.emit(acme, EventType.CAMPAIGN_STATUS_CHANGED, {}, "x")) == 1  # on-commit never runs
    assert receiver.requests == []
    assert sending.sweep(now=timezone.now()) == 1
    assert len(receiver.requests) == 1
    assert sending.sweep(now=timezone.now() + dt.timedelta(hours=1)) == 0  # delivered once, not again


def test_retry_command_and_sweep_task_send_due_deliveries(acme, endpoint, receiver, capsys):
    from django.core.management import call_command

    from opencmo.webhooks.tasks import webhooks_sweep

    events.emit(acme, EventType.CAMPAIGN_STATUS_CHANGED, {}, "x")
    call_command("webhooks-retry")
    assert "1 webhook delivery attempted." in capsys.readouterr().out and len(receiver.requests) == 1
    events.emit(acme, EventType.BUDGET_ALERT, {}, "y")
    assert webhooks_sweep.enqueue().return_value == 1 and len(receiver.requests) == 2


def test_the_delivery_log_is_pruned_after_the_retention_period(acme, endpoint, receiver, settings):
    settings.WEBHOOK_LOG_DAYS = 30
    [old] = events.emit(acme, EventType.CAMPAIGN_STATUS_CHANGED, {}, "x")
    sending.sweep()
    [stuck] = events.emit(acme, EventType.CAMPAIGN_STATUS_CHANGED, {}, "y")  # not sent yet: kept
    WebhookDelivery.objects.filter(pk__in=[old.pk, stuck.pk]).update(
        created_at=timezone.now() - dt.timedelta(days=31)
    )
    [fresh] = events.emit(acme, EventType.CAMPAIGN_STATUS_CHANGED, {}, "z")
    WebhookDelivery.objects.filter(pk=fresh.pk).update(status=WebhookDelivery.Status.SUCCEEDED)
    assert sending.prune() == 1
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {stuck.pk, fresh.pk}
    assert not WebhookAttempt.objects.filter(delivery_id=old.pk).exists()


def test_a_delivery_claimed_by_a_dead_worker_is_retried_after_its_lease(acme, endpoint, receiver):
    """kill -9 between claim and result: nobody else sends it while the claim holds; the sweep does after."""
    [delivery] = events.emit(acme, EventType.CAMPAIGN_STATUS_CHANGED, {}, "x")
    now = timezone.now()
    assert sending._claim(delivery.pk, now)  # the worker that then died
    assert sending.sweep(now=now) == 0 and receiver.requests == []
    lease_end = now + dt.timedelta(seconds=transport.timeout() + 30)
    assert sending.sweep(now=lease_end - dt.timedelta(seconds=1)) == 0
    assert sending.sweep(now=lease_end) == 1 and len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED and delivery.attempts == 1
