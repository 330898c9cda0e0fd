"""Routing rules (which queue, category and priority a new ticket gets) and macros (canned replies)."""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.formatting import person_name
from portal.models import Store, Team
from tickets.models.queue import Queue
from tickets.models.ticket import Category, Priority

KEYWORD_SPLIT = re.compile(r"[,，;；|\s]+")


class RoutingRule(models.Model):
    """Ordered rule: when the buyer's text (and store, order presence) match, set queue, category,
    priority and the major-complaint flag. The first matching active rule wins."""

    order = models.PositiveIntegerField(_("order"), default=100)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    store = models.ForeignKey(
        Store, verbose_name=_("only for store"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    pattern = models.CharField(
        _("keywords or pattern"), max_length=500, blank=True,
        help_text=_("Keywords separated by commas or spaces (any one matches), or a regular expression."),
    )
    is_regex = models.BooleanField(_("regular expression"), default=False)
    requires_order = models.BooleanField(
        _("order number"), null=True, blank=True,
        help_text=_("Yes: only with an order number; No: only without; empty: either."),
    )
    queue = models.ForeignKey(
        Queue, verbose_name=_("set queue"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.CharField(_("set category"), max_length=20, choices=Category.choices, blank=True)
    priority = models.CharField(_("set priority"), max_length=10, choices=Priority.choices, blank=True)
    is_major = models.BooleanField(_("mark as major complaint"), default=False)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self):
        return self.name

    def clean(self):
        if self.is_regex:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValidationError({"pattern": _("Not a valid regular expression: %(e)s") % {"e": exc}}) from exc

    def keywords(self) -> list[str]:
        return [word.lower() for word in KEYWORD_SPLIT.split(self.pattern) if word]

    def matches(self, *, store_id, text: str, has_order: bool) -> bool:
        if self.store_id and self.store_id != store_id:
            return False
        if self.requires_order is not None and self.requires_order != has_order:
            return False
        if not self.pattern:
            return True
        if self.is_regex:
            return re.search(self.pattern, text, re.IGNORECASE) is not None
        lowered = text.lower()
        return any(word in lowered for word in self.keywords())


class Macro(models.Model):
    """A canned reply; {buyer_nick}, {order_no}, {waybill}, {store} and {agent} are filled in from the
    ticket (the waybill by whichever app knows the order's parcels: `portal.registry.macro_values`)."""

    PLACEHOLDERS = ("buyer_nick", "order_no", "waybill", "store", "agent")

    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(_("text"))
    queue = models.ForeignKey(
        Queue, verbose_name=_("only for queue"), null=True, blank=True, on_delete=models.CASCADE, related_name="macros"
    )
    team = models.ForeignKey(
        Team, verbose_name=_("only for team"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("macro")
        verbose_name_plural = _("macros")

    def __str__(self):
        return self.name

    def render(self, ticket, actor=None, extra=None) -> str:
        """The text with placeholders filled; `extra` holds values other apps know (the waybill)."""
        values = {
            "buyer_nick": ticket.buyer_nick,
            "order_no": ticket.order_no,
            "waybill": "",
            "store": ticket.store.name,
            "agent": person_name(actor),
            **(extra or {}),
        }
        text = self.body
        for key, value in values.items():
            text = text.replace("{" + key + "}", value or "")
        return text

