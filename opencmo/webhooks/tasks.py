"""Background jobs: send one webhook delivery; sweep the due ones (run `opencmo webhooks-retry`
from cron every minute as a safety net, or enqueue `webhooks_sweep`)."""

from django.tasks import task


@task()
def deliver(delivery_pk: int) -> str:
    from opencmo.webhooks.delivery import attempt

    delivery = attempt(delivery_pk)
    return "not due" if delivery is None else delivery.status


@task()
def webhooks_sweep() -> int:
    from opencmo.webhooks.delivery import sweep

    return sweep()
