from importlib import import_module
from importlib.util import find_spec

from django.core.management.base import BaseCommand
from django.utils import timezone

from portal.demo import DEMO_PASSWORD, load_portal_demo
from portal.roles import Role

# Apps that add demo data of their own with a `<app>.demo.load_demo(now=...)` function.
DEMO_APPS = ["tickets", "logistics", "installation", "refunds", "scores", "training"]


class Command(BaseCommand):
    help = "Load the demo stores, org chart, users (one per role) and sample data. Idempotent."

    def handle(self, *args, **options):
        logins = load_portal_demo()
        now = timezone.now()
        for app in DEMO_APPS:
            if find_spec(f"{app}.demo") is not None:
                import_module(f"{app}.demo").load_demo(now=now)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role in logins:
            self.stdout.write(f"  {username:<12} {Role(role).label}")
