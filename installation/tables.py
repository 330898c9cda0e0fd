"""The installation job list's table (django-tables2)."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from installation.models import InstallationJob

NODE_CLASS = {"completed": "ok", "failed": "bad", "cancelled": "muted", "rescheduled": "warn"}


def node_badge(node, label):
    return format_html('<span class="status {}" data-node="{}">{}</span>', NODE_CLASS.get(node, ""), node, label)


class InstallationJobTable(tables.Table):
    id = tables.Column(verbose_name="#", linkify=("installation:job", {"pk": tables.A("pk")}))
    store = tables.Column(accessor="store__name", verbose_name=gettext_lazy("store"))
    order_number = tables.Column(verbose_name=gettext_lazy("order number"))
    product = tables.Column(accessor="product__sku", verbose_name=gettext_lazy("product"))
    partner = tables.Column(accessor="partner__name", verbose_name=gettext_lazy("partner"))
    node = tables.Column(verbose_name=gettext_lazy("node"))
    appointment_start = tables.DateTimeColumn(verbose_name=gettext_lazy("appointment"), format="Y-m-d H:i")
    technician_name = tables.Column(verbose_name=gettext_lazy("technician"))
    requested_at = tables.DateTimeColumn(verbose_name=gettext_lazy("requested at"), format="Y-m-d H:i")

    class Meta:
        model = InstallationJob
        fields = ["id", "store", "order_number", "product", "partner", "node", "appointment_start",
                  "technician_name", "requested_at"]
        default_columns = fields
        attrs = {"class": "table", "data-testid": "installation-table"}

    def render_node(self, record, value):
        return node_badge(record.node, value)
