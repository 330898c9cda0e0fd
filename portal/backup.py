"""Backups of the embedded default: a consistent copy of the SQLite database and the uploaded files.

The database is copied with SQLite's online backup API (a consistent snapshot while the web server
and the qcluster keep writing); MEDIA_ROOT and PRIVATE_MEDIA_ROOT are copied next to it. Each
backup is written into a hidden folder first and renamed to `BACKUP_DIR/<timestamp>/` when
complete, so a folder with a timestamp name is always a whole backup. PostgreSQL has its own tool
(pg_dump); this module refuses it rather than pretend.
"""

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


class BackupNotSupported(Exception):
    """The database is not SQLite: back it up with the server's own tool."""


def backup(*, now, keep: int | None = None, target: Path | None = None) -> Path:
    """Write one backup into `target` (default BACKUP_DIR) named after `now` (UTC), then keep only
    the newest `keep` backups there (default BACKUP_KEEP; 0 keeps all). Returns the new folder."""
    if connection.vendor != "sqlite":
        raise BackupNotSupported(
            "The database is PostgreSQL: back it up with pg_dump (e.g. `pg_dump -Fc DBNAME > portal.dump`) "
            "and copy MEDIA_ROOT and PRIVATE_MEDIA_ROOT with it."
        )
    target = Path(target or settings.BACKUP_DIR)
    keep = settings.BACKUP_KEEP if keep is None else keep
    name = now.astimezone(UTC).strftime(STAMP_FORMAT)
    final = target / name
    if final.exists():
        raise FileExistsError(f"{final} exists already.")
    partial = target / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    # In one step: under WAL the copy reads one snapshot and writers are not held meanwhile.
    connection.ensure_connection()
    destination = sqlite3.connect(partial / "portal.sqlite3")
    try:
        connection.connection.backup(destination)
    finally:
        destination.close()
    for label, root in (("media", settings.MEDIA_ROOT), ("private", settings.PRIVATE_MEDIA_ROOT)):
        if Path(root).is_dir():
            shutil.copytree(root, partial / label, symlinks=False)
    partial.rename(final)
    prune(target, keep)
    return final


def backups(target: Path) -> list[Path]:
    """The complete backups in `target`, oldest first."""
    if not target.is_dir():
        return []
    return sorted(p for p in target.iterdir() if p.is_dir() and not p.name.startswith(".") and _is_stamp(p.name))


def _is_stamp(name: str) -> bool:
    try:
        datetime.strptime(name, STAMP_FORMAT)
    except ValueError:
        return False
    return True


def prune(target: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups (0: keep all). Returns the deleted folders."""
    if keep <= 0:
        return []
    old = backups(target)[:-keep]
    for path in old:
        shutil.rmtree(path)
    return old
