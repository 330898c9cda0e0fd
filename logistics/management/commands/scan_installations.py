from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from logistics.installation import scan_installations


class Command(BaseCommand):
    help = "Run the installation SLA scan once (the django-q2 schedule runs it every 10 minutes)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Evaluate at this time (ISO 8601, e.g. 2026-11-20T09:00+08:00).")

    def handle(self, *args, now=None, **options):
        if now:
            try:
                at = datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(f"--now: not an ISO 8601 time: {now}") from exc
            if timezone.is_naive(at):
                at = timezone.make_aware(at)
        else:
            at = timezone.now()
        result = scan_installations(now=at)
        self.stdout.write(
            f"Opened {result['opened']} installation alert(s), closed {result['closed']}, "
            f"{result['notified']} message(s) queued."
        )
