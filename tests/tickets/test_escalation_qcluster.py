"""A real qcluster escalates an overdue major complaint and delivers the chairman's SMS.

File SQLite database, migrate (which syncs the schedules) and set-up through `manage.py shell`,
then `manage.py qcluster`: the `tickets.escalate` schedule fires the ladder and queues the SMS in
the outbox, the `portal.dispatch_notifications` schedule delivers it to a real HTTP gateway on
loopback. The scheduler ticks about 30 s after start, the two schedules run every minute.
"""

import sqlite3

import pytest

from tests.portal.gateway import FakeSmsGateway
from tests.qcluster import cluster_env, manage, run_cluster_until

SETUP = """
from datetime import timedelta
from django.utils import timezone
from portal.models import Profile, Store, Team
from portal.roles import Role, ensure_roles
from portal.services import add_member
from django.contrib.auth.models import User
from tickets import services
from tickets.escalation.demo import make_standard_policy
from tickets.models import BusinessCalendar, Queue, SLAPolicy, SLATarget

ensure_roles()
now = timezone.now()
store = Store.objects.create(code="clouddry", name="CloudDry", marketplace="tmall", brand="CloudDry")
board = Team.objects.create(name="Board", kind="management")
team = Team.objects.create(name="CS", kind="customer_service", parent=board)
chairman = User.objects.create_user("chairman")
Profile.objects.create(user=chairman, phone="13900000006")
add_member(user=chairman, team=board, role=Role.EXECUTIVE)
agent = User.objects.create_user("agent")
add_member(user=agent, team=team, role=Role.AGENT)
queue = Queue.objects.create(name="CS queue", team=team, is_default=True)
calendar = BusinessCalendar.objects.create(name="24x7", always_open=True)
policy = SLAPolicy.objects.create(name="Default", calendar=calendar, is_default=True)
SLATarget.objects.create(policy=policy, priority="normal", first_response_minutes=60, resolution_minutes=480)
make_standard_policy(now=now - timedelta(days=3))
# Opened 40 hours ago: resolution was due 32 hours ago, past the chairman's +24 h level.
services.create_ticket(store=store, queue=queue, actor=agent, now=now - timedelta(hours=40),
                       subject="Rack fell off the wall", is_major=True, assignee=agent)
"""


def sms_status(db):
    with sqlite3.connect(db) as conn:
        row = conn.execute("select status from portal_notification where channel = 'sms'").fetchone()
        escalations = conn.execute("select count(*) from tickets_escalation").fetchone()[0]
    return (row[0] if row else None), escalations


@pytest.mark.qcluster
def test_qcluster_escalates_an_overdue_ticket_and_delivers_the_sms(tmp_path):
    db = tmp_path / "cluster.sqlite3"
    with FakeSmsGateway() as gateway:
        env = cluster_env(db, gateway_url=gateway.url)
        manage(env, "migrate", "-v0")
        manage(env, "shell", "-c", SETUP)
        assert sms_status(db) == (None, 0)
        delivered, output = run_cluster_until(env, lambda: sms_status(db)[0] == "sent", timeout=150)
    assert delivered, output
    assert sms_status(db)[1] == 5  # the whole ladder, in one sweep
    assert [request["to"] for request in gateway.requests] == ["13900000006"]
    assert "Rack fell off the wall" in gateway.requests[0]["text"]
