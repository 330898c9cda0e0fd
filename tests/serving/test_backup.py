"""manage.py backup: a consistent copy of the SQLite database and of the uploaded files; the daily
schedule keeps the newest seven; PostgreSQL is refused with a clear message."""

import sqlite3
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from portal.backup import backup
from portal.schedules import declared_schedules

pytestmark = pytest.mark.django_db(transaction=True)
sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'")


@pytest.fixture
def folders(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.BACKUP_DIR = tmp_path / "backups"
    (tmp_path / "media" / "logistics" / "imports").mkdir(parents=True)
    (tmp_path / "media" / "logistics" / "imports" / "report.csv").write_text("waybill\nSF1\n")
    (tmp_path / "private" / "proofs").mkdir(parents=True)
    (tmp_path / "private" / "proofs" / "photo.jpg").write_bytes(b"\xff\xd8 jpeg")
    return tmp_path


@sqlite_only
def test_backup_copies_the_database_and_the_uploaded_files(folders, django_user_model):
    django_user_model.objects.create_user("kept-in-backup")
    out = StringIO()
    call_command("backup", stdout=out)
    path = folders / "backups" / out.getvalue().strip().rsplit("/", 1)[-1]
    with sqlite3.connect(path / "portal.sqlite3") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        names = [row[0] for row in copy.execute("select username from auth_user")]
    assert "kept-in-backup" in names
    assert (path / "media" / "logistics" / "imports" / "report.csv").read_text() == "waybill\nSF1\n"
    assert (path / "private" / "proofs" / "photo.jpg").read_bytes() == b"\xff\xd8 jpeg"
    assert not [p for p in (folders / "backups").iterdir() if p.name.startswith(".")]  # no partial left


@sqlite_only
def test_backups_beyond_the_newest_seven_are_deleted(folders):
    start = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
    made = [backup(now=start + timedelta(days=day)) for day in range(9)]
    kept = sorted(p.name for p in (folders / "backups").iterdir())
    assert kept == [p.name for p in made[2:]] and len(kept) == 7


def test_backup_runs_daily_from_a_schedule_declared_in_code():
    spec = {s.name: s for s in declared_schedules()}["portal.backup"]
    assert spec.minutes == 24 * 60 and spec.func == "portal.tasks.backup"


def test_backup_on_postgresql_points_to_pg_dump_and_fails_cleanly(folders):
    if connection.vendor == "sqlite":
        pytest.skip("PostgreSQL only (the CI's second run)")
    with pytest.raises(CommandError, match="pg_dump"):
        call_command("backup")
    assert not (folders / "backups").exists()
