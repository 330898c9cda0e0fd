import re

import django_tables2 as tables
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from portal.models import Notification


class NotificationTable(tables.Table):
    subject = tables.Column(verbose_name=_("subject"))
    created_at = tables.DateTimeColumn(verbose_name=_("received"), format="Y-m-d H:i")

    class Meta:
        model = Notification
        fields = ["created_at", "subject", "body"]
        default_columns = fields
        orderable = False
        row_attrs = {"class": lambda record: "unread" if record.read_at is None else "",
                     "data-id": lambda record: record.pk}

    def render_subject(self, record, value):
        if record.link:
            return format_html('<a href="{}">{}</a>', record.link, value)
        return value

    def render_body(self, value):
        # Line breaks kept, and the portal's own paths in a message (e.g. an escalation digest's
        # "/tickets/12/") become links.
        text = escape(value)
        text = SITE_PATH.sub(lambda m: f'{m.group(1)}<a href="{m.group(2)}">{m.group(2)}</a>', text)
        return mark_safe(text.replace("\n", "<br>"))


SITE_PATH = re.compile(r"(^|\s)(/[A-Za-z0-9_\-/]+/(?:\?[A-Za-z0-9_=&;\-]*)?)")
