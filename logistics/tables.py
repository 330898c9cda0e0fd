import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from logistics.models import Alert, Shipment, TrackingImport
from portal.formatting import person_name

STATUS_CLASS = {"delivered": "ok", "exception": "bad", "delivery_failed": "warn", "returning": "warn",
                "open": "bad", "resolved": "ok", "closed": "muted", "done": "ok", "failed": "bad",
                "running": "warn", "queued": "muted"}


def person(user):
    """A staff member by full name (the username when none is set)."""
    return person_name(user, "—")


def status_badge(value, display):
    return format_html('<span class="status {}" data-status="{}">{}</span>', STATUS_CLASS.get(value, ""), value,
                       display)


class ShipmentTable(tables.Table):
    waybill_number = tables.Column(verbose_name=_("waybill"), linkify=("logistics:shipment", {"pk": tables.A("pk")}))
    carrier = tables.Column(accessor="carrier__code", verbose_name=_("carrier"))
    store = tables.Column(accessor="store__name", verbose_name=_("store"))
    status = tables.Column(verbose_name=_("status"))
    last_event_at = tables.DateTimeColumn(verbose_name=_("last event"), format="Y-m-d H:i")
    shipped_at = tables.DateTimeColumn(verbose_name=_("shipped at"), format="Y-m-d H:i")
    open_alerts = tables.Column(verbose_name=_("open alerts"), orderable=False, empty_values=())

    class Meta:
        model = Shipment
        fields = ["waybill_number", "carrier", "store", "order_number", "status", "last_event_at",
                  "last_description", "shipped_at", "open_alerts"]
        default_columns = fields
        attrs = {"class": "table", "data-testid": "shipment-table"}

    def render_status(self, record, value):
        return status_badge(record.status, value)

    def render_open_alerts(self, record):
        return record.open_alert_count or "—"


class AlertTable(tables.Table):
    id = tables.Column(verbose_name="#", linkify=("logistics:alert", {"pk": tables.A("pk")}))
    kind = tables.Column(verbose_name=_("kind"))
    waybill = tables.Column(accessor="shipment__waybill_number", verbose_name=_("waybill"),
                            linkify=lambda record: reverse("logistics:shipment", args=[record.shipment_id]))
    carrier = tables.Column(accessor="shipment__carrier__code", verbose_name=_("carrier"))
    store = tables.Column(accessor="shipment__store__name", verbose_name=_("store"))
    cause = tables.Column(verbose_name=_("cause"))
    trigger_at = tables.DateTimeColumn(verbose_name=_("since"), format="Y-m-d H:i")
    status = tables.Column(verbose_name=_("status"))
    acknowledged_by = tables.Column(verbose_name=_("acknowledged by"), default="—")
    follow_up_at = tables.DateTimeColumn(verbose_name=_("follow up at"), format="Y-m-d H:i", default="—")
    opened_at = tables.DateTimeColumn(verbose_name=_("opened at"), format="Y-m-d H:i")

    class Meta:
        model = Alert
        fields = ["id", "kind", "waybill", "carrier", "store", "cause", "trigger_at", "status", "acknowledged_by",
                  "follow_up_at", "opened_at"]
        default_columns = fields
        attrs = {"class": "table", "data-testid": "alert-table"}

    def render_status(self, record, value):
        return status_badge(record.status, value)

    def render_acknowledged_by(self, value):
        return person(value)


class TrackingImportTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name=_("uploaded at"), format="Y-m-d H:i",
                                       linkify=("logistics:import", {"pk": tables.A("pk")}))
    original_name = tables.Column(verbose_name=_("file"))
    carrier = tables.Column(accessor="carrier__code", verbose_name=_("carrier"))
    store = tables.Column(accessor="store__name", verbose_name=_("store"), default="—")
    status = tables.Column(verbose_name=_("status"))
    uploaded_by = tables.Column(verbose_name=_("uploaded by"), default="—")

    class Meta:
        model = TrackingImport
        fields = ["created_at", "original_name", "carrier", "store", "status", "rows_read", "events_added",
                  "duplicates", "rejected_count", "uploaded_by"]
        default_columns = fields
        attrs = {"class": "table", "data-testid": "import-table"}

    def render_status(self, record, value):
        return status_badge(record.status, value)

    def render_uploaded_by(self, value):
        return person(value)
