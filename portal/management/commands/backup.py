from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.backup import BackupNotSupported, backup


class Command(BaseCommand):
    help = (
        "Back up the SQLite database (online backup API: consistent while the portal runs) and the "
        "uploaded files into BACKUP_DIR/<timestamp>/, keeping the newest BACKUP_KEEP (default 7)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--keep", type=int, help="how many backups to keep (0: all); default BACKUP_KEEP")
        parser.add_argument("--to", help="folder to write into; default BACKUP_DIR (var/backups)")

    def handle(self, *args, keep=None, to=None, **options):
        try:
            path = backup(now=timezone.now(), keep=keep, target=to)
        except (BackupNotSupported, FileExistsError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(path))
