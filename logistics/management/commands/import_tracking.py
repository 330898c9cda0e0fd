from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from logistics.imports import ImportFailed, create_import, run_import
from logistics.models import Carrier
from portal.memory import relaxed_gc
from portal.models import Store


class Command(BaseCommand):
    help = ("Import a carrier tracking report (CSV in UTF-8/UTF-8 with BOM/GBK, or XLSX). Rows are numbered as a "
            "spreadsheet shows them: the header is row 1.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--carrier", required=True, help="Carrier code, e.g. SF.")
        parser.add_argument("--store", help="Store code for parcels the portal does not know yet.")

    def handle(self, *args, file, carrier, store=None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            carrier_obj = Carrier.objects.get(code=carrier)
        except Carrier.DoesNotExist as exc:
            raise CommandError(f"Unknown carrier code: {carrier}") from exc
        store_obj = None
        if store:
            store_obj = Store.objects.filter(code=store).first()
            if store_obj is None:
                raise CommandError(f"Unknown store code: {store}")
        now = timezone.now()
        with path.open("rb") as handle:
            try:
                tracking_import = create_import(
                    carrier=carrier_obj, store=store_obj, uploaded_file=File(handle, name=path.name), actor=None,
                    now=now,
                )
            except ImportFailed as exc:
                raise CommandError(str(exc)) from exc
        with relaxed_gc():  # this process does nothing else meanwhile (portal/memory.py)
            result = run_import(tracking_import.pk, now=now, clock=timezone.now)
        if result.status != result.Status.DONE:
            raise CommandError(f"Import failed: {result.message}")
        self.stdout.write(
            f"Rows read: {result.rows_read}; events added: {result.events_added}; duplicates skipped: "
            f"{result.duplicates}; parcels created: {result.shipments_created}; rows rejected: {result.rejected_count}"
        )
        for item in result.rejected_rows:
            self.stdout.write(f"  row {item['row']}: {item['reason']}")
