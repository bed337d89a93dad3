"""Send webhook deliveries that are due (retries, and any whose queue entry was lost). Safe to run from
cron every minute next to `opencmo db_worker`: a delivery is claimed before it is sent, so concurrent
runs never send the same attempt twice."""

from django.core.management.base import BaseCommand

from opencmo.webhooks.delivery import sweep


class Command(BaseCommand):
    help = "Send due webhook deliveries (retries and lost queue entries)."

    def handle(self, *args, **options) -> None:
        sent = sweep()
        self.stdout.write(f"{sent} webhook deliver{'y' if sent == 1 else 'ies'} attempted.")
