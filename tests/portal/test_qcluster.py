"""A real `manage.py qcluster` process on a file database runs the dispatcher schedule.

The outbox row is queued, the cluster's scheduler fires `portal.dispatch_notifications`, and the SMS
reaches a real HTTP gateway on loopback. With REDIS_URL set (the scale-out CI run) the same test
also runs on the Redis broker.
"""

import os
import sqlite3

import pytest

from tests.portal.gateway import FakeSmsGateway
from tests.qcluster import cluster_env, manage, run_cluster_until

BROKERS = ["orm"] + (["redis"] if os.environ.get("REDIS_URL") else [])

SETUP = (
    "from django.utils import timezone; from django.contrib.auth.models import User;"
    "from portal.models import Profile, Notification; from portal.notifications import queue_notification;"
    "u = User.objects.create_user('chair'); Profile.objects.create(user=u, phone='13912345678');"
    "queue_notification(recipient=u, channel=Notification.Channel.SMS, subject='Ticket 1 overdue 24h',"
    " now=timezone.now())"
)


@pytest.mark.qcluster
@pytest.mark.parametrize("broker", BROKERS)
def test_qcluster_delivers_a_queued_notification(tmp_path, broker):
    db = tmp_path / "cluster.sqlite3"

    def sent():
        with sqlite3.connect(db) as conn:
            return conn.execute("select status from portal_notification").fetchone()[0] == "sent"

    with FakeSmsGateway() as gateway:
        env = cluster_env(db, gateway_url=gateway.url, redis_url=os.environ.get("REDIS_URL") if broker == "redis" else None)
        manage(env, "migrate", "-v0")  # post_migrate syncs the schedules
        manage(env, "shell", "-c", SETUP)
        # The scheduler's first tick comes about 30 s after start.
        delivered, output = run_cluster_until(env, sent, timeout=120)
    assert delivered, output
    assert [r["to"] for r in gateway.requests] == ["13912345678"]
