"""One SQLite configuration whichever way the file is named (SQLITE_PATH or DATABASE_URL=sqlite:///),
and concurrent writers queue on it instead of failing with "database is locked"."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SHOW_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings;"
    "d = dict(settings.DATABASES['default']); print(json.dumps({k: d[k] for k in"
    " ('ENGINE', 'NAME', 'OPTIONS', 'CONN_MAX_AGE', 'CONN_HEALTH_CHECKS')}))"
)

# Four threads, eight transactions each that read then write (the pattern of a service function),
# with a pause inside the transaction so that they overlap.
WRITERS = r"""
import threading, time, django
django.setup()
from django.db import OperationalError, connection, transaction
with connection.cursor() as c:
    c.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, n INTEGER)")
errors, written = [], []
def writer(k):
    for i in range(8):
        try:
            with transaction.atomic():
                with connection.cursor() as c:
                    c.execute("SELECT count(*) FROM note")
                    time.sleep(0.01)
                    c.execute("INSERT INTO note (n) VALUES (%s)", [k * 100 + i])
            written.append(1)
        except OperationalError as exc:
            errors.append(str(exc))
    connection.close()
threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]
with connection.cursor() as c:
    c.execute("SELECT count(*) FROM note"); stored = c.fetchone()[0]
c2 = connection.cursor(); c2.execute("PRAGMA journal_mode"); mode = c2.fetchone()[0]
print(len(errors), len(written), stored, mode, errors[:1])
"""


def run(code, **env_changes):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SQLITE_PATH", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings", **env_changes)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_database_url_sqlite_gets_the_same_configuration_as_the_default(tmp_path):
    path = tmp_path / "portal.sqlite3"
    by_path = json.loads(run(SHOW_SETTINGS, SQLITE_PATH=str(path)))
    by_url = json.loads(run(SHOW_SETTINGS, DATABASE_URL=f"sqlite:///{path}"))
    assert by_url == by_path
    assert by_url["OPTIONS"]["transaction_mode"] == "IMMEDIATE" and "busy_timeout" in by_url["OPTIONS"]["init_command"]


def test_concurrent_writes_through_database_url_never_lock(tmp_path):
    out = run(WRITERS, DATABASE_URL=f"sqlite:///{tmp_path / 'url.sqlite3'}").split(maxsplit=4)
    errors, written, stored, mode = int(out[0]), int(out[1]), int(out[2]), out[3]
    assert (errors, written, stored, mode) == (0, 32, 32, "wal"), out
