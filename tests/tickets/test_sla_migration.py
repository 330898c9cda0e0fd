"""The data migration that recomputes stored SLA figures (tickets/migrations/0004_sla_seconds.py):
replaying a ticket's timeline gives what the exact live clocks give; tickets whose timeline does
not determine their clocks keep their figures."""

import importlib
from datetime import timedelta

from django.apps import apps
from django.db import connection

from tests.tickets.factories import sh
from tickets import services, sla
from tickets.models import Ticket

migration = importlib.import_module("tickets.migrations.0004_sla_seconds")
NOW = sh(2026, 3, 3, 12, 0, 0)


def _figures(ticket):
    """What the clocks mean: used time per counting clock at NOW, due times, flags, first response."""
    ticket.refresh_from_db()
    specs = sla.SpecCache()
    used = {clock: sla.used_at(ticket, clock, NOW, specs) for clock in ("first_response", "resolution")}
    return {
        "used": used, "first_response_due": ticket.first_response_due, "resolution_due": ticket.resolution_due,
        "first_response_time": ticket.first_response_time, "first_response_minutes": ticket.first_response_minutes,
        "flags": (ticket.first_response_breached, ticket.resolution_breached, ticket.sla_breached),
        "running": ticket.sla_clock_started_at is not None, "paused_at": ticket.clock_paused_at,
    }


def _age(ticket, *, minutes_lost=0, flip_flags=False):
    """Make the ticket look as the minute clocks left it: exact fields from whole minutes, no
    history, due times a little off, and (optionally) a few minutes lost and wrong flags."""
    ticket.refresh_from_db()
    ticket.resolution_used = max(0, ticket.resolution_used - minutes_lost)
    ticket.first_response_used = max(0, ticket.first_response_used - minutes_lost)
    if ticket.first_response_minutes is not None:
        ticket.first_response_minutes = max(0, ticket.first_response_minutes - minutes_lost)
        ticket.first_response_time = ticket.first_response_minutes * timedelta(minutes=1)
    ticket.resolution_used_time = ticket.resolution_used * timedelta(minutes=1)
    ticket.first_response_used_time = ticket.first_response_used * timedelta(minutes=1)
    ticket.sla_history = []
    # Due times of counting clocks (the migration leaves those of stopped clocks as they were).
    if ticket.resolution_due and ticket.is_open:
        ticket.resolution_due += timedelta(seconds=37)
    if ticket.first_response_due and ticket.is_open and ticket.first_response_at is None:
        ticket.first_response_due += timedelta(seconds=37)
    if flip_flags:
        ticket.first_response_breached = ticket.sla_breached = not ticket.first_response_breached
    ticket.save()


def test_replay_gives_the_live_clocks_figures(world):
    a = world.agent
    running = world.ticket(now=sh(2026, 3, 2, 9, 0, 15))
    for n in range(5):
        services.change_status(running, actor=a, status="pending_customer", now=sh(2026, 3, 2, 9, 10 + n, 59))
        services.change_status(running, actor=a, status="open", now=sh(2026, 3, 2, 9, 11 + n, 1))
    services.update_ticket(running, actor=a, now=sh(2026, 3, 2, 9, 30, 5), category="refund")  # same policy
    paused = world.ticket(now=sh(2026, 3, 2, 9, 0))
    services.reply(paused, actor=a, body="hi", now=sh(2026, 3, 2, 9, 10, 10))
    services.change_status(paused, actor=a, status="pending_customer", now=sh(2026, 3, 2, 10, 0, 30))
    resolved = world.ticket(now=sh(2026, 3, 2, 9, 0, 15))
    services.change_status(resolved, actor=a, status="pending_customer", now=sh(2026, 3, 2, 9, 0, 59))
    services.change_status(resolved, actor=a, status="open", now=sh(2026, 3, 2, 9, 1, 0))
    services.reply(resolved, actor=a, body="late", now=sh(2026, 3, 2, 11, 0, 0))
    services.resolve(resolved, actor=a, now=sh(2026, 3, 3, 10, 0, 20))
    services.close(resolved, actor=a, now=sh(2026, 3, 3, 10, 30))
    evening = world.ticket(now=sh(2026, 3, 2, 17, 0))
    services.reply(evening, actor=a, body="hi", now=sh(2026, 3, 2, 18, 30))  # on time under the one rule
    unanswered_late = world.ticket(now=sh(2026, 3, 2, 9, 0))  # running past its first-response due time
    replayed = [running, paused, resolved, evening, unanswered_late]
    expected = {t.pk: _figures(t) for t in replayed}
    for ticket in replayed:
        _age(ticket, minutes_lost=1 if ticket is running else 0, flip_flags=ticket is evening)

    migration.recompute(apps, None, now=NOW)

    for ticket in replayed:
        assert _figures(ticket) == expected[ticket.pk], ticket
    evening.refresh_from_db()
    assert not evening.first_response_breached and not evening.sla_breached  # the old rule's false breach is gone
    running.refresh_from_db()
    assert running.sla_history  # the closed stretches, for a later lowered target


def test_tickets_the_timeline_cannot_explain_keep_their_figures(world):
    a = world.agent
    retargeted = world.ticket(now=sh(2026, 3, 2, 9, 0))
    services.change_priority(retargeted, priority="high", actor=a, now=sh(2026, 3, 2, 9, 10))  # an SLA entry
    reopened = world.ticket(now=sh(2026, 3, 2, 9, 0))
    services.resolve(reopened, actor=a, now=sh(2026, 3, 2, 9, 5))
    services.reopen(reopened, actor=a, now=sh(2026, 3, 2, 9, 6))
    old = world.ticket(now=sh(2025, 10, 8, 9, 0))  # closed long ago: outside the recomputed window
    services.reply(old, actor=a, body="hi", now=sh(2025, 10, 8, 9, 10))
    services.resolve(old, actor=a, now=sh(2025, 10, 8, 10, 0))
    flags = {}
    for ticket in (retargeted, reopened, old):
        flags[ticket.pk] = not Ticket.objects.get(pk=ticket.pk).first_response_breached
        _age(ticket, flip_flags=True)
    Ticket.objects.filter(pk=retargeted.pk).update(resolution_used=7, resolution_used_time=timedelta(minutes=7))

    migration.recompute(apps, None, now=NOW)

    for ticket in (retargeted, reopened, old):
        ticket.refresh_from_db()
        assert ticket.first_response_breached == flags[ticket.pk]  # not recomputed
    assert retargeted.resolution_used_time == timedelta(minutes=7)
    # Its open clock gets its due time by the new rule from what is stored: 240 - 7 minutes from
    # 09:10 (170 until noon, 63 after 13:30).
    assert retargeted.resolution_due == sh(2026, 3, 2, 14, 33)
    assert reopened.sla_cycle == 2
    assert old.first_response_time == timedelta(minutes=10)


class _Editor:
    def __init__(self):
        self.connection = connection

    def quote_name(self, name):
        return connection.ops.quote_name(name)

    def execute(self, sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)


def test_minute_figures_become_exact_fields(world):
    ticket = world.ticket(now=sh(2026, 3, 2, 9, 0))
    Ticket.objects.filter(pk=ticket.pk).update(
        first_response_used=3, resolution_used=125, first_response_minutes=3, first_response_time=None,
        first_response_used_time=timedelta(0), resolution_used_time=timedelta(0),
    )
    untouched = world.ticket(now=sh(2026, 3, 2, 9, 0))
    migration.convert_minutes(apps, _Editor())
    ticket.refresh_from_db()
    assert ticket.first_response_used_time == timedelta(minutes=3)
    assert ticket.resolution_used_time == timedelta(minutes=125)
    assert ticket.first_response_time == timedelta(minutes=3)
    untouched.refresh_from_db()
    assert untouched.first_response_time is None
