import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from portal.models import Notification
from portal.notifications import render


def _rendered(record):
    """The message in the reader's (active) language, rendered once per row."""
    if not hasattr(record, "_rendered"):
        record._rendered = render(record)
    return record._rendered


class NotificationTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name=_("Received"), format="Y-m-d H:i")
    subject = tables.Column(verbose_name=_("Subject"), empty_values=())
    body = tables.Column(verbose_name=_("Message"), empty_values=())

    class Meta:
        model = Notification
        fields = ["created_at", "subject", "body"]
        default_columns = fields
        orderable = False
        row_attrs = {"class": lambda record: "unread" if record.read_at is None else "",
                     "data-id": lambda record: record.pk}

    def render_subject(self, record):
        subject = _rendered(record).subject
        if record.link:
            # Through the inbox: opening a message marks it read, then goes where it points.
            return format_html('<a href="{}" data-testid="notification-link">{}</a>',
                               reverse("inbox_open", args=[record.pk]), subject)
        return subject

    def render_body(self, record):
        lines = _rendered(record).lines
        if not lines:
            return "—"
        return format_html_join(
            "", "{}", (
                (format_html('<a href="{}">{}</a><br>', line.link, line.text) if line.link
                 else format_html("{}<br>", line.text),)
                for line in lines
            ))
