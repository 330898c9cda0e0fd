"""`manage.py compute_scores [--store CODE] [--from DATE --to DATE]`: the daily snapshot and badges."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.models import Store
from scores.services import compute_range, last_full_day


class Command(BaseCommand):
    help = ("Compute the experience-score snapshots and badges: yesterday (the last full day) by default, "
            "or every day from --from to --to (a backfill). Idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--store", help="Store code (default: every store).")
        parser.add_argument("--from", dest="date_from", type=date.fromisoformat, help="First data date, YYYY-MM-DD.")
        parser.add_argument("--to", dest="date_to", type=date.fromisoformat, help="Last data date, YYYY-MM-DD.")

    def handle(self, *args, store=None, date_from=None, date_to=None, **options):
        now = timezone.now()
        store_ids = None
        if store:
            store_ids = list(Store.objects.filter(code=store).values_list("pk", flat=True))
            if not store_ids:
                raise CommandError(f"Unknown store: {store}")
        if (date_from is None) != (date_to is None):
            raise CommandError("Give both --from and --to, or neither.")
        if date_from is None:
            date_from = date_to = last_full_day(now)
        if date_from > date_to:
            raise CommandError("--from is after --to.")
        for result in compute_range(date_from, date_to, now=now, store_ids=store_ids):
            self.stdout.write(f"{result['date']}: {result['stores']} store(s), {result['metrics']} metric snapshots, "
                              f"badge changes {result['badge_changes'] or '{}'}")
