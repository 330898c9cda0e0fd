"""Installation tracking: products that need installing, installation partners, jobs and their nodes.

A job moves through nodes (requested → scheduled → dispatched → on site → completed, or failed /
rescheduled / cancelled); every move is an `InstallationEvent` with its time, actor and note, written
by installation/services.py, which also holds the state machine (`TRANSITIONS`). SLA alerts
(`InstallationAlert`) are opened and closed by the set-based scan in the same module.

These models lived in the logistics app until migration installation 0001 moved them here (state
only, tables renamed); their constraint and index names keep the `logistics_` prefix they were
created with.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = [
    "InstallationAlert",
    "InstallationAlertKind",
    "InstallationEvent",
    "InstallationJob",
    "InstallationNode",
    "InstallationPartner",
    "InstallationTicketLink",
    "Product",
]

# Product SLA hours are added to delivery and appointment times: more would overflow the date.
MAX_SLA_HOURS = 24 * 366


class Product(models.Model):
    """A store's product (SKU) as shipments name it, and whether and how fast it must be installed."""

    store = models.ForeignKey("portal.Store", on_delete=models.CASCADE, related_name="products",
                              verbose_name=_("store"))
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    product_line = models.ForeignKey("portal.ProductLine", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="products", verbose_name=_("product line"))
    needs_installation = models.BooleanField(_("needs installation"), default=False)
    booking_sla_hours = models.PositiveIntegerField(
        _("appointment booked within (hours after delivery)"), default=48, validators=[MinValueValidator(1)])
    completion_sla_hours = models.PositiveIntegerField(
        _("installed within (hours after the appointment starts)"), default=24, validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["store", "sku"]
        constraints = [models.UniqueConstraint(fields=["store", "sku"], name="logistics_unique_product_sku")]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self):
        return f"{self.sku} {self.name}"

    def clean(self):
        # The hours are added to delivery and appointment times (in the carriers' ingest too): a
        # bigger number would overflow the date and fail every delivery of the product.
        errors = {name: _("At most %(n)s hours.") % {"n": MAX_SLA_HOURS}
                  for name in ("booking_sla_hours", "completion_sla_hours") if (getattr(self, name) or 0) > MAX_SLA_HOURS}
        if errors:
            raise ValidationError(errors)


class InstallationPartner(models.Model):
    """Who installs: the marketplace's installation service or the brand's own installers.

    `users` are the partner's API accounts (integration role): a partner token sees and changes only
    the jobs assigned to its partner."""

    class Kind(models.TextChoices):
        MARKETPLACE = "marketplace", _("Marketplace installation service")
        BRAND = "brand", _("Brand's own installers")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.MARKETPLACE)
    stores = models.ManyToManyField("portal.Store", blank=True, related_name="installation_partners",
                                    verbose_name=_("stores served"))
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="installation_partners",
                                   verbose_name=_("API users"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("installation partner")
        verbose_name_plural = _("installation partners")

    def __str__(self):
        return self.name


class InstallationNode(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    SCHEDULED = "scheduled", _("Scheduled")
    DISPATCHED = "dispatched", _("Dispatched")
    ON_SITE = "on_site", _("On site")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    CANCELLED = "cancelled", _("Cancelled")


class InstallationJobQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(node__in=[InstallationNode.COMPLETED, InstallationNode.CANCELLED])

    def overdue(self, now):
        """Open jobs past one of their SLA times (booking, on site by the window's end, completion)."""
        waiting = [InstallationNode.SCHEDULED, InstallationNode.RESCHEDULED, InstallationNode.DISPATCHED]
        return self.open().filter(
            Q(node=InstallationNode.REQUESTED, booking_due_at__lt=now)
            | Q(node__in=waiting, appointment_end__lt=now)
            | Q(completion_due_at__lt=now)
        )


class InstallationJob(models.Model):
    """One product to install at one customer's address, and where its installation stands."""

    Node = InstallationNode

    store = models.ForeignKey("portal.Store", on_delete=models.PROTECT, related_name="installation_jobs",
                              verbose_name=_("store"))
    order_number = models.CharField(_("order number"), max_length=64, blank=True, db_index=True)
    shipment = models.ForeignKey("logistics.Shipment", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="installation_jobs", verbose_name=_("shipment"))
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="installation_jobs", verbose_name=_("product"))
    customer_name = models.CharField(_("customer"), max_length=100, blank=True)
    customer_phone = models.CharField(_("customer phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    partner = models.ForeignKey(InstallationPartner, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="jobs", verbose_name=_("installation partner"))
    technician_name = models.CharField(_("technician"), max_length=100, blank=True)
    technician_phone = models.CharField(_("technician phone"), max_length=30, blank=True)
    appointment_start = models.DateTimeField(_("appointment from"), null=True, blank=True)
    appointment_end = models.DateTimeField(_("appointment until"), null=True, blank=True)
    node = models.CharField(_("node"), max_length=20, choices=InstallationNode.choices,
                            default=InstallationNode.REQUESTED)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    # SLA: the first appointment must be booked by booking_due_at (delivery/request + booking hours);
    # the installation must be done by completion_due_at (appointment start + completion hours).
    booking_due_at = models.DateTimeField(_("appointment to be booked by"), null=True, blank=True)
    booked_at = models.DateTimeField(_("first appointment booked at"), null=True, blank=True)
    completion_due_at = models.DateTimeField(_("to be installed by"), null=True, blank=True)
    on_site_at = models.DateTimeField(_("technician on site at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    visits = models.PositiveSmallIntegerField(_("visits"), default=0)
    customer_confirmed = models.BooleanField(_("confirmed by the customer"), default=False)
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"), db_index=True)

    objects = InstallationJobQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One job per product in a parcel: the delivery hook may run twice for the same parcel.
            models.UniqueConstraint(fields=["shipment", "product"], condition=Q(shipment__isnull=False),
                                    name="logistics_one_job_per_parcel_product"),
        ]
        indexes = [models.Index(fields=["store", "order_number"], name="logistics_job_order_idx"),
                   models.Index(fields=["node", "booking_due_at"], name="logistics_job_node_idx")]
        permissions = [
            ("progress_installationjob", "Can record installation job events"),
            ("view_customer_installationjob", "Can see the installation customer's contact details unmasked"),
        ]
        verbose_name = _("installation job")
        verbose_name_plural = _("installation jobs")

    def __str__(self):
        return f"#{self.pk} {self.product.sku if self.product_id else ''} {self.order_number}".strip()

    @property
    def is_open(self) -> bool:
        return self.node not in (InstallationNode.COMPLETED, InstallationNode.CANCELLED)


class InstallationEvent(models.Model):
    """One move of a job to a node: when it happened, who reported it (staff or partner), with what."""

    class Source(models.TextChoices):
        SYSTEM = "system", _("System")
        STAFF = "staff", _("Staff")
        PARTNER = "partner", _("Installation partner")
        # A note, not a move: a step of the parcel's own-vehicle delivery (node = the job's node then).
        LOGISTICS = "logistics", _("Own delivery")

    job = models.ForeignKey(InstallationJob, on_delete=models.CASCADE, related_name="events",
                            verbose_name=_("installation job"))
    node = models.CharField(_("node"), max_length=20, choices=InstallationNode.choices)
    from_node = models.CharField(_("from"), max_length=20, choices=InstallationNode.choices, blank=True)
    at = models.DateTimeField(_("time"))
    recorded_at = models.DateTimeField(_("recorded at"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.STAFF)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("by"))
    partner = models.ForeignKey(InstallationPartner, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("partner"))
    note = models.TextField(_("note"), blank=True)
    technician_name = models.CharField(_("technician"), max_length=100, blank=True)
    appointment_start = models.DateTimeField(_("appointment from"), null=True, blank=True)
    appointment_end = models.DateTimeField(_("appointment until"), null=True, blank=True)
    photos = models.JSONField(_("photos (URLs)"), default=list, blank=True)
    # Proof photos uploaded on the job page: names in private storage (installation/photos.py),
    # served only through the permission-checked photo view, each with a thumbnail.
    photo_files = models.JSONField(_("uploaded photos"), default=list, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # Idempotency: the client's own event id, unique per client (a partner, or a staff user).
    client_key = models.CharField(max_length=60, blank=True, editable=False)
    client_event_id = models.CharField(_("client event id"), max_length=100, blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["client_key", "client_event_id"], condition=~Q(client_event_id=""),
                                    name="logistics_unique_installation_client_event"),
        ]
        verbose_name = _("installation event")
        verbose_name_plural = _("installation events")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_node_display()}"


class InstallationAlertKind(models.TextChoices):
    BOOKING_OVERDUE = "booking_overdue", _("No appointment booked in time")
    NOT_ON_SITE = "not_on_site", _("Technician not on site by the end of the window")
    COMPLETION_OVERDUE = "completion_overdue", _("Not installed in time")


class InstallationAlert(models.Model):
    """A job that missed an SLA time. At most one open alert per job and kind (partial unique index)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    job = models.ForeignKey(InstallationJob, on_delete=models.CASCADE, related_name="alerts",
                            verbose_name=_("installation job"))
    kind = models.CharField(_("kind"), max_length=20, choices=InstallationAlertKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # The SLA time that was missed: a closed alert is not raised again for the same time.
    trigger_at = models.DateTimeField(_("due at"))
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    scan_token = models.CharField(max_length=32, blank=True, db_index=True, editable=False)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "kind"], condition=Q(status="open"),
                                    name="logistics_one_open_installation_alert"),
        ]
        verbose_name = _("installation alert")
        verbose_name_plural = _("installation alerts")

    def __str__(self):
        return f"{self.get_kind_display()} · #{self.job_id}"


class InstallationTicketLink(models.Model):
    """A ticket about a job (the tickets.Ticket id kept as a plain id, as when this model lived in
    the logistics app, which must not depend on the tickets app's migrations)."""

    job = models.ForeignKey(InstallationJob, on_delete=models.CASCADE, related_name="ticket_links",
                            verbose_name=_("installation job"))
    ticket_id = models.PositiveBigIntegerField(_("ticket"), db_index=True)
    linked_at = models.DateTimeField(_("linked at"))
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("linked by"))

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [models.UniqueConstraint(fields=["job", "ticket_id"], name="logistics_unique_job_ticket")]
        verbose_name = _("installation ticket link")
        verbose_name_plural = _("installation ticket links")

    def __str__(self):
        return f"#{self.job_id} ↔ ticket #{self.ticket_id}"
