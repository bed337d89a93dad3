"""`opencmo demo`: load the demo company (idempotent) and print its logins."""

from django.core.management.base import BaseCommand

from opencmo.demo import company


class Command(BaseCommand):
    help = "Load the Nordlys demo company (generated from a seed) and print the demo logins."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo workspaces and users first."
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026).")

    def handle(self, *args, reset: bool, seed: int, **options) -> None:
        if reset:
            company.remove()
        if company.demo_exists():
            self.stdout.write("The demo company is already loaded (use --reset to rebuild it).")
        else:
            company.build(seed=seed)
            self.stdout.write(self.style.SUCCESS("Demo company loaded."))
        logins = company.logins()
        self.stdout.write(f"\nDemo logins (password for all: {company.DEMO_PASSWORD}):")
        width = max(len(email) for email, _, _ in logins)
        for email, who, where in logins:
            self.stdout.write(f"  {email:<{width}}  {who}  [{where}]")
