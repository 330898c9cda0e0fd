"""A real `manage.py qcluster` process on a file database runs the dispatcher schedule.

The outbox row is queued, the cluster's scheduler fires `portal.dispatch_notifications`, and the SMS
reaches a real HTTP gateway on loopback. With REDIS_URL set (the scale-out CI run) the same test
also runs on the Redis broker.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.portal.gateway import FakeSmsGateway

ROOT = Path(__file__).resolve().parents[2]
BROKERS = ["orm"] + (["redis"] if os.environ.get("REDIS_URL") else [])


def manage(env, *args):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True)


@pytest.mark.qcluster
@pytest.mark.parametrize("broker", BROKERS)
def test_qcluster_delivers_a_queued_notification(tmp_path, broker):
    db = tmp_path / "cluster.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(SQLITE_PATH=str(db), Q_WORKERS="1")
    if broker == "redis":
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    with FakeSmsGateway() as gateway:
        env["SMS_GATEWAY_URL"] = gateway.url
        manage(env, "migrate", "-v0")  # post_migrate syncs the schedules
        manage(
            env, "shell", "-c",
            "from django.utils import timezone; from django.contrib.auth.models import User;"
            "from portal.models import Profile, Notification; from portal.notifications import queue_notification;"
            "u = User.objects.create_user('chair'); Profile.objects.create(user=u, phone='13912345678');"
            "queue_notification(recipient=u, channel=Notification.Channel.SMS, subject='Ticket 1 overdue 24h',"
            " now=timezone.now())",
        )
        cluster = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 120  # the scheduler's first tick comes about 30 s after start
            status = None
            while time.monotonic() < deadline:
                with sqlite3.connect(db) as conn:
                    status = conn.execute("select status from portal_notification").fetchone()[0]
                if status == "sent":
                    break
                assert cluster.poll() is None, cluster.stdout.read().decode()
                time.sleep(1)
        finally:
            os.killpg(cluster.pid, signal.SIGTERM)
            try:
                output = cluster.communicate(timeout=30)[0].decode()
            except subprocess.TimeoutExpired:
                os.killpg(cluster.pid, signal.SIGKILL)
                output = cluster.communicate()[0].decode()
    assert status == "sent", output
    assert [r["to"] for r in gateway.requests] == ["13912345678"]
    assert cluster.returncode is not None
