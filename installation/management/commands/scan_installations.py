from django.core.management.base import BaseCommand

from installation.services import scan_installations
from portal.commands import NOW_HELP, parse_now


class Command(BaseCommand):
    help = "Run the installation SLA scan once (the django-q2 schedule runs it every 10 minutes)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help=NOW_HELP)

    def handle(self, *args, now=None, **options):
        result = scan_installations(now=parse_now(now))
        self.stdout.write(
            f"Opened {result['opened']} installation alert(s), closed {result['closed']}, "
            f"{result['notified']} message(s) queued; {result['appointments_at_risk']} appointment(s) at risk "
            f"raised, {result['appointment_alerts_closed']} closed."
        )
