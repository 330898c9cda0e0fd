"""Domain operations: timeline as audit trail, assignment, round-robin, transfer, merge, macros, rating."""

import pytest
from django.core.exceptions import ValidationError

from portal.models import Membership, Notification
from portal.roles import Role
from tests.factories import make_user
from tests.tickets.factories import sh
from tickets import services
from tickets.models import ChatConversation, Macro, Ticket, TimelineEntry

T = sh(2026, 3, 2, 10, 0)


def kinds(ticket):
    return list(ticket.timeline.order_by("at", "id").values_list("kind", flat=True))


def test_every_change_is_a_timeline_entry_with_actor_and_time(world):
    t = world.ticket(now=T, actor=world.agent)
    services.assign(t, actor=world.lead, assignee=world.agent, now=sh(2026, 3, 2, 10, 1))
    services.reply(t, actor=world.agent, body="hi", now=sh(2026, 3, 2, 10, 2), handling_seconds=60)
    services.add_note(t, actor=world.agent, body="n", now=sh(2026, 3, 2, 10, 3))
    services.change_priority(t, priority="high", actor=world.lead, now=sh(2026, 3, 2, 10, 4))
    services.transfer(t, actor=world.agent, queue=world.refund_queue, now=sh(2026, 3, 2, 10, 5))
    services.resolve(t, actor=world.refund, now=sh(2026, 3, 2, 10, 6))
    services.rate(t, rating=5, comment="好", actor=None, now=sh(2026, 3, 2, 10, 7))
    assert kinds(t) == ["created", "assign", "status", "reply", "note", "field", "sla", "transfer", "status", "rating"]
    entries = list(t.timeline.order_by("at", "id"))
    assert entries[0].actor == world.agent and entries[0].at == T
    assert entries[1].actor == world.lead and entries[1].data["to"] == world.agent.pk
    assert entries[3].handling_seconds == 60 and entries[3].visibility == "public"
    assert entries[4].visibility == "internal"
    assert entries[5].data == {"field": "priority", "from": "normal", "to": "high"}
    assert entries[7].data["from_queue"] == world.queue.pk and entries[7].data["to_queue"] == world.refund_queue.pk


def test_timeline_is_append_only(world):
    entry = world.ticket().timeline.first()
    entry.body = "rewritten"
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()


def test_pii_values_stay_out_of_the_timeline(world):
    t = world.ticket()
    services.update_ticket(t, actor=world.agent, now=T, customer_phone="13900001111")
    entry = t.timeline.get(kind="field")
    assert entry.data == {"field": "customer_phone"}


def test_assignment_rules_and_notification(world):
    t = world.ticket(now=T)
    with pytest.raises(ValidationError) as error:
        services.assign(t, actor=world.lead, assignee=world.other_agent, now=T)
    assert "assignee" in error.value.message_dict
    services.assign(t, actor=world.lead, assignee=world.agent, now=T)
    assert t.status == "open" and t.assignee == world.agent
    note = Notification.objects.get(recipient=world.agent)
    assert note.channel == "in_app" and note.source == f"ticket:{t.pk}"
    # Self-assignment does not notify oneself.
    t2 = world.ticket(now=T)
    services.assign(t2, actor=world.agent2, assignee=world.agent2, now=T)
    assert not Notification.objects.filter(recipient=world.agent2).exists()


def test_round_robin_is_deterministic_and_skips_the_unavailable(world):
    # Members in working roles: agent, agent2, lead (ids ascending). Nobody assigned yet: lowest id first.
    order = sorted([world.agent, world.agent2, world.lead], key=lambda u: u.pk)
    picks = []
    for minute in range(4):
        t = world.ticket(now=sh(2026, 3, 2, 10, minute))
        picks.append(services.assign_round_robin(t, actor=world.lead, now=sh(2026, 3, 2, 10, minute)))
    assert picks == [order[0], order[1], order[2], order[0]]
    # A manual assignment counts as that member's latest.
    t = world.ticket(now=sh(2026, 3, 2, 11, 0))
    services.assign(t, actor=world.lead, assignee=order[1], now=sh(2026, 3, 2, 11, 0))
    Membership.objects.filter(user=order[2], team=world.team).update(is_available=False)
    t = world.ticket(now=sh(2026, 3, 2, 11, 1))
    assert services.assign_round_robin(t, actor=world.lead, now=sh(2026, 3, 2, 11, 1)) == order[0]
    t = world.ticket(now=sh(2026, 3, 2, 11, 2))
    assert services.assign_round_robin(t, actor=world.lead, now=sh(2026, 3, 2, 11, 2)) == order[1]
    assert t.timeline.get(kind="assign").data["via"] == "round_robin"


def test_round_robin_with_nobody_available(world):
    Membership.objects.filter(team=world.refund_team).update(is_available=False)
    t = world.ticket(queue=world.refund_queue)
    with pytest.raises(ValidationError):
        services.assign_round_robin(t, actor=world.lead, now=T)


def test_round_robin_ignores_other_roles(world):
    manager = make_user("mgr", role=Role.MANAGER, team=world.refund_team)
    t = world.ticket(queue=world.refund_queue)
    assert services.assign_round_robin(t, actor=manager, now=T) == world.refund


def test_transfer_keeps_history_and_notifies_the_new_team(world):
    refund_lead = make_user("refund_lead", role=Role.TEAM_LEAD, team=world.refund_team)
    t = world.ticket(now=T)
    services.assign(t, actor=world.lead, assignee=world.agent, now=T)
    services.reply(t, actor=world.agent, body="转退款组", now=T)
    services.transfer(t, actor=world.agent, team=world.refund_team, note="需要退款", now=sh(2026, 3, 2, 10, 30))
    assert t.queue == world.refund_queue and t.assignee is None
    assert kinds(t)[-1] == "transfer" and "reply" in kinds(t)
    assert Notification.objects.filter(recipient=refund_lead, source=f"ticket:{t.pk}").exists()
    with pytest.raises(ValidationError):
        services.transfer(t, actor=world.agent, queue=world.refund_queue, now=T)
    services.transfer(t, actor=world.refund, queue=world.queue, assignee=world.agent2, now=sh(2026, 3, 2, 11, 0))
    assert t.assignee == world.agent2


def test_merge_moves_the_conversation(world):
    keep, dup = world.ticket(now=T), world.ticket(now=T)
    ChatConversation.objects.create(store=world.store, conversation_id="c9", ticket=dup, created_at=T)
    services.merge(dup, into=keep, actor=world.lead, now=sh(2026, 3, 2, 10, 5))
    dup.refresh_from_db()
    assert dup.merged_into == keep and dup.status == "closed"
    assert ChatConversation.objects.get().ticket == keep
    assert kinds(keep)[-1] == "merge" and kinds(dup)[-1] == "merge"
    with pytest.raises(ValidationError):
        services.merge(keep, into=keep, actor=world.lead, now=T)
    with pytest.raises(ValidationError):
        services.merge(keep, into=dup, actor=world.lead, now=T)
    other = world.ticket(store=world.other_store, queue=world.other_queue)
    with pytest.raises(ValidationError):
        services.merge(other, into=keep, actor=world.lead, now=T)
    assert not Ticket.objects.breached(sh(2026, 3, 20, 10, 0)).filter(pk=dup.pk).exists()


def test_macro_placeholders(world):
    t = world.ticket(buyer_nick="小明", order_no="T-77")
    macro = Macro.objects.create(name="m", body="{buyer_nick} 您好，订单 {order_no}（{store}）{unknown} —{agent}")
    world.agent.first_name = "晓"
    world.agent.save()
    entry = services.apply_macro(t, macro=macro, actor=world.agent, now=T, handling_seconds=20)
    assert entry.body == "小明 您好，订单 T-77（CloudDry 旗舰店）{unknown} —晓"
    assert entry.data["macro"] == macro.pk and entry.handling_seconds == 20


def test_rating_validation_and_replacement(world):
    t = world.ticket()
    for bad in (0, 6, "5", None, True):
        with pytest.raises(ValidationError):
            services.rate(t, rating=bad, actor=None, now=T)
    services.rate(t, rating=2, comment="慢", actor=None, now=T)
    services.rate(t, rating=4, comment="后来好了", actor=None, now=sh(2026, 3, 3, 10, 0))
    t.refresh_from_db()
    assert (t.rating, t.rating_comment) == (4, "后来好了")
    assert t.timeline.filter(kind="rating").count() == 2


def test_status_rules(world):
    t = world.ticket()
    with pytest.raises(ValidationError):
        services.change_status(t, actor=world.agent, status="resolved", now=T)
    with pytest.raises(ValidationError):
        services.reopen(t, actor=world.agent, now=T)
    with pytest.raises(ValidationError):
        services.close(t, actor=world.agent, now=T)
    services.resolve(t, actor=world.agent, now=T)
    services.close(t, actor=world.agent, now=T)
    with pytest.raises(ValidationError):
        services.reopen(t, actor=world.agent, now=T)
    with pytest.raises(ValidationError):
        services.reply(t, actor=world.agent, body="x", now=T)


def test_handling_time_validation(world):
    t = world.ticket()
    for bad in (-1, 86401, 1.5, "10"):
        with pytest.raises(ValidationError):
            services.add_note(t, actor=world.agent, body="x", now=T, handling_seconds=bad)
    assert not TimelineEntry.objects.filter(kind="note").exists()


def test_major_complaint_notifies_the_lead(world):
    t = world.ticket(is_major=True)
    assert Notification.objects.filter(recipient=world.lead, source=f"ticket:{t.pk}").exists()


def test_create_ticket_without_any_queue_is_a_clear_validation_error(db):
    from tests.factories import make_store

    with pytest.raises(ValidationError) as error:
        services.create_ticket(store=make_store(), actor=None, now=sh(2026, 3, 2, 10, 0), description="hello")
    assert "queue" in error.value.message_dict
