import django_tables2 as tables
from django.utils.html import format_html
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
        row_attrs = {"class": lambda record: "unread" if record.read_at is None else ""}

    def render_subject(self, record, value):
        if record.link:
            return format_html('<a href="{}">{}</a>', record.link, value)
        return value
