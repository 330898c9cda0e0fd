"""The data migration that backfills who answered the buyer's chat messages
(tickets/migrations/0008_backfill_human_response.py): the first later reply by a person, an agent's
chat message or a portal reply that was not automatic, in calendar seconds."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection

from portal.roles import Role
from tests.factories import make_store, make_team, make_user
from tests.tickets.factories import make_queue, sh
from tickets import services
from tickets.models import ChatConversation, ChatMessage, TimelineEntry

migration = importlib.import_module("tickets.migrations.0008_backfill_human_response")
pytestmark = pytest.mark.django_db
T = sh(2026, 3, 2, 10, 0)


def _message(ticket, external_id, sender, at):
    conversation, _ = ChatConversation.objects.get_or_create(
        store=ticket.store, conversation_id=f"c{ticket.pk}", defaults={"ticket": ticket, "created_at": at})
    return ChatMessage.objects.create(conversation=conversation, ticket=ticket, external_id=external_id,
                                      sender=sender, sent_at=at, text="…", received_at=at)


def _reply(ticket, at, *, actor, automatic=False):
    TimelineEntry.objects.create(ticket=ticket, kind=TimelineEntry.Kind.REPLY, actor=actor, at=at, body="ok",
                                 visibility=TimelineEntry.Visibility.PUBLIC,
                                 data={"automatic": True} if automatic else {})


def test_buyer_messages_get_the_first_later_human_reply():
    store = make_store()
    team = make_team(stores=[store])
    make_queue(team)
    agent = make_user(role=Role.AGENT, team=team)
    chat = services.create_ticket(store=store, actor=None, now=T, subject="chat")
    portal = services.create_ticket(store=store, actor=None, now=T, subject="portal")
    minute = timedelta(minutes=1)
    # Chat: two buyer messages answered by the agent's chat message, one after it never answered.
    _message(chat, "b1", "buyer", T)
    _message(chat, "b2", "buyer", T + 2 * minute)
    _message(chat, "bot", "bot", T + 3 * minute)  # a bot does not answer
    _message(chat, "a1", "agent", T + 5 * minute)
    _message(chat, "b3", "buyer", T + 10 * minute)
    # Portal: an automatic reply and an internal note do not answer; the person's reply does.
    _message(portal, "p1", "buyer", T)
    _reply(portal, T + minute, actor=agent, automatic=True)
    TimelineEntry.objects.create(ticket=portal, kind=TimelineEntry.Kind.NOTE, actor=agent, at=T + 2 * minute,
                                 body="note", visibility=TimelineEntry.Visibility.INTERNAL)
    _reply(portal, T + 7 * minute, actor=agent)
    # A message already answered live keeps its business-time figures.
    live = _message(portal, "p0", "buyer", T - minute)
    ChatMessage.objects.filter(pk=live.pk).update(human_response_at=T + minute, human_response_seconds=42)

    migration.fill_human_response(apps, connection.schema_editor())

    got = {m.external_id: (m.human_response_at, m.human_response_seconds) for m in ChatMessage.objects.all()}
    assert got["b1"] == (T + 5 * minute, 300)
    assert got["b2"] == (T + 5 * minute, 180)
    assert got["b3"] == (None, None)
    assert got["p1"] == (T + 7 * minute, 420)
    assert got["p0"] == (T + minute, 42)
    assert got["a1"] == got["bot"] == (None, None)  # only buyer messages are answered
