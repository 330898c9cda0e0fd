"""The queue gate: a queue that requires a certification refuses, on every assignment path of the
tickets app (by hand, bulk, transfer with an assignee, round-robin, the API), anyone without a valid
certification, with a message naming it; round-robin skips them."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from portal.models import OutboundMessage
from tests.training.factories import NOW
from tickets import services as ticket_services
from tickets.models import Ticket, TimelineEntry
from training.models import Certification, QueueGate

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def gated(tw, monkeypatch):
    """The CS A queue requires the battery certification; agent_a2 holds one valid at NOW, agent_a
    none (and an expired one does not count). The pages read the clock: it is pinned at NOW."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    QueueGate.objects.create(queue=tw.queue, requirement=tw.requirement)
    Certification.objects.create(requirement=tw.requirement, agent=tw.agent2, granted_at=NOW - timedelta(days=1),
                                 expires_at=NOW + timedelta(days=300))
    Certification.objects.create(requirement=tw.requirement, agent=tw.agent, granted_at=NOW - timedelta(days=400),
                                 expires_at=NOW - timedelta(days=35))
    return tw


def test_assigning_by_hand_is_refused_with_the_certification_named(gated):
    ticket = gated.ticket()
    with pytest.raises(ticket_services.AssignmentRefused) as error:
        ticket_services.assign(ticket, actor=gated.lead, assignee=gated.agent, now=NOW)
    message = " ".join(error.value.message_dict["assignee"])
    assert "battery" in message and "Battery disputes" in message
    assert isinstance(error.value, ValidationError)
    ticket_services.assign(ticket, actor=gated.lead, assignee=gated.agent2, now=NOW)
    assert Ticket.objects.get(pk=ticket.pk).assignee == gated.agent2


def test_check_assignable_is_the_one_check_and_other_queues_are_open(gated):
    with pytest.raises(ticket_services.AssignmentRefused):
        ticket_services.check_assignable(gated.queue, gated.agent, now=NOW)
    ticket_services.check_assignable(gated.queue, gated.agent2, now=NOW)
    ticket_services.check_assignable(gated.other_queue, gated.other_agent, now=NOW)  # no gate there
    # The gate asks at the given time: agent_a2's certification has not started a week before NOW.
    with pytest.raises(ticket_services.AssignmentRefused):
        ticket_services.check_assignable(gated.queue, gated.agent2, now=NOW - timedelta(days=7))


def test_round_robin_skips_the_uncertified(gated):
    for _n in range(3):
        ticket = gated.ticket()
        assert ticket_services.assign_round_robin(ticket, actor=gated.lead, now=NOW) in (gated.agent2, gated.lead)
    assert not Ticket.objects.filter(assignee=gated.agent).exists()
    # The lead is refused too (no certification); only agent_a2 gets tickets.
    assert set(Ticket.objects.exclude(assignee=None).values_list("assignee__username", flat=True)) == {"agent_a2"}


def test_a_transfer_into_a_gated_queue_with_an_uncertified_assignee_is_refused(gated):
    ticket = gated.ticket(queue=gated.other_queue, store=gated.other_store)
    gated.agent.memberships.update(role="agent")
    with pytest.raises(ValidationError):
        ticket_services.transfer(ticket, actor=gated.lead, queue=gated.queue, assignee=gated.agent, now=NOW)
    assert Ticket.objects.get(pk=ticket.pk).queue == gated.other_queue


def test_the_ticket_page_and_bulk_assign_show_the_refusal(gated, client):
    one, two = gated.ticket(), gated.ticket()
    client.force_login(gated.lead)
    response = client.post(f"/tickets/{one.pk}/assign/", {"assign-assignee": gated.agent.pk}, follow=True,
                           **EN)
    assert "Battery disputes" in response.content.decode()
    assert Ticket.objects.get(pk=one.pk).assignee is None
    response = client.post("/tickets/bulk/", {"action": "assign", "assignee": gated.agent.pk,
                                              "select": [one.pk, two.pk]}, follow=True, **EN)
    html = response.content.decode()
    assert f"Ticket #{one.pk}:" in html and "Battery disputes" in html
    assert not Ticket.objects.filter(assignee=gated.agent).exists()
    response = client.post("/tickets/bulk/", {"action": "assign", "assignee": gated.agent2.pk,
                                              "select": [one.pk, two.pk]}, follow=True, **EN)
    assert "Assigned 2 ticket(s)." in response.content.decode()


def test_take_it_is_refused_to_the_uncertified_with_the_certification_named(gated, client):
    ticket = gated.ticket()
    client.force_login(gated.agent)
    response = client.post(f"/tickets/{ticket.pk}/take/", follow=True, **EN)
    assert "Battery disputes" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).assignee is None
    assert not ticket.timeline.filter(kind="assign").exists()


def test_a_reply_by_an_uncertified_team_member_is_sent_but_does_not_assign(gated, client):
    assert gated.queue.assign_on_reply
    ticket = gated.ticket()
    client.force_login(gated.agent)
    seen = TimelineEntry.objects.filter(ticket=ticket).latest("id").pk
    response = client.post(f"/tickets/{ticket.pk}/send/", {
        "compose-mode": "reply", "compose-body": "We are on it.", "compose-seen": seen}, **EN)
    assert response.status_code == 302
    assert OutboundMessage.objects.filter(payload__text="We are on it.").exists()
    assert Ticket.objects.get(pk=ticket.pk).assignee is None
    note = ticket.timeline.get(kind="note", data__auto_assign_refused=gated.agent.pk)
    assert "Battery disputes" in note.body
    # A certified member's reply takes it.
    other = gated.ticket()
    ticket_services.reply(other, actor=gated.agent2, body="Hello", now=NOW)
    assert Ticket.objects.get(pk=other.pk).assignee == gated.agent2


def test_the_api_refuses_with_a_400_on_assignee(gated):
    ticket = gated.ticket()
    client = APIClient(**EN)
    client.force_authenticate(gated.lead)
    response = client.post(f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": gated.agent.pk}, format="json")
    assert response.status_code == 400
    assert "Battery disputes" in " ".join(response.json()["assignee"])
    response = client.post(f"/api/v1/tickets/{ticket.pk}/assign/", {"round_robin": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == gated.agent2.pk


@pytest.mark.parametrize(("holder", "moves"), [("agent2", True), ("agent", False)])
def test_an_escalation_level_assigning_to_a_person_skips_a_gated_queue_they_may_not_work(gated, holder, moves):
    from tests.tickets.escalation_helpers import custom_policy
    from tickets.escalation.sweep import escalate_due_tickets

    person = getattr(gated, holder)
    custom_policy("Gate", [{"offset_minutes": 0, "reassign_user": person}], queue=gated.queue,
                  now=NOW - timedelta(days=1))
    ticket = gated.ticket()
    escalate_due_tickets(now=NOW + timedelta(days=5))
    ticket.refresh_from_db()
    assert (ticket.assignee_id == person.pk) is moves
