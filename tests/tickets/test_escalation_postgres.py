"""Concurrent sweeps on PostgreSQL (several qclusters): each escalation is fired and notified once.

Real threads, each with its own database connection, committing for real (transactional_db).
"""

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from portal.models import Notification
from tests.tickets.escalation_helpers import Ladder, sh
from tickets.escalation import sql
from tickets.escalation.sweep import escalate_due_tickets
from tickets.models import Escalation, TimelineEntry

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)"),
]


def run_in_threads(*targets):
    """Run each callable in its own thread (own connection); return their results in order."""
    results, errors = [None] * len(targets), []

    def runner(i, target):
        try:
            results[i] = target()
        except Exception as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, t), name=f"sweep-{i}") for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def assert_each_escalation_once():
    keys = list(Escalation.objects.values_list("ticket_id", "level_id", "cycle"))
    assert len(keys) == len(set(keys))
    # Each escalation is on exactly one timeline entry, and each recipient got one message per
    # channel per sweep.
    listed = Counter()
    for entry in TimelineEntry.objects.filter(kind=TimelineEntry.Kind.ESCALATION, actor__isnull=True):
        for position in entry.data["levels"]:
            listed[(entry.ticket_id, position)] += 1
    assert all(count == 1 for count in listed.values())
    assert sum(listed.values()) == len(keys)
    per_sweep = Counter(Notification.objects.filter(source__startswith="escalation-sweep:")
                        .values_list("source", "recipient_id", "channel"))
    assert all(count == 1 for count in per_sweep.values())


@pytest.fixture
def ladder(transactional_db):
    return Ladder()


def test_two_sweeps_racing_fire_each_escalation_once(ladder):
    tickets = [ladder.ticket(is_major=i % 3 == 0, assignee=ladder.agent if i % 2 else ladder.agent2)
               for i in range(40)]
    for now in (sh(2026, 3, 3, 10, 0), sh(2026, 3, 3, 12, 30), sh(2026, 3, 4, 11, 0)):
        barrier = threading.Barrier(2)

        def sweep(now=now, barrier=barrier):
            barrier.wait()
            return escalate_due_tickets(now=now).fired

        first, second = run_in_threads(sweep, sweep)
        assert first + second == Escalation.objects.filter(fired_at=now).count()
    majors = sum(1 for i in range(40) if i % 3 == 0)
    assert Escalation.objects.count() == 4 * len(tickets) + majors
    assert_each_escalation_once()


def test_a_sweep_blocked_on_anothers_uncommitted_escalations_skips_them(ladder, monkeypatch):
    """Sweep A has inserted but not committed; sweep B's insert waits on A's rows (the unique
    constraint) and, once A commits, skips them: B owns nothing, notifies nobody."""
    for _ in range(10):
        ladder.ticket()
    inserted, original = threading.Event(), sql.FireStatement.execute
    sweep_b_state = []

    def blocked_waiters():
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # statistics are cached per transaction
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            return cursor.fetchone()[0]

    def execute(self):
        count = original(self)
        if threading.current_thread().name == "sweep-0":
            inserted.set()
            # Hold the transaction open until sweep B waits on our rows.
            for _ in range(600):
                if blocked_waiters():
                    break
                threading.Event().wait(0.05)
            else:
                raise AssertionError(f"sweep B never waited on sweep A's rows ({sweep_b_state})")
        return count

    monkeypatch.setattr(sql.FireStatement, "execute", execute)
    now = sh(2026, 3, 3, 14, 0)

    def sweep_a():
        return escalate_due_tickets(now=now)

    def sweep_b():
        assert inserted.wait(60)
        sweep_b_state.append("started")
        result = escalate_due_tickets(now=now)
        sweep_b_state.append(("done", result.fired))
        return result

    a, b = run_in_threads(sweep_a, sweep_b)
    assert (a.fired, b.fired) == (30, 0)  # warning, breach and +2 h for ten tickets
    assert b.notifications == 0
    assert Escalation.objects.count() == 30
    assert_each_escalation_once()
