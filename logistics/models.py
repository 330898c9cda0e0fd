"""Carriers and their status maps, shipments and tracking events, report imports, alerts and alert work.

A carrier's raw operation codes and descriptions are mapped to the normalised statuses of
DESIGN §5 by `StatusMapping` rows (data, editable in admin); its daily report's columns are named
by `ReportColumns`. A shipment's status is the mapped status of its latest event by event time,
so ingest is order-independent: a late, older event never moves a parcel back.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from logistics.storage import private_storage
from portal.formatting import person_name


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    INFO_RECEIVED = "info_received", _("Info received")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    AVAILABLE_FOR_PICKUP = "available_for_pickup", _("Available for pickup")
    DELIVERY_FAILED = "delivery_failed", _("Delivery failed")
    DELIVERED = "delivered", _("Delivered")
    EXCEPTION = "exception", _("Exception")
    RETURNING = "returning", _("Returning")
    RETURNED = "returned", _("Returned")


# Tie-break between two events with the same timestamp: the later stage wins, whatever the arrival order.
STATUS_RANK = {
    ShipmentStatus.PENDING: 0,
    ShipmentStatus.INFO_RECEIVED: 1,
    ShipmentStatus.IN_TRANSIT: 2,
    ShipmentStatus.EXCEPTION: 3,
    ShipmentStatus.AVAILABLE_FOR_PICKUP: 4,
    ShipmentStatus.OUT_FOR_DELIVERY: 5,
    ShipmentStatus.DELIVERY_FAILED: 6,
    ShipmentStatus.RETURNING: 7,
    ShipmentStatus.DELIVERED: 8,
    ShipmentStatus.RETURNED: 9,
}
# Statuses that put a parcel on the last mile even without the mapping's explicit flag.
LAST_MILE_STATUSES = {
    ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.AVAILABLE_FOR_PICKUP, ShipmentStatus.DELIVERY_FAILED,
}
# The journey is over (or reversed): no stall / last-mile alert.
FINISHED_STATUSES = {ShipmentStatus.DELIVERED, ShipmentStatus.RETURNING, ShipmentStatus.RETURNED}
NOT_PICKED_UP_STATUSES = {ShipmentStatus.PENDING, ShipmentStatus.INFO_RECEIVED}


class Carrier(models.Model):
    """An express carrier, its alert thresholds and how to read its reports."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(
        _("time zone of report times"), max_length=50, default="Asia/Shanghai",
        help_text=_("Scan times without an offset are read in this time zone."),
    )
    waybill_reuse_days = models.PositiveIntegerField(
        _("waybill reuse window (days)"), default=60,
        help_text=_("Carriers recycle waybill numbers: an event without an order number joins a parcel with "
                    "the same waybill only if its first event is within this many days."),
    )
    default_delivery_hours = models.PositiveIntegerField(
        _("delivery time when none is promised (hours)"), default=72,
        help_text=_("On-time delivery is measured against the promised time, or shipping time plus this."),
    )
    detect_stalled = models.BooleanField(_("detect stalled parcels"), default=True)
    stall_hours = models.PositiveIntegerField(_("stalled after (hours without an event)"), default=48)
    detect_transit_anomaly = models.BooleanField(_("detect transit anomalies"), default=True)
    detect_last_mile_delay = models.BooleanField(_("detect last-mile delays"), default=True)
    last_mile_hours = models.PositiveIntegerField(_("last-mile delay after (hours)"), default=24)
    detect_pickup_overdue = models.BooleanField(_("detect overdue pickups"), default=True)
    pickup_hours = models.PositiveIntegerField(_("pickup overdue after (hours)"), default=24)
    # Appointment at risk (installation jobs waiting for this carrier's parcel).
    appointment_lead_hours = models.PositiveIntegerField(
        _("out for delivery before an appointment (hours)"), default=4,
        help_text=_("An installation appointment is at risk if the parcel is not out for delivery this many hours "
                    "before the window starts."),
    )
    delivery_cutoff_hour = models.PositiveSmallIntegerField(
        _("outlet delivery cut-off (hour)"), default=18, validators=[MaxValueValidator(23)],
        help_text=_("A last scan at the outlet at or after this local hour means no more deliveries that day."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")

    def __str__(self):
        return f"{self.name} ({self.code})"


class CarrierOutlet(models.Model):
    """The carrier's outlet contact directory: whom to call about a parcel stuck at an outlet."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="outlets", verbose_name=_("carrier"))
    name = models.CharField(_("outlet"), max_length=100)
    city = models.CharField(_("city"), max_length=50, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        ordering = ["carrier", "name"]
        constraints = [models.UniqueConstraint(fields=["carrier", "name"], name="logistics_unique_outlet")]
        verbose_name = _("carrier outlet")
        verbose_name_plural = _("carrier outlets")

    def __str__(self):
        return self.name


class StatusMapping(models.Model):
    """One rule of a carrier's status map: raw code and/or description keyword -> normalised status.

    Rules are tried in `position` order; the first whose code (if set) equals the event's code and
    whose keyword (if set) occurs in the event's description wins.
    """

    carrier = models.ForeignKey(
        Carrier, on_delete=models.CASCADE, related_name="status_map", verbose_name=_("carrier")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    code = models.CharField(_("operation code"), max_length=20, blank=True)
    keyword = models.CharField(_("description keyword"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=30, choices=ShipmentStatus.choices)
    is_anomaly = models.BooleanField(_("anomaly"), default=False, help_text=_("Raises a transit-anomaly alert."))
    is_last_mile = models.BooleanField(
        _("at the last-mile outlet"), default=False,
        help_text=_("The parcel is at the delivering outlet (starts the last-mile clock)."),
    )

    class Meta:
        ordering = ["carrier", "position", "id"]
        verbose_name = _("status mapping")
        verbose_name_plural = _("status mappings")

    def __str__(self):
        return f"{self.code or '*'} / {self.keyword or '*'} → {self.get_status_display()}"

    def clean(self):
        if not self.code and not self.keyword:
            raise ValidationError(_("Give an operation code, a keyword or both."))


class ReportColumns(models.Model):
    """The column mapping of a carrier's report files: the header of each column (alternatives with |)."""

    carrier = models.OneToOneField(
        Carrier, on_delete=models.CASCADE, related_name="report_columns", verbose_name=_("carrier")
    )
    waybill = models.CharField(_("waybill number column"), max_length=100)
    event_time = models.CharField(_("scan time column"), max_length=100)
    code = models.CharField(_("operation code column"), max_length=100, blank=True)
    description = models.CharField(_("description column"), max_length=100, blank=True)
    order_number = models.CharField(_("order number column"), max_length=100, blank=True)
    outlet = models.CharField(_("outlet column"), max_length=100, blank=True)
    city = models.CharField(_("city column"), max_length=100, blank=True)
    consignee_name = models.CharField(_("consignee column"), max_length=100, blank=True)
    consignee_phone = models.CharField(_("consignee phone column"), max_length=100, blank=True)
    consignee_address = models.CharField(_("consignee address column"), max_length=100, blank=True)
    product_skus = models.CharField(_("product SKUs column"), max_length=100, blank=True)
    promised_by = models.CharField(_("promised delivery column"), max_length=100, blank=True)
    time_format = models.CharField(
        _("scan time format"), max_length=50, blank=True,
        help_text=_("A strptime format if times are not ISO-like (e.g. %Y/%m/%d %H:%M)."),
    )

    # Model field -> the key the ingest pipeline uses.
    FIELDS = [
        "waybill", "event_time", "code", "description", "order_number", "outlet", "city", "consignee_name",
        "consignee_phone", "consignee_address", "product_skus", "promised_by",
    ]
    REQUIRED = ["waybill", "event_time"]

    class Meta:
        verbose_name = _("report column mapping")
        verbose_name_plural = _("report column mappings")

    def __str__(self):
        return str(self.carrier)

    def clean(self):
        if not self.code and not self.description:
            raise ValidationError(_("Map the operation code column, the description column or both."))


class ShipmentQuerySet(models.QuerySet):
    def active(self):
        return self.exclude(status__in=FINISHED_STATUSES)


class ShipmentDirection(models.TextChoices):
    OUTBOUND = "outbound", _("Outbound")
    RETURN = "return", _("Return")


class Shipment(models.Model):
    """A parcel: one order's shipment with one carrier under one waybill number.

    Waybill numbers are unique per carrier only within a time window (carriers recycle them), so
    the key is (carrier, waybill number, order number); the import never merges two orders' parcels.
    """

    # No single-column indexes on the two foreign keys: the composite indexes below lead with them,
    # and every index costs the import on each insert.
    store = models.ForeignKey("portal.Store", on_delete=models.PROTECT, related_name="shipments",
                              db_index=False, verbose_name=_("store"))
    order_number = models.CharField(_("order number"), max_length=64, blank=True, db_index=True)
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="shipments",
                                db_index=False, verbose_name=_("carrier"))
    waybill_number = models.CharField(_("waybill number"), max_length=40)
    consignee_name = models.CharField(_("consignee"), max_length=100, blank=True)
    consignee_phone = models.CharField(_("consignee phone"), max_length=30, blank=True)
    consignee_address = models.CharField(_("consignee address"), max_length=300, blank=True)
    product_skus = models.JSONField(_("product SKUs"), default=list, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    promised_by = models.DateTimeField(_("promised delivery by"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=30, choices=ShipmentStatus.choices,
                              default=ShipmentStatus.PENDING)
    last_event_at = models.DateTimeField(_("last event"), null=True, blank=True)
    last_description = models.CharField(_("last event description"), max_length=300, blank=True)
    last_outlet = models.CharField(_("last outlet"), max_length=100, blank=True)
    # First scan in the carrier's network (anything after "info received").
    picked_up_at = models.DateTimeField(_("picked up at"), null=True, blank=True)
    # First time the parcel reached the delivering outlet or went out for delivery.
    last_mile_at = models.DateTimeField(_("on the last mile since"), null=True, blank=True)
    # Time of the latest anomalous event (transit-anomaly alert trigger).
    anomaly_at = models.DateTimeField(_("last anomaly"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # A return parcel (goods sent back to the store) opens no installation job and is left out of
    # the delivery metrics; the refund desk waits for it.
    # (A database default too: the ingest's raw INSERT names only the columns it fills.)
    direction = models.CharField(_("direction"), max_length=10, choices=ShipmentDirection.choices,
                                 default=ShipmentDirection.OUTBOUND, db_default=ShipmentDirection.OUTBOUND)
    created_at = models.DateTimeField(_("created at"))

    objects = ShipmentQuerySet.as_manager()

    Direction = ShipmentDirection

    class Meta:
        ordering = ["-shipped_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "waybill_number", "order_number"], condition=~Q(order_number=""),
                name="logistics_unique_parcel_per_order",
            ),
        ]
        indexes = [
            models.Index(fields=["carrier", "waybill_number"], name="logistics_waybill_idx"),
            models.Index(fields=["store", "shipped_at"], name="logistics_store_shipped_idx"),
            # Small partial indexes for the alert rules that concern few parcels; the stall rule reads
            # the table (an index on last_event_at would be rewritten by almost every event).
            models.Index(fields=["anomaly_at"], name="logistics_anomaly_idx", condition=Q(anomaly_at__isnull=False)),
            models.Index(fields=["promised_by"], name="logistics_promised_idx",
                         condition=Q(promised_by__isnull=False, delivered_at__isnull=True)),
            models.Index(fields=["last_mile_at"], name="logistics_last_mile_idx",
                         condition=Q(last_mile_at__isnull=False, delivered_at__isnull=True)),
            models.Index(fields=["created_at"], name="logistics_not_picked_up_idx",
                         condition=Q(picked_up_at__isnull=True)),
        ]
        permissions = [("view_consignee_shipment", "Can see consignee contact details unmasked")]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")

    def __str__(self):
        return f"{self.carrier.code if self.carrier_id else ''} {self.waybill_number}"


class RowIdField(models.BigAutoField):
    """An auto-increment primary key without SQLite's AUTOINCREMENT keyword.

    AUTOINCREMENT makes SQLite update its `sqlite_sequence` table on every insert (a fifth of the
    cost of inserting a tracking event). Without it a new row still gets the largest id + 1; an
    id can only come back if the newest rows are deleted, which an append-only table never does.
    Other databases keep their usual identity column."""

    def db_type_suffix(self, connection):
        return None if connection.vendor == "sqlite" else super().db_type_suffix(connection)


class EventSource(models.TextChoices):
    CARRIER = "carrier", _("Carrier")
    MERCHANT_DELIVERY = "merchant_delivery", _("Merchant delivery")


class TrackingEvent(models.Model):
    """One scan of a parcel. `event_key` (a hash of time, code and description) makes ingest idempotent.

    On SQLite the two foreign keys have no database constraint: checking the parent row of every
    inserted event cost a quarter of the ingest's time there (a random look-up in the parcel table
    per event). The ingest inserts a parcel before its events in the same transaction; deleting a
    parcel or an import goes through the ORM, which cascades / nulls as declared. PostgreSQL has
    both constraints (migration 0004 adds them there only; the model state says
    `db_constraint=False`, which is SQLite's schema)."""

    id = RowIdField(primary_key=True)
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events",
                                 db_index=False, db_constraint=False, verbose_name=_("shipment"))
    event_key = models.CharField(max_length=16)
    occurred_at = models.DateTimeField(_("time"))
    code = models.CharField(_("operation code"), max_length=20, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    outlet = models.CharField(_("outlet"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    status = models.CharField(_("status"), max_length=30, choices=ShipmentStatus.choices)
    is_anomaly = models.BooleanField(_("anomaly"), default=False)
    tracking_import = models.ForeignKey("TrackingImport", null=True, blank=True, on_delete=models.SET_NULL,
                                        db_index=False, db_constraint=False, related_name="+",
                                        verbose_name=_("import"))
    received_at = models.DateTimeField(_("received at"))
    # Who reported the scan: the carrier (reports, API), or the merchant's own delivery (a dispatch).
    # A database default, so the ingest's raw INSERT of carrier events need not name the column.
    source = models.CharField(_("source"), max_length=20, choices=EventSource.choices,
                              default=EventSource.CARRIER, db_default=EventSource.CARRIER)

    class Meta:
        ordering = ["occurred_at", "id"]
        # Leading shipment_id: also the index for a shipment's events.
        constraints = [models.UniqueConstraint(fields=["shipment", "event_key"], name="logistics_unique_event")]
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.code} {self.description}"


class TrackingImport(models.Model):
    """One uploaded carrier report file and the result of reading it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="imports", verbose_name=_("carrier"))
    store = models.ForeignKey("portal.Store", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("store for new parcels"))
    file = models.FileField(_("file"), upload_to="logistics/imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("uploaded by"))
    created_at = models.DateTimeField(_("uploaded at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    file_format = models.CharField(_("format"), max_length=20, blank=True)
    rows_total = models.PositiveIntegerField(_("rows in file"), default=0)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    events_added = models.PositiveIntegerField(_("events added"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates skipped"), default=0)
    shipments_created = models.PositiveIntegerField(_("parcels created"), default=0)
    rejected_count = models.PositiveIntegerField(_("rows rejected"), default=0)
    # [{"row": 22, "reason": "..."}], the first MAX_REJECTED_LISTED of them.
    rejected_rows = models.JSONField(_("rejected rows"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    MAX_REJECTED_LISTED = 10_000

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("tracking import")
        verbose_name_plural = _("tracking imports")

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(100 * self.rows_read / self.rows_total))

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class IngestRequest(models.Model):
    """An `Idempotency-Key` of the events API and the first response given for it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="logistics_unique_idempotency_key")]
        verbose_name = _("ingest request")
        verbose_name_plural = _("ingest requests")

    def __str__(self):
        return self.key


class AlertKind(models.TextChoices):
    STALLED = "stalled", _("Stalled")
    TRANSIT_ANOMALY = "transit_anomaly", _("Transit anomaly")
    LAST_MILE_DELAY = "last_mile_delay", _("Last-mile delay")
    PICKUP_OVERDUE = "pickup_overdue", _("Pickup overdue")
    APPOINTMENT_AT_RISK = "appointment_at_risk", _("Installation appointment at risk")


class AlertQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=Alert.Status.OPEN)


class Alert(models.Model):
    """A parcel that needs chasing. At most one open alert per parcel and kind (partial unique index)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed (delivered)")

    class Cause(models.TextChoices):
        NO_SCAN = "no_scan", _("No new event")
        ANOMALOUS_EVENT = "anomalous_event", _("Anomalous event")
        LAST_MILE_DWELL = "last_mile_dwell", _("At the outlet or out for delivery without delivery")
        PROMISE_MISSED = "promise_missed", _("Past the promised delivery time")
        NOT_PICKED_UP = "not_picked_up", _("Not picked up by the carrier")
        NOT_OUT_FOR_DELIVERY = "not_out_for_delivery", _("Not out for delivery by the lead time")
        LAST_MILE_STALLED = "last_mile_stalled", _("Stalled or delayed at the last mile")
        OUTLET_CLOSED = "outlet_closed", _("At the outlet after its delivery hours")

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="alerts", db_index=False,
                                 verbose_name=_("shipment"))
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # The parcel time the rule fired on (last event, anomaly, last-mile start, promise, shipping time):
    # a resolved alert is not raised again for the same trigger.
    trigger_at = models.DateTimeField(_("since"))
    opened_at = models.DateTimeField(_("opened at"))
    scan_token = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", verbose_name=_("acknowledged by"))
    follow_up_at = models.DateTimeField(_("follow up at"), null=True, blank=True)
    follow_up_due_notified = models.BooleanField(default=False, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("resolved by"))
    resolution = models.TextField(_("resolution"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The proactive ticket opened from this alert (tickets.Ticket id; kept as a plain id so the
    # logistics app does not depend on the tickets app's migrations).
    ticket_id = models.PositiveBigIntegerField(_("ticket"), null=True, blank=True)
    # appointment_at_risk: the installation job whose appointment the parcel may miss (a plain id:
    # installation sits above logistics and creates these alerts; trigger_at is the window's start).
    installation_job_id = models.PositiveBigIntegerField(_("installation job"), null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "kind"], condition=Q(status="open") & ~Q(kind="appointment_at_risk"),
                name="logistics_one_open_alert_per_kind",
            ),
            # A parcel may carry several products to install: one open at-risk alert per job.
            models.UniqueConstraint(
                fields=["installation_job_id"], condition=Q(status="open", kind="appointment_at_risk"),
                name="logistics_one_open_appointment_alert",
            ),
        ]
        indexes = [
            models.Index(fields=["shipment", "kind"], name="logistics_alert_shipment_idx"),
            models.Index(fields=["status", "kind"], name="logistics_alert_status_idx"),
            # The installation scan looks up each waiting job's at-risk alerts.
            models.Index(fields=["installation_job_id"], name="logistics_alert_job_idx",
                         condition=Q(installation_job_id__isnull=False)),
        ]
        permissions = [
            ("work_alert", "Can work logistics alerts"),
            ("approve_alert", "Can approve compensation above the offerer's limit"),
            ("dispatch_alert", "Can dispatch an own delivery for an alert"),
        ]
        verbose_name = _("logistics alert")
        verbose_name_plural = _("logistics alerts")

    def __str__(self):
        return f"{self.get_kind_display()} · {self.shipment}"

    @property
    def is_open(self):
        return self.status == self.Status.OPEN


class AlertEntry(models.Model):
    """One line of an alert's timeline: who did what, when."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CARRIER_CONTACTED = "carrier_contacted", _("Carrier outlet contacted")
        CUSTOMER_CONTACTED = "customer_contacted", _("Customer called")
        COMPENSATION_OFFERED = "compensation_offered", _("Compensation offered")
        COMPENSATION_APPROVED = "compensation_approved", _("Compensation approved")
        COMPENSATION_REJECTED = "compensation_rejected", _("Compensation rejected")
        TICKET_OPENED = "ticket_opened", _("Ticket opened")
        FOLLOW_UP_DUE = "follow_up_due", _("Follow-up due")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed: delivered")
        DISPATCHED = "dispatched", _("Own delivery dispatched")
        DISPATCH_PICKED_UP = "dispatch_picked_up", _("Own delivery picked up at the outlet")
        DISPATCH_DELIVERED = "dispatch_delivered", _("Own delivery delivered")
        DISPATCH_FAILED = "dispatch_failed", _("Own delivery failed")
        APPOINTMENT_MOVED = "appointment_moved", _("Closed: appointment moved")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="entries", verbose_name=_("alert"))
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("by"))
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("alert timeline entry")
        verbose_name_plural = _("alert timeline entries")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"


class CarrierContact(models.Model):
    """A call or message to the carrier's outlet about an alert, and what the outlet promised."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="carrier_contacts")
    outlet = models.CharField(_("outlet"), max_length=100, blank=True)
    contact_name = models.CharField(_("who"), max_length=100)
    contacted_at = models.DateTimeField(_("when"))
    promise = models.TextField(_("what was promised"))
    follow_up_at = models.DateTimeField(_("follow up at"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["contacted_at", "id"]
        verbose_name = _("carrier contact")
        verbose_name_plural = _("carrier contacts")

    def __str__(self):
        return f"{self.contacted_at:%Y-%m-%d %H:%M} {self.outlet} {self.contact_name}"


class CustomerContact(models.Model):
    """A call to the customer about an alert and its outcome."""

    class Outcome(models.TextChoices):
        INFORMED = "informed", _("Reached, informed and reassured")
        RESCHEDULED = "rescheduled", _("Reached, delivery rearranged")
        WANTS_COMPENSATION = "wants_compensation", _("Reached, asks for compensation")
        WANTS_REFUND = "wants_refund", _("Reached, wants to cancel or refund")
        NO_ANSWER = "no_answer", _("No answer")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="customer_contacts")
    called_at = models.DateTimeField(_("called at"))
    outcome = models.CharField(_("outcome"), max_length=30, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["called_at", "id"]
        verbose_name = _("customer contact")
        verbose_name_plural = _("customer contacts")

    def __str__(self):
        return f"{self.called_at:%Y-%m-%d %H:%M} {self.get_outcome_display()}"


class Compensation(models.Model):
    """Compensation offered to a customer; above the offerer's limit it waits for approval."""

    class Kind(models.TextChoices):
        COUPON = "coupon", _("Coupon")
        CASH = "cash", _("Cash")
        GIFT = "gift", _("Gift")

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="compensations")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=10, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("offered by"))
    offered_at = models.DateTimeField(_("offered at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["offered_at", "id"]
        verbose_name = _("compensation")
        verbose_name_plural = _("compensations")

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} CNY ({self.get_status_display()})"


class Dispatch(models.Model):
    """An own-vehicle delivery: the merchant fetches the parcel from the carrier's outlet and brings it
    to the customer (planned -> picked up -> delivered / failed). Its delivery is the parcel's
    delivery (a tracking event with source merchant delivery); its cost is its own ledger."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        PICKED_UP = "picked_up", _("Picked up")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="dispatches",
                                 verbose_name=_("shipment"))
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="dispatches",
                              verbose_name=_("alert"))
    # The installation job the delivery is for (a plain id, as on the alert).
    installation_job_id = models.PositiveBigIntegerField(_("installation job"), null=True, blank=True,
                                                         db_index=True)
    driver = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("driver"))
    driver_name = models.CharField(_("driver's name"), max_length=100, blank=True)
    driver_phone = models.CharField(_("driver's phone"), max_length=30, blank=True)
    outlet = models.CharField(_("outlet"), max_length=100, blank=True)
    planned_pickup = models.DateTimeField(_("planned pick-up"))
    planned_dropoff = models.DateTimeField(_("planned drop-off"))
    cost = models.DecimalField(_("cost (CNY)"), max_digits=10, decimal_places=2, default=Decimal("0"),
                               validators=[MinValueValidator(Decimal("0"))])
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    picked_up_at = models.DateTimeField(_("picked up at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    recipient = models.CharField(_("recipient"), max_length=100, blank=True)
    # Private storage (not under MEDIA_URL); served by a permission-checked view.
    photo = models.FileField(_("proof photo"), upload_to="dispatches/%Y/%m/", blank=True,
                             storage=private_storage)
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One dispatch under way per parcel.
            models.UniqueConstraint(fields=["shipment"], condition=Q(status__in=["planned", "picked_up"]),
                                    name="logistics_one_active_dispatch"),
        ]
        verbose_name = _("own delivery")
        verbose_name_plural = _("own deliveries")

    def __str__(self):
        return f"#{self.pk} {self.shipment}"

    @property
    def driver_label(self) -> str:
        if self.driver_id and self.driver:
            return person_name(self.driver)
        return self.driver_name
