"""`manage.py escalate [--now ISO8601]`: run one escalation sweep and print what fired per level."""

from django.core.management.base import BaseCommand

from portal.commands import NOW_HELP, parse_now
from tickets.escalation.sweep import escalate_due_tickets


class Command(BaseCommand):
    help = "Fire every escalation level that has come due (once per ticket, level and SLA cycle)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help=NOW_HELP)

    def handle(self, *args, now=None, **options):
        moment = parse_now(now)
        result = escalate_due_tickets(now=moment)
        for line in result.lines():
            self.stdout.write(line)
        self.stdout.write(
            f"{result.fired} escalations fired, {result.notifications} notifications queued "
            f"(sweep {result.sweep_id} at {moment.isoformat()})."
        )
