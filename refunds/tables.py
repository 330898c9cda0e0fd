"""The refund desk's table (django-tables2)."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from refunds.models import RefundRequest

STATUS_CLASS = {"decided": "ok", "closed": "muted", "cancelled": "muted", "awaiting_approval": "warn",
                "awaiting_return": "warn", "disputed": "bad"}


def status_badge(status, label):
    return format_html('<span class="status {}" data-status="{}">{}</span>', STATUS_CLASS.get(status, ""), status, label)


class RefundRequestTable(tables.Table):
    id = tables.Column(verbose_name="#", linkify=("refunds:request", {"pk": tables.A("pk")}))
    respond_by = tables.DateTimeColumn(verbose_name=gettext_lazy("respond by"), format="Y-m-d H:i")
    store = tables.Column(accessor="store__name", verbose_name=gettext_lazy("store"))
    order_no = tables.Column(verbose_name=gettext_lazy("order number"))
    kind = tables.Column(verbose_name=gettext_lazy("kind"))
    reason = tables.Column(accessor="reason__name_zh", verbose_name=gettext_lazy("reason"), order_by="reason__code")
    amount = tables.Column(verbose_name=gettext_lazy("amount"), attrs={"td": {"class": "num"}})
    status = tables.Column(verbose_name=gettext_lazy("status"))
    eligible = tables.BooleanColumn(verbose_name=gettext_lazy("eligible"))
    refund_amount = tables.Column(verbose_name=gettext_lazy("refunded"), attrs={"td": {"class": "num"}})

    class Meta:
        model = RefundRequest
        fields = ["id", "respond_by", "store", "order_no", "kind", "reason", "amount", "status", "eligible",
                  "refund_amount"]
        default_columns = fields
        attrs = {"class": "table", "data-testid": "refund-table"}

    def render_status(self, record, value):
        return status_badge(record.status, value)

    def render_reason(self, record):
        return record.reason.name
