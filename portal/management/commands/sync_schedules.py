from django.core.management.base import BaseCommand

from portal.schedules import sync_schedules


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules declared in code (idempotent, by name)."

    def handle(self, *args, **options):
        for name, outcome in sync_schedules().items():
            self.stdout.write(f"{name}: {outcome}")
