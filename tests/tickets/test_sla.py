"""SLA clocks: policy matching, due times in business time, pauses, first response, reopen, changes."""

from datetime import timedelta

from tests.tickets.factories import make_calendar, make_policy, sh
from tickets import services, sla
from tickets.models import SLATarget, Ticket

MON_10 = sh(2026, 3, 2, 10, 0)  # Monday


def test_due_times_are_in_business_time(world):
    ticket = world.ticket(now=MON_10)
    assert ticket.sla_policy == world.policy
    assert ticket.first_response_due == sh(2026, 3, 2, 11, 0)
    # 480 business minutes: 120 + 270 on Monday, 90 more on Tuesday morning.
    assert ticket.resolution_due == sh(2026, 3, 3, 10, 30)
    assert (ticket.first_response_target, ticket.resolution_target) == (60, 480)


def test_pause_and_resume_move_due_times(world):
    ticket = world.ticket(now=MON_10)
    services.change_status(ticket, actor=world.agent, status=Ticket.Status.PENDING_CUSTOMER, now=sh(2026, 3, 2, 10, 30))
    assert ticket.clock_paused_at == sh(2026, 3, 2, 10, 30)
    assert (ticket.first_response_used, ticket.resolution_used) == (30, 30)
    # While paused the ticket is neither breached nor at risk, whatever the clock says.
    later = sh(2026, 3, 5, 10, 0)
    assert not Ticket.objects.breached(later).exists()
    assert not Ticket.objects.at_risk(later, timedelta(hours=1)).exists()
    services.change_status(ticket, actor=world.agent, status=Ticket.Status.OPEN, now=sh(2026, 3, 3, 10, 0))
    assert ticket.clock_paused_at is None
    assert ticket.first_response_due == sh(2026, 3, 3, 10, 30)  # 30 minutes left
    assert ticket.resolution_due == sh(2026, 3, 4, 10, 0)  # 450 left: 390 on Tuesday, 60 on Wednesday


def test_pending_internal_does_not_pause_by_default(world):
    ticket = world.ticket(now=MON_10)
    services.change_status(ticket, actor=world.agent, status=Ticket.Status.PENDING_INTERNAL, now=sh(2026, 3, 2, 10, 30))
    assert ticket.clock_paused_at is None
    assert ticket.resolution_due == sh(2026, 3, 3, 10, 30)


def test_policy_pause_statuses_are_configurable(world):
    world.policy.pause_statuses = ["pending_customer", "pending_internal"]
    world.policy.save()
    ticket = world.ticket(now=MON_10)
    services.change_status(ticket, actor=world.agent, status=Ticket.Status.PENDING_INTERNAL, now=sh(2026, 3, 2, 10, 30))
    assert ticket.clock_paused_at is not None


def test_first_response_is_first_public_staff_reply(world):
    ticket = world.ticket(now=MON_10)
    services.add_note(ticket, actor=world.agent, body="checking the order", now=sh(2026, 3, 2, 10, 5))
    services.reply(ticket, actor=None, body="Auto: we got your message", automatic=True, now=sh(2026, 3, 2, 10, 6))
    services.reply(ticket, actor=world.agent, body="auto-flagged", automatic=True, now=sh(2026, 3, 2, 10, 7))
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    services.reply(ticket, actor=world.agent, body="您好，马上为您查询", now=sh(2026, 3, 2, 10, 20))
    services.reply(ticket, actor=world.agent2, body="second", now=sh(2026, 3, 2, 10, 40))
    ticket.refresh_from_db()
    assert ticket.first_response_at == sh(2026, 3, 2, 10, 20)
    assert ticket.first_response_minutes == 20
    assert not ticket.first_response_breached
    assert ticket.status == Ticket.Status.OPEN


def test_late_first_response_is_a_breach(world):
    ticket = world.ticket(now=MON_10)
    assert list(Ticket.objects.breached(sh(2026, 3, 2, 11, 1))) == [ticket]
    assert list(Ticket.objects.at_risk(sh(2026, 3, 2, 10, 45), timedelta(minutes=20))) == [ticket]
    assert not Ticket.objects.at_risk(sh(2026, 3, 2, 10, 30), timedelta(minutes=20)).exists()
    assert list(Ticket.objects.due_before(sh(2026, 3, 2, 11, 1))) == [ticket]
    services.reply(ticket, actor=world.agent, body="sorry for the wait", now=sh(2026, 3, 2, 14, 0))
    ticket.refresh_from_db()
    assert ticket.first_response_breached and ticket.sla_breached
    assert ticket.first_response_minutes == 150  # 10:00-12:00 and 13:30-14:00
    # Answered: only the resolution clock can breach now.
    assert not Ticket.objects.breached(sh(2026, 3, 2, 15, 0)).exists()


def test_resolution_stops_the_clock_and_reopen_starts_a_new_cycle(world):
    ticket = world.ticket(now=MON_10)
    services.reply(ticket, actor=world.agent, body="hi", now=sh(2026, 3, 2, 10, 10))
    services.resolve(ticket, actor=world.agent, now=sh(2026, 3, 2, 11, 0))
    assert ticket.status == Ticket.Status.RESOLVED
    assert ticket.resolved_at == ticket.first_resolved_at == sh(2026, 3, 2, 11, 0)
    assert ticket.resolution_used == 60 and not ticket.resolution_breached
    assert not Ticket.objects.breached(sh(2026, 3, 9, 10, 0)).exists()
    services.reopen(ticket, actor=world.agent, now=sh(2026, 3, 4, 17, 0), reason="still broken")
    assert (ticket.status, ticket.sla_cycle, ticket.resolution_used) == (Ticket.Status.OPEN, 2, 0)
    assert ticket.resolution_due == sh(2026, 3, 5, 17, 30)  # 60 on Wednesday, 420 on Thursday
    assert ticket.first_response_at == sh(2026, 3, 2, 10, 10)  # not restarted
    assert ticket.first_resolved_at == sh(2026, 3, 2, 11, 0)
    services.resolve(ticket, actor=world.agent, now=sh(2026, 3, 6, 9, 0))
    assert ticket.resolution_breached and ticket.sla_breached


def test_most_specific_policy_wins(world):
    always = make_calendar("24x7", always_open=True)
    by_priority = make_policy("urgent any", calendar=always, priority="urgent")
    by_category = make_policy("refunds", calendar=always, category="refund")
    by_queue = make_policy("refund desk", calendar=always, queue=world.refund_queue)
    by_both = make_policy("refund desk urgent", calendar=always, queue=world.refund_queue, priority="urgent")
    inactive = make_policy("off", calendar=always, queue=world.refund_queue, category="refund", is_active=False)
    assert inactive.specificity == 6
    cases = [
        ({"priority": "normal"}, world.policy),
        ({"priority": "urgent"}, by_priority),
        ({"priority": "urgent", "category": "refund"}, by_category),
        ({"queue": world.refund_queue, "category": "refund"}, by_queue),
        ({"queue": world.refund_queue, "category": "refund", "priority": "urgent"}, by_both),
    ]
    for fields, expected in cases:
        assert world.ticket(**fields).sla_policy == expected, fields
    # A policy without a target for the ticket's priority does not match.
    SLATarget.objects.filter(policy=by_priority, priority="urgent").delete()
    assert world.ticket(priority="urgent").sla_policy == world.policy


def test_no_policy_means_no_clock(world):
    world.policy.delete()
    ticket = world.ticket()
    assert ticket.sla_policy is None and ticket.first_response_due is None and ticket.resolution_due is None


def test_priority_change_keeps_time_used(world):
    ticket = world.ticket(now=MON_10)
    services.change_priority(ticket, priority="urgent", actor=None, now=sh(2026, 3, 2, 10, 30))
    assert ticket.resolution_used == 30
    assert ticket.resolution_due == sh(2026, 3, 2, 12, 0)  # 120 - 30 used = 90 from 10:30
    assert ticket.first_response_due == sh(2026, 3, 2, 10, 30)  # 15 - 30: already due, breached at 10:15
    assert ticket.timeline.filter(kind="sla").exists()


def test_transfer_rematches_the_policy(world):
    always = make_calendar("24x7", always_open=True)
    desk = make_policy("refund desk", calendar=always, queue=world.refund_queue, targets={"normal": (120, 600)})
    ticket = world.ticket(now=MON_10)
    services.transfer(ticket, actor=world.agent, queue=world.refund_queue, now=sh(2026, 3, 2, 11, 0))
    assert ticket.sla_policy == desk
    assert ticket.resolution_used == 60
    assert ticket.resolution_due == sh(2026, 3, 2, 11, 0) + timedelta(minutes=540)


def test_policy_change_applies_to_open_tickets_without_giving_back_time(world):
    ticket = world.ticket(now=MON_10)
    done = world.ticket(now=MON_10)
    services.resolve(done, actor=world.agent, now=sh(2026, 3, 2, 10, 5))

    def tighten():
        SLATarget.objects.filter(policy=world.policy, priority="normal").update(resolution_minutes=150)

    sla.apply_configuration_change(tighten, now=sh(2026, 3, 2, 11, 0))
    ticket.refresh_from_db()
    assert ticket.resolution_used == 60
    assert ticket.resolution_due == sh(2026, 3, 2, 14, 0)  # 90 left after 11:00, lunch skipped
    assert ticket.timeline.filter(kind="sla").count() == 1
    done.refresh_from_db()
    assert done.resolution_target == 480  # closed cycles are history


def test_calendar_change_measures_used_time_under_the_old_calendar(world):
    ticket = world.ticket(now=MON_10)

    def go_24x7():
        world.calendar.always_open = True
        world.calendar.save()

    sla.apply_configuration_change(go_24x7, now=sh(2026, 3, 2, 13, 0))
    ticket.refresh_from_db()
    # 10:00-12:00 under office hours = 120 used (not 180 under 24x7); 360 left from 13:00 around the clock.
    assert ticket.resolution_used == 120
    assert ticket.resolution_due == sh(2026, 3, 2, 19, 0)


def test_paused_ticket_resumes_under_changed_targets(world):
    ticket = world.ticket(now=MON_10)
    services.change_status(ticket, actor=world.agent, status="pending_customer", now=sh(2026, 3, 2, 11, 0))
    sla.apply_configuration_change(
        lambda: SLATarget.objects.filter(policy=world.policy, priority="normal").update(resolution_minutes=90),
        now=sh(2026, 3, 2, 12, 0),
    )
    ticket.refresh_from_db()
    assert ticket.resolution_target == 90 and ticket.clock_paused_at is not None
    services.change_status(ticket, actor=world.agent, status="open", now=sh(2026, 3, 3, 9, 0))
    assert ticket.resolution_due == sh(2026, 3, 3, 9, 30)


def test_breach_during_pause_keeps_its_moment(world):
    ticket = world.ticket(now=MON_10)
    services.change_status(ticket, actor=world.agent, status="pending_customer", now=sh(2026, 3, 2, 11, 30))
    assert ticket.first_response_breached  # due 11:00, paused at 11:30 unanswered
    services.change_status(ticket, actor=world.agent, status="open", now=sh(2026, 3, 3, 9, 0))
    assert ticket.first_response_due == sh(2026, 3, 2, 11, 0)
    assert ticket.is_breached(sh(2026, 3, 3, 9, 1))


def test_remaining_minutes(world):
    ticket = world.ticket(now=MON_10)
    assert sla.remaining_minutes(ticket, now=sh(2026, 3, 2, 10, 45)) == {"first_response": 15, "resolution": 435}
