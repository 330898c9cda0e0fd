"""Chat ingestion contract: POST /api/v1/chat/conversations/."""

import json
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from portal.integrations import Kind
from portal.models import Store
from portal.tokens import create_token
from tests.factories import make_integration
from tests.tickets.factories import sh
from tickets import services
from tickets.models import ChatConversation, ChatMessage, RoutingRule, Ticket, TimelineEntry

URL = "/api/v1/chat/conversations/"
T0 = sh(2026, 3, 2, 10, 0)  # Monday, office hours


@pytest.fixture
def client(world):
    integration = make_integration("chatbot-integration", kinds=[Kind.MARKETPLACE_CHAT],
                                   stores=Store.objects.all(), team=world.team)
    _token, key = create_token(user=integration, now=timezone.now())
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


@pytest.fixture
def clock():
    """Pin the time the views read."""
    with mock.patch("django.utils.timezone.now") as now:
        now.return_value = T0
        yield now


def msg(n, sender="buyer", text="你好", at=None):
    return {"id": f"m{n}", "sent_at": (at or T0).isoformat(), "sender": sender, "text": text}


def payload(*messages, conversation="c-1", store="clouddry", **extra):
    return {"store": store, "conversation_id": conversation, "buyer_nick": "小明", "order_no": "T1001",
            "messages": list(messages), **extra}


def post(client, body):
    return client.post(URL, body, format="json")


def test_first_post_creates_a_ticket(client, clock, world):
    response = post(client, payload(msg(1, text="快递到哪了")))
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get()
    assert body["id"] == ticket.pk
    assert body["status"] == "new"
    assert body["queue"] == world.queue.pk
    assert body["category"] == "other"
    assert body["priority"] == "normal"
    assert body["first_response_due"] == "2026-03-02T11:00:00+08:00"
    assert body["resolution_due"] is not None
    assert ticket.channel == "chat" and ticket.buyer_nick == "小明" and ticket.order_no == "T1001"
    assert list(ticket.timeline.values_list("kind", flat=True)) == ["created", "customer_message"]


def test_repeat_posts_add_only_new_messages_to_the_same_ticket(client, clock, world):
    first = post(client, payload(msg(1), msg(2)))
    assert first.status_code == 201
    again = post(client, payload(msg(1), msg(2)))
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["messages_added"] == 0
    more = post(client, payload(msg(1), msg(2), msg(3, text="还在吗")))
    assert more.status_code == 200 and more.json()["messages_added"] == 1
    assert Ticket.objects.count() == 1
    assert ChatMessage.objects.count() == 3
    assert TimelineEntry.objects.filter(kind="customer_message").count() == 3


def test_same_conversation_id_in_another_store_is_another_ticket(client, clock, world):
    assert post(client, payload(msg(1))).status_code == 201
    assert post(client, payload(msg(1), store="swiftride")).status_code == 201
    assert Ticket.objects.count() == 2


def test_agent_message_is_first_response_bot_message_is_not(client, clock, world):
    post(client, payload(msg(1)))
    post(client, payload(msg(2, sender="bot", text="自动回复：稍等", at=sh(2026, 3, 2, 10, 1))))
    ticket = Ticket.objects.get()
    assert ticket.first_response_at is None and ticket.status == "new"
    clock.return_value = sh(2026, 3, 2, 10, 8)
    post(client, payload(msg(3, sender="agent", text="您好", at=sh(2026, 3, 2, 10, 7))))
    ticket.refresh_from_db()
    assert ticket.first_response_at == sh(2026, 3, 2, 10, 7)
    assert ticket.first_response_minutes == 7
    assert ticket.status == "open"


def test_buyer_message_reopens_pending_customer(client, clock, world):
    post(client, payload(msg(1)))
    ticket = Ticket.objects.get()
    services.reply(ticket, actor=world.agent, body="请提供照片", status="pending_customer", now=sh(2026, 3, 2, 10, 5))
    assert ticket.clock_paused_at is not None
    clock.return_value = sh(2026, 3, 2, 14, 0)
    response = post(client, payload(msg(2, text="照片发您了", at=sh(2026, 3, 2, 13, 59))))
    assert response.status_code == 200 and response.json()["status"] == "open"
    ticket.refresh_from_db()
    assert ticket.clock_paused_at is None


def test_buyer_message_after_resolution_reopens_within_window(client, clock, world, settings):
    settings.TICKETS_REOPEN_WINDOW_HOURS = 48
    post(client, payload(msg(1)))
    ticket = Ticket.objects.get()
    services.resolve(ticket, actor=world.agent, now=sh(2026, 3, 2, 11, 0))
    clock.return_value = sh(2026, 3, 3, 9, 0)
    agent_only = post(client, payload(msg(2, sender="agent", text="感谢", at=sh(2026, 3, 2, 11, 1))))
    assert agent_only.status_code == 200 and agent_only.json()["status"] == "resolved"
    response = post(client, payload(msg(3, text="又坏了", at=sh(2026, 3, 3, 9, 0))))
    assert response.status_code == 200
    assert response.json()["id"] == ticket.pk and response.json()["status"] == "open"
    ticket.refresh_from_db()
    assert ticket.sla_cycle == 2
    assert Ticket.objects.count() == 1


def test_buyer_message_after_window_opens_a_linked_ticket(client, clock, world, settings):
    settings.TICKETS_REOPEN_WINDOW_HOURS = 48
    post(client, payload(msg(1)))
    old = Ticket.objects.get()
    services.resolve(old, actor=world.agent, now=sh(2026, 3, 2, 11, 0))
    clock.return_value = sh(2026, 3, 5, 9, 0)
    response = post(client, payload(msg(2, text="又坏了", at=sh(2026, 3, 5, 9, 0))))
    assert response.status_code == 201
    new = Ticket.objects.get(pk=response.json()["id"])
    assert new.pk != old.pk and new.previous_ticket == old and response.json()["previous_ticket"] == old.pk
    assert ChatConversation.objects.get().ticket == new
    assert new.chat_messages.get().external_id == "m2"
    old.refresh_from_db()
    assert old.status == "resolved"
    # The next message goes on the new ticket, not a third one.
    clock.return_value = sh(2026, 3, 5, 9, 5)
    assert post(client, payload(msg(3, at=sh(2026, 3, 5, 9, 4)))).json()["id"] == new.pk
    assert Ticket.objects.count() == 2


def test_closed_ticket_gets_a_linked_ticket(client, clock, world):
    post(client, payload(msg(1)))
    old = Ticket.objects.get()
    services.resolve(old, actor=world.agent, now=sh(2026, 3, 2, 10, 30))
    services.close(old, actor=world.agent, now=sh(2026, 3, 2, 10, 40))
    clock.return_value = sh(2026, 3, 2, 11, 0)
    response = post(client, payload(msg(2, at=sh(2026, 3, 2, 10, 59))))
    assert response.status_code == 201 and response.json()["previous_ticket"] == old.pk


def test_routing_applies_to_chat(client, clock, world):
    RoutingRule.objects.create(order=1, name="refund", pattern="退款 退货", queue=world.refund_queue, category="refund")
    response = post(client, payload(msg(1, text="我要退款")))
    assert response.json()["queue"] == world.refund_queue.pk and response.json()["category"] == "refund"


def _nothing_written():
    return not (Ticket.objects.exists() or ChatMessage.objects.exists() or ChatConversation.objects.exists()
                or TimelineEntry.objects.exists())


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (payload(msg(1), store="nope"), "store"),
        (payload(), "messages"),
        (payload(msg(1), conversation=""), "conversation_id"),
        ({**payload(msg(1)), "buyer_nick": ""}, "buyer_nick"),
        (payload({"id": "m1", "sent_at": "2026-03-02 10:00", "sender": "buyer", "text": "x"}), "messages"),
        (payload({"id": "m1", "sent_at": "yesterday", "sender": "buyer", "text": "x"}), "messages"),
        (payload({"id": "m1", "sent_at": "2026-03-09T10:00:00+08:00", "sender": "buyer", "text": "x"}), "messages"),
        (payload({"id": "m1", "sent_at": T0.isoformat(), "sender": "customer", "text": "x"}), "messages"),
        (payload({"id": "m1", "sent_at": T0.isoformat(), "sender": "buyer", "text": ""}), "messages"),
        (payload(msg(1), msg(1)), "messages"),
        (payload(msg(1), msg(2, text="x" * 5001)), "messages"),
    ],
)
def test_bad_payloads_are_400_with_field_errors_and_write_nothing(client, clock, world, body, field):
    response = post(client, body)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert _nothing_written()


def test_naive_timestamp_error_names_the_message_field(client, clock, world):
    response = post(client, payload(msg(1), {"id": "m2", "sent_at": "2026-03-02T10:00:00", "sender": "buyer",
                                             "text": "x"}))
    assert response.status_code == 400
    assert list(response.json()["messages"]["1"]) == ["sent_at"]


def test_oversize_payloads_are_refused(client, clock, world, settings):
    settings.TICKETS_CHAT_MAX_MESSAGES = 3
    response = post(client, payload(*[msg(n) for n in range(4)]))
    assert response.status_code == 400 and "messages" in response.json()
    settings.TICKETS_CHAT_MAX_BYTES = 2000
    big = payload(msg(1, text="字" * 1000))
    response = client.post(URL, json.dumps(big), content_type="application/json")
    assert response.status_code == 400 and "non_field_errors" in response.json()
    assert _nothing_written()


def test_failure_midway_writes_nothing(client, clock, world):
    with mock.patch("tickets.chat._add_messages", side_effect=RuntimeError("boom")):
        with pytest.raises(RuntimeError):
            post(client, payload(msg(1)))
    assert _nothing_written()


def test_only_integration_may_post(world, clock):
    api = APIClient()
    anonymous = api.post(URL, payload(msg(1)), format="json")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"] == "Token"
    api.force_authenticate(world.agent)
    assert api.post(URL, payload(msg(1)), format="json").status_code == 403
    assert _nothing_written()


def test_integration_cannot_list_tickets(client, clock, world):
    post(client, payload(msg(1)))
    assert client.get("/api/v1/tickets/").status_code == 403


def test_a_store_outside_the_callers_scope_is_as_unknown_as_a_missing_one(world, clock):
    """The store field goes through restrict: a caller allowed to ingest whose scope is one store
    gets the same answer for another store as for a store that does not exist."""
    from django.contrib.auth.models import Permission

    world.agent.user_permissions.add(Permission.objects.get(codename="ingest_ticket"))
    api = APIClient()
    api.force_authenticate(world.agent)
    unknown = post(api, payload(msg(1), store="nope"))
    assert (unknown.status_code, unknown.json()) == (400, {"store": ["Unknown store “nope”."]})
    outside = post(api, payload(msg(1), store="swiftride"))
    assert (outside.status_code, outside.json()) == (400, {"store": ["Unknown store “swiftride”."]})
    assert _nothing_written()
    assert post(api, payload(msg(1))).status_code == 201
