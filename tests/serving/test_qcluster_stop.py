"""Stopping the qcluster as a supervisor does: SIGTERM to the master (systemd's KillMode=mixed), or
to the whole process group (`kill -TERM -PGID`, systemd's default). `manage.py run_qcluster` exits
within 30 s either way, and every task it had started finishes (none is cut off or lost)."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.qcluster import ROOT, cluster_env, manage, processes_with_env

# These processes run on a SQLite file whatever DATABASE_URL says: once, in CI's SQLite pass.
pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="SQLite pass only")


TASKS = 4


def enqueue(env, marks):
    code = (
        "from django_q.tasks import async_task\n"
        f"for i in range({TASKS}): async_task('tests.serving.qtasks.slow', {str(marks)!r}, i, 1.5)"
    )
    manage(env, "shell", "-c", code)


@pytest.mark.qcluster
@pytest.mark.parametrize("target", ["master", "process group"])
def test_sigterm_stops_the_cluster_within_30_s_and_no_started_task_is_cut_off(migrated_db, tmp_path, target):
    db, marks = migrated_db, tmp_path / "marks.txt"
    env = cluster_env(db, gateway_url="")
    enqueue(env, marks)
    cluster = subprocess.Popen([sys.executable, "manage.py", "run_qcluster"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (marks.exists() and "start" in marks.read_text()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marks.exists(), "no task started"
        stop_at = time.monotonic()
        if target == "master":
            cluster.send_signal(signal.SIGTERM)
        else:
            os.killpg(cluster.pid, signal.SIGTERM)
        output = cluster.communicate(timeout=30)[0].decode()
        assert time.monotonic() - stop_at < 30
    finally:
        if cluster.poll() is None:
            os.killpg(cluster.pid, signal.SIGKILL)
    assert cluster.returncode == 0, output
    time.sleep(0.5)
    assert processes_with_env("SQLITE_PATH", str(db)) == []  # nothing of the cluster is left
    lines = marks.read_text().split()
    started = {lines[i + 1] for i in range(0, len(lines), 2) if lines[i] == "start"}
    ended = {lines[i + 1] for i in range(0, len(lines), 2) if lines[i] == "end"}
    assert started == ended, output  # every task that started, finished
    with sqlite3.connect(db) as conn:
        done = conn.execute("select count(*) from django_q_task where success").fetchone()[0]
        waiting = conn.execute("select count(*) from django_q_ormq").fetchone()[0]
    # Each task either finished (a success result) or still waits in the broker for the next cluster.
    assert done == len(ended) and done + waiting == TASKS, output
