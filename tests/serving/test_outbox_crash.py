"""A qcluster killed (SIGKILL) in the middle of delivering the outbox, then started again.

Thirty SMS (the chairman's among them, early in the first claimed batch but not yet tried) and
fifteen e-mails are queued; a dispatch starts against a slow SMS gateway and the whole cluster is
killed after a few sends. After the restart, the cluster's own schedule delivers the rest: every
message exactly once per idempotency key, nothing `unknown`, the chairman's SMS within two
dispatch intervals of the restart.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.portal.gateway import FakeSmsGateway
from tests.qcluster import ROOT, cluster_env, manage

# These processes run on a SQLite file whatever DATABASE_URL says: once, in CI's SQLite pass.
pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="SQLite pass only")

SMS, EMAILS, CHAIRMAN = 30, 15, 8  # the chairman's SMS is the 8th queued
DISPATCH_INTERVAL = 60  # portal.dispatch_notifications runs every minute

SETUP = f"""
from django.utils import timezone
from django.contrib.auth.models import User
from portal.models import Profile, Notification
from portal.notifications import queue_notification

now = timezone.now()
for i in range({SMS}):
    u = User.objects.create_user(f"sms{{i}}")
    Profile.objects.create(user=u, phone=f"1390000{{i:04d}}")
    subject = "CHAIRMAN ticket overdue 24h" if i == {CHAIRMAN - 1} else f"sms {{i}}"
    queue_notification(recipient=u, channel=Notification.Channel.SMS, subject=subject, now=now)
for i in range({EMAILS}):
    u = User.objects.create_user(f"mail{{i}}", email=f"mail{{i}}@example.com")
    queue_notification(recipient=u, channel=Notification.Channel.EMAIL, subject=f"mail {{i}}", now=now)
"""
KICK = "from django_q.tasks import async_task; async_task('portal.tasks.dispatch_notifications')"


def start_cluster(env, command="run_qcluster"):
    return subprocess.Popen([sys.executable, "manage.py", command], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def rows(db):
    with sqlite3.connect(db) as conn:
        return conn.execute("select channel, subject, status, idempotency_key, send_started_at from portal_notification"
                            ).fetchall()


@pytest.mark.qcluster
def test_killed_mid_dispatch_every_message_is_delivered_once_and_none_is_unknown(migrated_db, tmp_path):
    db, mail_dir = migrated_db, tmp_path / "mail"
    with FakeSmsGateway(delay=0.3) as gateway:
        env = cluster_env(db, gateway_url=gateway.url)
        env.update(EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(mail_dir),
                   NOTIFICATION_RECLAIM_UNTRIED_AFTER="5", NOTIFICATION_CLAIM_TIMEOUT="20")
        manage(env, "shell", "-c", SETUP)

        cluster = start_cluster(env, "qcluster")  # the bare cluster: SIGKILL reaches every process of it
        try:
            manage(env, "shell", "-c", KICK)
            deadline = time.monotonic() + 30
            while len(gateway.requests) < 4 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait()
        assert 4 <= len(gateway.requests) < SMS, "the kill must come in the middle of the dispatch"
        stranded = [r for r in rows(db) if r[2] == "sending" and r[4] is None]
        assert stranded and any(r[1].startswith("CHAIRMAN") for r in stranded)  # claimed, never tried

        restarted = time.monotonic()
        cluster = start_cluster(env)
        try:
            deadline = restarted + 2 * DISPATCH_INTERVAL
            while time.monotonic() < deadline:
                if all(r[2] == "sent" for r in rows(db)):
                    break
                time.sleep(0.5)
        finally:
            os.killpg(cluster.pid, signal.SIGTERM)
            try:
                cluster.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(cluster.pid, signal.SIGKILL)

    final = rows(db)
    assert {r[2] for r in final} == {"sent"}, [r for r in final if r[2] != "sent"]  # none unknown, none stuck
    sms_keys = {r[3].replace("-", "") for r in final if r[0] == "sms"}
    assert {k.replace("-", "") for k in gateway.delivered} == sms_keys and len(gateway.delivered) == SMS
    chairman_key = next(r[3] for r in final if r[1].startswith("CHAIRMAN"))
    chairman_key = next(k for k in gateway.delivered if k.replace("-", "") == chairman_key.replace("-", ""))
    assert gateway.delivered_at[chairman_key] - restarted < 2 * DISPATCH_INTERVAL
    # Every e-mail exactly once (the file backend writes each message into the folder).
    sent_mail = "".join(p.read_text() for p in mail_dir.iterdir())
    assert [sent_mail.count(f"Subject: mail {i}\n") for i in range(EMAILS)] == [1] * EMAILS
