"""`manage.py escalate [--now ISO8601]`: run one escalation sweep and print what fired per level."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tickets.escalation import escalate_due_tickets


class Command(BaseCommand):
    help = "Fire every escalation level that has come due (once per ticket, level and SLA cycle)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Sweep as of this moment (ISO 8601, e.g. 2026-03-03T12:30:00+08:00).")

    def handle(self, *args, now=None, **options):
        if now:
            moment = parse_datetime(now)
            if moment is None:
                raise CommandError(f"--now: not an ISO 8601 date and time: {now!r}")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        else:
            moment = timezone.now()
        result = escalate_due_tickets(now=moment)
        for line in result.lines():
            self.stdout.write(line)
        self.stdout.write(
            f"{result.fired} escalations fired, {result.notifications} notifications queued "
            f"(sweep {result.sweep_id} at {moment.isoformat()})."
        )
