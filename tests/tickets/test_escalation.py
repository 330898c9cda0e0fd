"""The escalation ladder with pinned `now`: timing of each level, conditions, acknowledgement,
pause/resolve/reopen, the business-hours gate, versioning, actions, downtime, set-based sweeps."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from portal.models import Notification
from tests.tickets.escalation_helpers import MON_10, Ladder, custom_policy, inbox, positions
from tests.tickets.factories import sh
from tickets import services
from tickets.escalation import recipients
from tickets.escalation.acknowledge import acknowledge
from tickets.escalation.ladders import publish_policy
from tickets.escalation.sweep import escalate_due_tickets
from tickets.models import (
    Escalation,
    EscalationLadder,
    EscalationLevel,
    Ticket,
    TicketLadder,
    TimelineEntry,
)

TUE = (2026, 3, 3)


def tue(hour, minute=0):
    return sh(*TUE, hour, minute)


@pytest.fixture
def ladder(db):
    return Ladder()


def sweep(now):
    return escalate_due_tickets(now=now)


def test_standard_ladder_fires_each_level_at_its_time(ladder):
    ticket = ladder.ticket()
    assert ticket.resolution_due == tue(10, 30)
    assert TicketLadder.objects.get(ticket=ticket).ladder.policy == ladder.policy

    assert sweep(tue(9, 59)).fired == 0
    assert sweep(tue(10, 0)).fired == 1  # warning, 30 minutes before the breach
    assert positions(ticket) == [1]
    [warning] = inbox(ladder.agent)
    # The message opens the sweep's worklist; its line for the ticket links the ticket.
    assert warning.link.startswith("/tickets/escalations/?sweep=")
    from portal.notifications import render

    assert render(warning).lines[0].link == f"/tickets/{ticket.pk}/"
    assert f"#{ticket.pk}" in warning.subject

    assert sweep(tue(10, 29)).fired == 0
    assert sweep(tue(10, 30)).fired == 1  # at the breach: the team lead, in-app and e-mail
    assert positions(ticket) == [1, 2]
    assert len(inbox(ladder.lead)) == 1 and len(inbox(ladder.lead, Notification.Channel.EMAIL)) == 1
    assert inbox(ladder.lead, Notification.Channel.EMAIL)[0].status == Notification.Status.PENDING

    assert sweep(tue(12, 29)).fired == 0
    assert sweep(tue(12, 30)).fired == 1  # +2 h: the manager (a breach level fires in the lunch break)
    assert [n.recipient for n in inbox(ladder.manager)] == [ladder.manager]
    assert sweep(tue(18, 29)).fired == 0
    assert sweep(tue(18, 30)).fired == 1  # +8 h: the director, after working hours
    assert len(inbox(ladder.director)) == 1
    # +24 h is for major complaints only.
    assert sweep(sh(2026, 3, 4, 11, 0)).fired == 0
    assert positions(ticket) == [1, 2, 3, 4]
    assert inbox(ladder.chairman, Notification.Channel.SMS) == []
    # Each level is on the ticket's timeline (one entry per sweep that escalated it).
    entries = TimelineEntry.objects.filter(ticket=ticket, kind=TimelineEntry.Kind.ESCALATION).order_by("id")
    assert [e.data["levels"] for e in entries] == [[1], [2], [3], [4]]
    assert entries[2].body == "Level 3 Manager" and entries[2].actor is None


def test_major_complaint_reaches_the_chairman_by_sms_after_24_hours(ladder):
    ticket = ladder.ticket(is_major=True)
    sweep(tue(10, 0))
    sweep(tue(18, 30))
    assert positions(ticket) == [1, 2, 3, 4]
    assert sweep(sh(2026, 3, 4, 10, 29)).fired == 0
    assert sweep(sh(2026, 3, 4, 10, 30)).fired == 1
    [sms] = inbox(ladder.chairman, Notification.Channel.SMS)
    assert sms.status == Notification.Status.PENDING and f"#{ticket.pk}" in sms.subject
    assert len(inbox(ladder.chairman)) == 1  # and in the inbox


def test_repeated_sweeps_never_fire_twice_and_the_database_forbids_it(ladder):
    ticket = ladder.ticket()
    sweep(tue(13, 30))
    assert sweep(tue(13, 30)).fired == 0
    assert sweep(tue(13, 31)).fired == 0
    assert positions(ticket) == [1, 2, 3]
    first = Escalation.objects.order_by("id").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Escalation.objects.create(ticket=ticket, level=first.level, cycle=first.cycle, fired_at=tue(13),
                                  sweep_id=first.sweep_id)


def test_downtime_fires_all_due_levels_in_order_and_one_message_per_recipient(ladder):
    tickets = [ladder.ticket() for _ in range(3)]
    other = ladder.ticket(assignee=ladder.agent2)
    result = sweep(sh(2026, 3, 4, 9, 0))  # the portal was down since Monday
    assert result.fired == 16
    assert [item.fired for item in result.levels] == [4, 4, 4, 4, 0]
    for ticket in tickets + [other]:
        assert positions(ticket) == [1, 2, 3, 4]
        [entry] = TimelineEntry.objects.filter(ticket=ticket, kind=TimelineEntry.Kind.ESCALATION)
        assert sorted(entry.data["levels"]) == [1, 2, 3, 4] and entry.data["sweep"] == str(result.sweep_id)
        assert "Level 2 Breach: team lead" in entry.body
    # One message per recipient and channel for the sweep, listing every ticket that reached them.
    [agent_message] = inbox(ladder.agent)
    assert "3 tickets" in agent_message.subject
    assert all(f"#{t.pk}" in agent_message.body for t in tickets) and f"#{other.pk}" not in agent_message.body
    assert agent_message.link == f"/tickets/escalations/?sweep={result.sweep_id}"
    [lead_message] = inbox(ladder.lead)
    assert all(f"#{t.pk}" in lead_message.body for t in tickets + [other])
    assert len(inbox(ladder.lead, Notification.Channel.EMAIL)) == 1
    assert len(inbox(ladder.manager)) == len(inbox(ladder.director)) == 1
    assert len(inbox(ladder.agent2)) == 1
    assert result.notifications == 8  # agent, agent2 in-app; lead, manager, director in-app and e-mail
    # A later sweep sends nothing more.
    assert sweep(sh(2026, 3, 4, 9, 1)).notifications == 0


def test_conditions_priority_and_category(ladder):
    custom_policy("Urgent refunds", [
        {"offset_minutes": 0, "min_priority": "high", "recipient_roles": ["team_lead"]},
        {"offset_minutes": 0, "categories": ["refund"], "recipient_roles": ["manager"]},
    ], queue=ladder.queue)
    normal = ladder.ticket(priority="normal", category="product")
    high = ladder.ticket(priority="high", category="product")
    refund = ladder.ticket(priority="low", category="refund")
    sweep(sh(2026, 3, 10, 9, 0))
    assert positions(normal) == []
    assert positions(high) == [1]
    assert positions(refund) == [2]


def test_acknowledgement_halts_the_ladder_for_its_window(ladder):
    ticket = ladder.ticket()
    sweep(tue(10, 30))
    breach = Escalation.objects.get(ticket=ticket, level__position=2)
    acknowledge(breach, actor=ladder.lead, now=tue(10, 45))
    breach.refresh_from_db()
    assert (breach.acknowledged_by, breach.hold_until) == (ladder.lead, tue(12, 45))
    entry = TimelineEntry.objects.filter(ticket=ticket, kind=TimelineEntry.Kind.ESCALATION).latest("id")
    assert entry.actor == ladder.lead and entry.data["acknowledged"] == breach.pk
    with pytest.raises(ValidationError):
        acknowledge(breach, actor=ladder.manager, now=tue(10, 50))
    # The manager level came due at 12:30 but waits for the window; then the ladder resumes.
    assert sweep(tue(12, 30)).fired == 0
    assert sweep(tue(12, 44)).fired == 0
    assert sweep(tue(12, 45)).fired == 1
    assert positions(ticket) == [1, 2, 3]


def test_acknowledgement_window_is_set_per_level(ladder):
    level = EscalationLevel.objects.get(policy=ladder.policy, position=2)
    level.ack_window_minutes = 30
    level.save()
    publish_policy(ladder.policy, now=MON_10 - timedelta(minutes=1))
    ticket = ladder.ticket()
    sweep(tue(10, 30))
    acknowledge(Escalation.objects.get(ticket=ticket, level__position=2), actor=ladder.lead, now=tue(12, 0))
    assert sweep(tue(12, 29)).fired == 0
    assert sweep(tue(12, 30)).fired == 1


def test_pausing_the_clock_stops_the_ladder_and_resuming_moves_it(ladder):
    ticket = ladder.ticket()
    services.change_status(ticket, actor=ladder.agent, status=Ticket.Status.PENDING_CUSTOMER, now=tue(9, 30))
    assert sweep(sh(2026, 3, 5, 9, 0)).fired == 0
    services.change_status(ticket, actor=ladder.agent, status=Ticket.Status.OPEN, now=sh(2026, 3, 5, 9, 0))
    ticket.refresh_from_db()
    assert ticket.resolution_due == sh(2026, 3, 5, 10, 0)  # 60 business minutes were left
    assert sweep(sh(2026, 3, 5, 9, 29)).fired == 0
    assert sweep(sh(2026, 3, 5, 9, 30)).fired == 1


def test_resolving_stops_the_ladder_and_reopening_starts_a_new_cycle(ladder):
    ticket = ladder.ticket()
    sweep(tue(10, 30))
    services.resolve(ticket, actor=ladder.agent, now=tue(11, 0))
    assert sweep(sh(2026, 3, 5, 9, 0)).fired == 0
    services.reopen(ticket, actor=ladder.agent, now=sh(2026, 3, 5, 9, 0))
    ticket.refresh_from_db()
    assert ticket.sla_cycle == 2 and TicketLadder.objects.filter(ticket=ticket).count() == 2
    sweep(ticket.resolution_due)
    assert [(e.cycle, e.level.position) for e in Escalation.objects.filter(ticket=ticket).order_by("id")] == [
        (1, 1), (1, 2), (2, 1), (2, 2)
    ]
    # An escalation of an earlier cycle can no longer be acknowledged.
    with pytest.raises(ValidationError):
        acknowledge(Escalation.objects.get(ticket=ticket, cycle=1, level__position=2), actor=ladder.lead,
                    now=ticket.resolution_due)


def test_business_hours_gate_holds_a_warning_until_working_time(ladder):
    custom_policy("Gate", [
        {"name": "early warning", "offset_minutes": -120, "business_hours_only": True, "recipient_roles": ["assignee"]},
        {"name": "night watch", "offset_minutes": -120, "recipient_roles": ["team_lead"]},
    ], queue=ladder.queue)
    ticket = ladder.ticket()  # due Tue 10:30: both levels come due at 08:30, before working hours
    sweep(tue(8, 30))
    assert positions(ticket) == [2]
    sweep(tue(8, 59))
    assert positions(ticket) == [2]
    sweep(tue(9, 0))
    assert positions(ticket) == [2, 1]


def test_share_of_target_trigger(ladder):
    custom_policy("Share", [{"target_percent": 75, "recipient_roles": ["assignee"]}], queue=ladder.queue)
    ticket = ladder.ticket()  # 480 business minutes from Mon 10:00; 75% = 360: 120 + 240 -> Mon 17:30
    sweep(sh(2026, 3, 2, 17, 29))
    assert positions(ticket) == []
    sweep(sh(2026, 3, 2, 17, 30))
    assert positions(ticket) == [1]


def test_first_response_clock(ladder):
    custom_policy("First response", [
        {"clock": "first_response", "offset_minutes": 0, "recipient_roles": ["team_lead"]},
    ], queue=ladder.queue)
    answered = ladder.ticket()
    silent = ladder.ticket()
    services.reply(answered, actor=ladder.agent, body="您好", now=sh(2026, 3, 2, 10, 30))
    sweep(sh(2026, 3, 2, 11, 0))  # first response due at 11:00
    assert positions(answered) == [] and positions(silent) == [1]


def test_named_users_and_executive_recipients(ladder):
    custom_policy("Named", [
        {"offset_minutes": 0, "recipient_roles": ["executive"], "users": [ladder.other_agent]},
    ], queue=ladder.queue)
    ticket = ladder.ticket()
    sweep(tue(10, 30))
    assert positions(ticket) == [1]
    assert len(inbox(ladder.chairman)) == len(inbox(ladder.other_agent)) == 1


def test_a_policy_change_applies_to_cycles_that_start_after_it(ladder):
    first = ladder.ticket()
    level = EscalationLevel.objects.get(policy=ladder.policy, position=2)
    level.offset_minutes = 60
    level.save()
    v2 = publish_policy(ladder.policy, now=MON_10 + timedelta(minutes=5))
    assert v2.version == 2
    assert publish_policy(ladder.policy, now=MON_10 + timedelta(minutes=6)) == v2  # nothing changed
    second = ladder.ticket(now=MON_10 + timedelta(minutes=10))
    assert TicketLadder.objects.get(ticket=first).ladder.version == 1
    assert TicketLadder.objects.get(ticket=second).ladder == v2
    sweep(tue(10, 45))  # the first ticket breached at 10:30 under v1; the second's lead waits for 11:40
    assert positions(first) == [1, 2] and positions(second) == [1]
    sweep(tue(11, 40))
    assert positions(second) == [1, 2]
    assert EscalationLadder.objects.filter(policy=ladder.policy).count() == 2


def test_policy_matching_prefers_queue_then_sla_policy(ladder):
    by_sla = custom_policy("By SLA policy", [{"offset_minutes": 0}], sla_policy=ladder.policy_sla
                           if hasattr(ladder, "policy_sla") else ladder.world.policy)
    by_queue = custom_policy("By queue", [{"offset_minutes": 0}], queue=ladder.other_queue)
    mine = ladder.ticket()
    other = ladder.world.ticket(store=ladder.other_store, queue=ladder.other_queue, now=MON_10)
    assert TicketLadder.objects.get(ticket=mine).ladder.policy == by_sla
    assert TicketLadder.objects.get(ticket=other).ladder.policy == by_queue


def test_level_actions_raise_priority_mark_major_and_move(ladder):
    custom_policy("Actions", [
        {"offset_minutes": 0, "raise_priority_to": "high", "mark_major": True, "recipient_roles": ["team_lead"]},
        {"offset_minutes": 0, "major_only": True, "reassign_queue": ladder.other_queue,
         "recipient_roles": ["manager"]},
    ], queue=ladder.queue)
    ticket = ladder.ticket()
    result = sweep(tue(10, 30))
    ticket.refresh_from_db()
    # Level 1 marked it major, so level 2 (major only) fired in the same sweep and moved it.
    assert [item.fired for item in result.levels if item.level.ladder.policy.name == "Actions"] == [1, 1]
    assert (ticket.priority, ticket.is_major, ticket.queue, ticket.assignee) == (
        "high", True, ladder.other_queue, None)
    kinds = list(TimelineEntry.objects.filter(ticket=ticket, at=tue(10, 30)).values_list("kind", "data"))
    assert ("field", {"field": "priority", "from": "normal", "to": "high", "escalation_level": 1}) in kinds
    assert ("field", {"field": "is_major", "from": False, "to": True, "escalation_level": 1}) in kinds
    assert any(kind == "transfer" and data["to_queue"] == ladder.other_queue.pk for kind, data in kinds)
    # Recipients were resolved from the team responsible when it fired.
    assert len(inbox(ladder.lead)) == 1


def test_notifications_are_written_in_the_escalations_transaction(ladder, monkeypatch):
    ticket = ladder.ticket()

    def broken(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(recipients, "queue_notifications", broken)
    with pytest.raises(RuntimeError):
        sweep(tue(10, 30))
    assert not Escalation.objects.exists()
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.ESCALATION).exists()
    monkeypatch.undo()
    sweep(tue(10, 30))
    assert positions(ticket) == [1, 2]


def _count_queries(now):
    with CaptureQueriesContext(connection) as captured:
        result = sweep(now)
    return len(captured.captured_queries), result


def test_sweep_query_count_does_not_grow_with_tickets(ladder):
    for _ in range(2):
        ladder.ticket(is_major=True)
    few, result = _count_queries(sh(2026, 3, 4, 11, 0))
    assert result.fired == 10
    Escalation.objects.all().delete()
    TicketLadder.objects.update(fired_mask=0)
    for _ in range(8):
        ladder.ticket(is_major=True, assignee=ladder.agent2)
    many, result = _count_queries(sh(2026, 3, 4, 11, 0))
    assert result.fired == 50
    assert many == few
    idle, result = _count_queries(sh(2026, 3, 4, 11, 1))
    # Nothing due: a few queries to load the ladder and calendars, one statement per level.
    assert result.fired == 0 and idle <= 9 + len(result.levels)


def test_escalate_command_prints_counts_per_level(ladder):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    ladder.ticket()
    out = StringIO()
    call_command("escalate", "--now", "2026-03-03T13:30:00+08:00", stdout=out)
    text = out.getvalue()
    assert "level 1 Warning: 1" in text and "level 3 Manager: 1" in text and "level 4 Director: 0" in text
    assert "3 escalations fired" in text
    with pytest.raises(CommandError):
        call_command("escalate", "--now", "yesterday", stdout=StringIO())


def test_the_sweep_is_scheduled_every_minute(ladder):
    from portal.schedules import declared_schedules
    from tickets import tasks

    [spec] = [s for s in declared_schedules() if s.name == "tickets.escalate"]
    assert (spec.func, spec.minutes) == ("tickets.tasks.escalate", 1)
    ladder.ticket(now=sh(2020, 1, 6, 10, 0))  # long overdue by the real clock
    summary = tasks.escalate()
    assert summary["fired"] >= 3 and summary["notifications"] >= 1  # the warning may wait for working hours


def test_a_superseded_version_without_open_tickets_is_retired(ladder):
    old = ladder.ticket()
    level = EscalationLevel.objects.get(policy=ladder.policy, position=3)
    level.offset_minutes = 180
    level.save()
    v2 = publish_policy(ladder.policy, now=MON_10 + timedelta(minutes=5))
    new = ladder.ticket(now=MON_10 + timedelta(minutes=10))
    v1 = TicketLadder.objects.get(ticket=old).ladder
    # In use by the old ticket: its levels are swept.
    result = sweep(tue(10, 30))
    assert {item.level.ladder_id for item in result.levels} == {v1.pk, v2.pk}
    services.resolve(old, actor=ladder.agent, now=tue(11, 0))
    result = sweep(tue(11, 1))
    v1.refresh_from_db()
    assert v1.retired_at == tue(11, 1)
    assert {item.level.ladder_id for item in result.levels} == {v2.pk}
    assert positions(new) == [1, 2]


def test_a_role_nobody_holds_falls_to_the_next_one_up(ladder):
    from portal.models import Membership

    unassigned = ladder.ticket(assignee=None)
    sweep(tue(10, 0))  # the warning of an unassigned ticket goes to the team lead
    assert [n.subject for n in inbox(ladder.lead)] and not inbox(ladder.agent)
    Membership.objects.filter(user=ladder.lead).delete()  # the team has no lead any more
    sweep(tue(10, 30))
    assert positions(unassigned) == [1, 2]
    assert len(inbox(ladder.manager)) == 1  # the breach level reached the manager instead
