"""Marketplace chat: conversations and their messages as received (tickets/chat.py ingests them)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Store
from tickets.models.ticket import Ticket


class ChatConversation(models.Model):
    """A marketplace chat conversation; points at the ticket its new messages go to."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="chat_conversations")
    conversation_id = models.CharField(_("conversation id"), max_length=100)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="conversations")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "conversation_id"], name="unique_chat_conversation")
        ]
        verbose_name = _("chat conversation")
        verbose_name_plural = _("chat conversations")

    def __str__(self):
        return f"{self.store.code}/{self.conversation_id}"


class ChatMessage(models.Model):
    """One message of a chat conversation, kept as received (deduplicated by its external id)."""

    class Sender(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        AGENT = "agent", _("Agent")
        BOT = "bot", _("Bot")

    conversation = models.ForeignKey(ChatConversation, on_delete=models.CASCADE, related_name="messages")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="chat_messages")
    external_id = models.CharField(_("message id"), max_length=100)
    sender = models.CharField(_("sender"), max_length=10, choices=Sender.choices)
    sent_at = models.DateTimeField(_("sent at"))
    text = models.TextField(_("text"))
    received_at = models.DateTimeField(_("received at"))
    # A buyer message's human response: the first later reply by a person (a chat message from an
    # agent, or a public reply in the portal by a user), and the business time it took on the
    # ticket's SLA calendar (calendar time without a policy). Stored when the reply is written.
    human_response_at = models.DateTimeField(_("answered by a person at"), null=True, blank=True)
    human_response_seconds = models.FloatField(_("human response time (business seconds)"), null=True, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "external_id"], name="unique_chat_message")
        ]
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")

    def __str__(self):
        return f"{self.sender}: {self.text[:40]}"

