"""SLA clocks: policy matching, due times in business time, pauses, first response, reopen, changes."""

from datetime import timedelta

from tests.tickets.factories import make_calendar, make_policy, sh
from tickets import services, sla
from tickets.models import SLATarget, Ticket

MON_10 = sh(2026, 3, 2, 10, 0)  # Monday
MINUTE = timedelta(minutes=1)


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
    # 120 - 30 used = 90 from 10:30, used up at 12:00; nothing more is used until 13:30, so a
    # resolution before 13:30 is on time: the due time is 13:30.
    assert ticket.resolution_due == sh(2026, 3, 2, 13, 30)
    # 15 minutes, 30 used: the new target was passed at 10:15, and that is a breach.
    assert ticket.first_response_due == sh(2026, 3, 2, 10, 15)
    assert ticket.first_response_breached and ticket.sla_breached
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


# --- Issue cases: exact to the second, one rule for "late", a breach stands -----------------------
# The world's calendar: Asia/Shanghai, Mon-Fri 09:00-12:00 + 13:30-18:00; Monday 2026-03-02.
# Targets (first response, resolution): normal 60/480, high 30/240.


def _at(hour, minute, second=0, day=2):
    return sh(2026, 3, day, hour, minute, second)


def test_case_1_a_pause_keeps_its_seconds(world):
    ticket = world.ticket(now=_at(9, 0))
    services.change_status(ticket, actor=world.agent, status="pending_customer", now=_at(9, 0, 59))
    assert ticket.first_response_used_time == timedelta(seconds=59)
    assert ticket.first_response_used == 0  # whole minutes, rounded down: display only
    services.change_status(ticket, actor=world.agent, status="open", now=_at(9, 1))
    ticket.refresh_from_db()
    assert ticket.first_response_due == _at(10, 0, 1)
    assert ticket.first_response_used_time == timedelta(seconds=59)


def test_case_1_many_short_stretches_add_up(world):
    ticket = world.ticket(now=_at(9, 0))
    for n in range(120):  # open 59 s, pending 1 s, 120 times: 09:00 to 11:00
        services.change_status(ticket, actor=world.agent, status="pending_customer", now=_at(9, 0, 59) + n * MINUTE)
        services.change_status(ticket, actor=world.agent, status="open", now=_at(9, 1) + n * MINUTE)
    services.reply(ticket, actor=world.agent, body="您好", now=_at(11, 0))
    ticket.refresh_from_db()
    assert ticket.first_response_time == timedelta(minutes=118)
    assert ticket.first_response_minutes == 118
    assert ticket.first_response_breached and ticket.sla_breached
    assert ticket.resolution_used_time == timedelta(minutes=118)


def test_case_2_lowering_a_target_after_the_due_time_keeps_the_breach(world):
    ticket = world.ticket(now=_at(9, 0), priority="high")
    assert ticket.first_response_due == _at(9, 30)
    services.change_priority(ticket, priority="normal", actor=world.agent, now=_at(9, 45))
    ticket.refresh_from_db()
    assert ticket.first_response_breached and ticket.sla_breached  # late at 09:30 under the high target
    assert ticket.first_response_due == _at(10, 0)
    services.reply(ticket, actor=world.agent, body="您好", now=_at(9, 50))
    ticket.refresh_from_db()
    assert ticket.first_response_breached and ticket.sla_breached
    assert ticket.first_response_minutes == 50
    # Pausing at 09:45 instead judges the clock the same way.
    paused = world.ticket(now=_at(9, 0), priority="high")
    services.change_status(paused, actor=world.agent, status="pending_customer", now=_at(9, 45))
    assert paused.first_response_breached and paused.sla_breached


def test_case_3_due_time_is_when_the_current_target_was_passed(world):
    ticket = world.ticket(now=_at(9, 0))
    services.change_priority(ticket, priority="high", actor=world.agent, now=_at(9, 45))
    ticket.refresh_from_db()
    assert ticket.first_response_due == _at(9, 30)  # 30 minutes were used at 09:30, not at 09:45
    assert ticket.first_response_breached and ticket.is_breached(_at(9, 45, 1))


def test_case_3_repeated_switches_and_pauses_find_the_real_crossing(world):
    ticket = world.ticket(now=_at(9, 0))
    services.change_status(ticket, actor=world.agent, status="pending_customer", now=_at(9, 20))  # 20 used
    services.change_status(ticket, actor=world.agent, status="open", now=_at(9, 40))
    services.change_priority(ticket, priority="high", actor=world.agent, now=_at(9, 45))  # 25 used
    ticket.refresh_from_db()
    assert ticket.first_response_due == _at(9, 50) and not ticket.first_response_breached
    services.change_priority(ticket, priority="normal", actor=world.agent, now=_at(9, 49))  # 29 used
    ticket.refresh_from_db()
    assert ticket.first_response_due == _at(10, 20) and not ticket.first_response_breached
    services.change_priority(ticket, priority="high", actor=world.agent, now=_at(10, 0))  # 40 used
    ticket.refresh_from_db()
    assert ticket.first_response_due == _at(9, 50)  # 30 used at 09:50, inside an earlier stretch
    assert ticket.first_response_breached
    # The crossing may lie before a pause: 40 used by 09:40, paused until 10:00, high at 10:10.
    other = world.ticket(now=_at(9, 0))
    services.change_status(other, actor=world.agent, status="pending_customer", now=_at(9, 40))
    services.change_status(other, actor=world.agent, status="open", now=_at(10, 0))
    services.change_priority(other, priority="high", actor=world.agent, now=_at(10, 10))
    other.refresh_from_db()
    assert other.first_response_due == _at(9, 30) and other.first_response_breached


def test_case_4_one_rule_for_late(world):
    """Late = more business time used than the target; running or paused makes no difference."""
    running = world.ticket(now=_at(17, 0))
    # 60 minutes are used up at 18:00 and nothing more is used before Tuesday 09:00: that is the due time.
    assert running.first_response_due == _at(9, 0, day=3)
    assert not Ticket.objects.breached(_at(18, 30)).filter(pk=running.pk).exists()
    assert not running.is_breached(_at(18, 30))
    assert sla.remaining_minutes(running, now=_at(18, 30))["first_response"] == 0
    services.reply(running, actor=world.agent, body="您好", now=_at(18, 30))
    running.refresh_from_db()
    assert running.first_response_minutes == 60 and not running.first_response_breached

    paused = world.ticket(now=_at(17, 0))
    services.change_status(paused, actor=world.agent, status="pending_customer", now=_at(18, 0))
    services.reply(paused, actor=world.agent, body="您好", now=_at(18, 30))
    paused.refresh_from_db()
    assert paused.first_response_minutes == 60 and not paused.first_response_breached

    # One second of business time more is late, in every place that decides it.
    late = world.ticket(now=_at(17, 0))
    at = _at(9, 0, 1, day=3)
    assert Ticket.objects.breached(at).filter(pk=late.pk).exists() and late.is_breached(at)
    assert sla.remaining_minutes(late, now=at)["first_response"] == -1
    services.reply(late, actor=world.agent, body="您好", now=at)
    late.refresh_from_db()
    assert late.first_response_breached and late.first_response_time == timedelta(minutes=60, seconds=1)
