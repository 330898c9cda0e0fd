from django.core.management.base import BaseCommand

from logistics.alerts import scan_logistics
from portal.commands import NOW_HELP, parse_now


class Command(BaseCommand):
    help = "Run the logistics alert scan once (the django-q2 schedule runs it every 10 minutes)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help=NOW_HELP)

    def handle(self, *args, now=None, **options):
        result = scan_logistics(now=parse_now(now))
        self.stdout.write(
            f"Opened {result['opened']} alert(s), closed {result['closed']}, follow-ups due {result['follow_ups_due']}, "
            f"{result['messages']} message(s) queued."
        )
