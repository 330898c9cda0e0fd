"""The refund desk: marketplace refund requests on their own clock, return policies and eligibility,
"see goods, then refund" holds, the responsibility rulebook, decisions (with approval above a
limit), evidence files and disputes.

A request arrives from the marketplace (`POST /api/v1/refunds/`), gets a ticket in the store's
refund desk queue with a wall-clock deadline, is checked against the store's return policy, held
until the returned goods are back if it must be, and decided by a refund specialist (or, above
their limit, approved by a manager). The decision goes back to the marketplace through the
outbound feed. A rejected request may be contested on the platform with an evidence pack; the
platform's ruling closes it. Every step is a `RefundEvent` on the request's timeline, written by
refunds/services.py.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from logistics.storage import private_storage
from portal.inputs import in_year_range, year_range_message
from portal.models import in_language

__all__ = [
    "EvidenceFile",
    "EvidenceKind",
    "ExclusionFlag",
    "Party",
    "ReasonCode",
    "RefundDecision",
    "RefundDeskSettings",
    "RefundEvent",
    "RefundRequest",
    "ResponsibilityRule",
    "ReturnPolicy",
    "RuleOutcome",
]

MONEY = {"max_digits": 12, "decimal_places": 2}
# Configured hours and days are added to times (a deadline, a return window): beyond these bounds a
# date would overflow and every request of the store would fail.
MAX_HOURS = 24 * 366
MAX_WINDOW_DAYS = 3660


class Party(models.TextChoices):
    """Who is responsible in a dispute (the rulebook) or who won it (the platform's ruling)."""

    MERCHANT = "merchant", _("Merchant")
    BUYER = "buyer", _("Buyer")
    CARRIER = "carrier", _("Carrier")
    INSTALLER = "installer", _("Installer")
    SHARED = "shared", _("Shared")


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    VIDEO = "video", _("Video")
    DOCUMENT = "document", _("Document")
    BATTERY_LOG = "battery_log", _("Battery log")
    CHAT_SCREENSHOT = "chat_screenshot", _("Chat screenshot")
    OTHER = "other", _("Other")


class ExclusionFlag(models.TextChoices):
    """Conditions of the goods an agent ticks on a request; a policy may exclude goods with them."""

    ACTIVATED = "activated", _("Activated (e-bike registered or ridden)")
    USED = "used", _("Used beyond inspection")
    CUSTOMISED = "customised", _("Made to order")
    PARTS_MISSING = "parts_missing", _("Parts or packaging missing")


class RuleOutcome(models.TextChoices):
    FULL_REFUND = "full_refund", _("Full refund")
    PARTIAL_REFUND = "partial_refund", _("Partial refund")
    REJECT = "reject", _("Reject")
    REPAIR = "repair", _("Repair")


class ReasonCode(models.Model):
    """Why the buyer asks for a refund, as the marketplace integration names it (data, bilingual)."""

    class Category(models.TextChoices):
        DELIVERY = "delivery", _("Delivery")
        QUALITY = "quality", _("Quality")
        DESCRIPTION = "description", _("Description")
        INSTALLATION = "installation", _("Installation")
        BUYER = "buyer", _("Buyer's own reasons")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("refund reason")
        verbose_name_plural = _("refund reasons")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return in_language(self.name_zh, self.name_en)


class RefundDeskSettings(models.Model):
    """A store's refund desk configuration: default deadlines when the platform sends none, the
    refund specialist's approval limit, the receipt-to-refund clock and evidence size limits."""

    store = models.OneToOneField("portal.Store", on_delete=models.CASCADE, related_name="refund_settings",
                                 verbose_name=_("store"))
    refund_only_hours = models.PositiveIntegerField(
        _("refund-only deadline (hours)"), default=48, validators=[MinValueValidator(1)],
        help_text=_("Used when the platform sends no respond-by time."))
    return_hours = models.PositiveIntegerField(
        _("return deadline (hours)"), default=120, validators=[MinValueValidator(1)],
        help_text=_("Return-and-refund and exchange requests, when the platform sends no respond-by time."))
    refund_after_receipt_hours = models.PositiveIntegerField(
        _("refund within (hours of receiving the goods)"), default=24, validators=[MinValueValidator(1)])
    specialist_limit = models.DecimalField(
        _("refund specialist's approval limit (yuan)"), default=Decimal("2000.00"), **MONEY,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Decisions refunding more wait for a manager's approval."))
    max_file_bytes = models.PositiveIntegerField(_("largest evidence file (bytes)"), default=20 * 1024 * 1024)
    max_request_bytes = models.PositiveIntegerField(_("evidence per request (bytes)"), default=100 * 1024 * 1024)
    queue = models.ForeignKey("tickets.Queue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("refund desk queue"),
                              help_text=_("Empty: the default queue of the store's refund desk team."))

    class Meta:
        verbose_name = _("refund desk settings")
        verbose_name_plural = _("refund desk settings")

    def __str__(self):
        return str(self.store)

    def clean(self):
        errors = {name: _("At most %(n)s hours.") % {"n": MAX_HOURS}
                  for name in ("refund_only_hours", "return_hours", "refund_after_receipt_hours")
                  if (getattr(self, name) or 0) > MAX_HOURS}
        if errors:
            raise ValidationError(errors)


def _check_choices(value, choices, field: str):
    """A JSON list field holding values of `choices` only: anything else is a ValidationError on
    `field` (the domain code looks each value up and would fail on an unknown one)."""
    if not isinstance(value, list) or any(not isinstance(item, str) or item not in choices.values for item in value):
        raise ValidationError({field: _("A list of these values: %(values)s.") % {
            "values": ", ".join(choices.values)}})


class ReturnPolicy(models.Model):
    """A store's return promise for a period, optionally narrowed to a product line or category.

    The window counts days from the delivery date of the order's parcel."""

    class ShippingPaidBy(models.TextChoices):
        MERCHANT = "merchant", _("Merchant")
        BUYER = "buyer", _("Buyer")
        SHARED = "shared", _("Shared")

    store = models.ForeignKey("portal.Store", on_delete=models.CASCADE, related_name="return_policies",
                              verbose_name=_("store"))
    code = models.SlugField(_("code"), max_length=40)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    active_from = models.DateField(_("active from"))
    active_to = models.DateField(_("active until"), null=True, blank=True)
    product_line = models.ForeignKey("portal.ProductLine", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="return_policies", verbose_name=_("product line"))
    product_category = models.CharField(_("product category"), max_length=100, blank=True)
    window_days = models.PositiveIntegerField(_("return window (days from delivery)"),
                                              validators=[MinValueValidator(1)])
    conditions = models.TextField(_("conditions"), blank=True)
    excluded_flags = models.JSONField(_("excluded conditions"), default=list, blank=True,
                                      help_text=_("Goods with any of these conditions are not covered."))
    excluded_product_lines = models.ManyToManyField("portal.ProductLine", blank=True, related_name="+",
                                                    verbose_name=_("excluded product lines"))
    return_shipping_paid_by = models.CharField(_("return shipping paid by"), max_length=10,
                                               choices=ShippingPaidBy.choices, default=ShippingPaidBy.BUYER)
    backs_badge = models.BooleanField(_("backs a storefront badge"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["store", "code"]
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="refunds_unique_policy_code")]
        verbose_name = _("return policy")
        verbose_name_plural = _("return policies")

    def __str__(self):
        return self.name

    def clean(self):
        if self.excluded_flags is None:  # an empty (or "null") admin field: no excluded conditions
            self.excluded_flags = []
        _check_choices(self.excluded_flags, ExclusionFlag, "excluded_flags")
        errors = {}
        if self.window_days is not None and self.window_days > MAX_WINDOW_DAYS:
            errors["window_days"] = _("At most %(n)s days.") % {"n": MAX_WINDOW_DAYS}
        for name in ("active_from", "active_to"):
            if getattr(self, name) is not None and not in_year_range(getattr(self, name)):
                errors[name] = year_range_message(dates=True)
        if errors:
            raise ValidationError(errors)

    @property
    def name(self) -> str:
        return in_language(self.name_zh, self.name_en)


class ResponsibilityRule(models.Model):
    """One line of the responsibility rulebook: in this scenario of this product line, who is
    responsible and what the default outcome is, and which evidence contesting requires."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    product_line = models.ForeignKey("portal.ProductLine", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="responsibility_rules", verbose_name=_("product line"))
    reasons = models.ManyToManyField(ReasonCode, blank=True, related_name="rules", verbose_name=_("reasons"),
                                     help_text=_("The rule is suggested for requests with one of these reasons."))
    scenario_zh = models.CharField(_("scenario (Chinese)"), max_length=300)
    scenario_en = models.CharField(_("scenario (English)"), max_length=300, blank=True)
    responsible_party = models.CharField(_("responsible party"), max_length=10, choices=Party.choices)
    outcome = models.CharField(_("default outcome"), max_length=20, choices=RuleOutcome.choices)
    depreciation_percent = models.DecimalField(
        _("depreciation (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))])
    fixed_fee = models.DecimalField(_("fixed fee (yuan)"), null=True, blank=True, **MONEY,
                                    validators=[MinValueValidator(Decimal("0"))])
    required_evidence = models.JSONField(_("evidence required to contest"), default=list, blank=True)
    claim_against_carrier = models.BooleanField(_("claim against the carrier"), default=False)
    within_days_of_delivery = models.PositiveIntegerField(
        _("applies within (days of delivery)"), null=True, blank=True,
        help_text=_("Empty: at any time."))
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("responsibility rule")
        verbose_name_plural = _("responsibility rules")

    def __str__(self):
        return f"{self.code} · {self.scenario}"

    def clean(self):
        if self.required_evidence is None:  # an empty (or "null") admin field: no evidence required
            self.required_evidence = []
        _check_choices(self.required_evidence, EvidenceKind, "required_evidence")

    @property
    def scenario(self) -> str:
        return in_language(self.scenario_zh, self.scenario_en)


class RefundRequest(models.Model):
    """One refund, return or exchange request from the marketplace, keyed by the store and the
    platform's request id (the idempotency key of `POST /api/v1/refunds/`)."""

    class Kind(models.TextChoices):
        REFUND_ONLY = "refund_only", _("Refund only")
        RETURN_AND_REFUND = "return_and_refund", _("Return and refund")
        EXCHANGE = "exchange", _("Exchange")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        AWAITING_RETURN = "awaiting_return", _("Awaiting return")
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        DECIDED = "decided", _("Decided")
        DISPUTED = "disputed", _("Disputed")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve (full refund)")
        PARTIAL = "partial", _("Partial refund")
        REJECT = "reject", _("Reject (contest)")
        EXCHANGE = "exchange", _("Exchange")

    class Ruling(models.TextChoices):
        MERCHANT = "merchant", _("For the merchant")
        BUYER = "buyer", _("For the buyer")
        SPLIT = "split", _("Split")

    class ReceivedVia(models.TextChoices):
        PARCEL = "parcel", _("Return parcel delivered")
        MANUAL = "manual", _("Recorded by hand")

    UNDECIDED = [Status.OPEN, Status.AWAITING_RETURN, Status.AWAITING_APPROVAL]

    store = models.ForeignKey("portal.Store", on_delete=models.PROTECT, related_name="refund_requests",
                              verbose_name=_("store"))
    platform_request_id = models.CharField(_("platform request id"), max_length=64)
    order_no = models.CharField(_("order number"), max_length=64, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("amount requested (yuan)"), **MONEY)
    order_amount = models.DecimalField(_("order amount (yuan)"), null=True, blank=True, **MONEY)
    reason = models.ForeignKey(ReasonCode, on_delete=models.PROTECT, related_name="requests",
                               verbose_name=_("reason"))
    buyer_statement = models.TextField(_("buyer's statement"), blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    respond_by = models.DateTimeField(_("respond by"), db_index=True)
    respond_by_from_platform = models.BooleanField(_("deadline set by the platform"), default=True)
    goods_shipped = models.BooleanField(_("goods shipped"), default=False)
    return_waybill = models.CharField(_("return waybill"), max_length=40, blank=True)
    return_carrier = models.CharField(_("return carrier"), max_length=20, blank=True)
    product_sku = models.CharField(_("product SKU"), max_length=64, blank=True)
    product_line = models.ForeignKey("portal.ProductLine", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="refund_requests", verbose_name=_("product line"))
    flags = models.JSONField(_("condition of the goods"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN,
                              db_index=True)
    # The linked ticket (tickets is below refunds: a real foreign key).
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="refund_requests", verbose_name=_("ticket"))

    # Eligibility, computed when the request arrives (and again when the agent ticks a condition).
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    eligible = models.BooleanField(_("eligible"), null=True, blank=True)
    policy = models.ForeignKey(ReturnPolicy, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="requests", verbose_name=_("return policy"))
    window_ends = models.DateField(_("return window ends"), null=True, blank=True)
    eligibility_reason = models.CharField(_("eligibility"), max_length=300, blank=True)

    # "See goods, then refund": held until the returned goods are back.
    return_shipment = models.ForeignKey("logistics.Shipment", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="refund_requests", verbose_name=_("return parcel"))
    goods_received_at = models.DateTimeField(_("goods received at"), null=True, blank=True)
    goods_received_via = models.CharField(_("goods received via"), max_length=10, choices=ReceivedVia.choices,
                                          blank=True)
    goods_received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="+",
                                          verbose_name=_("goods received recorded by"))
    refund_due_at = models.DateTimeField(_("refund due (after receipt)"), null=True, blank=True)
    # When the desk was told that the refund-after-receipt time passed (the reminder sweep, once).
    refund_due_reminded_at = models.DateTimeField(_("reminded of the refund due"), null=True, blank=True)

    # The rulebook and the decision in force.
    suggested_rule = models.ForeignKey(ResponsibilityRule, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+", verbose_name=_("suggested rule"))
    rule = models.ForeignKey(ResponsibilityRule, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="requests", verbose_name=_("rule applied"))
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    refund_amount = models.DecimalField(_("amount refunded (yuan)"), null=True, blank=True, **MONEY)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("decided by"))
    # Seconds from receipt (`requested_at`) to the decision in force: the metrics' median in SQL.
    decision_seconds = models.PositiveIntegerField(_("seconds to decision"), null=True, blank=True)

    # The dispute on the platform and its ruling.
    dispute_submitted_on = models.DateField(_("dispute submitted on"), null=True, blank=True)
    ruling = models.CharField(_("platform ruling"), max_length=10, choices=Ruling.choices, blank=True)
    ruling_amount = models.DecimalField(_("refund under the ruling (yuan)"), null=True, blank=True, **MONEY)
    ruling_note = models.TextField(_("ruling note"), blank=True)
    ruled_at = models.DateTimeField(_("ruling recorded at"), null=True, blank=True)

    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["respond_by", "id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "platform_request_id"], name="refunds_unique_platform_request"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refunds_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "respond_by"], name="refunds_status_deadline_idx"),
            models.Index(fields=["store", "order_no"], name="refunds_store_order_idx"),
            models.Index(fields=["requested_at"], name="refunds_requested_idx"),  # the metrics' period
            # Counting a status in the caller's stores from the index alone (the API list's count).
            models.Index(fields=["status", "store"], name="refunds_status_store_idx"),
        ]
        permissions = [
            ("decide_refundrequest", "Can decide refund requests within the approval limit"),
            ("approve_refundrequest", "Can approve refund decisions above the limit"),
            ("dispute_refundrequest", "Can record disputes and platform rulings"),
        ]
        verbose_name = _("refund request")
        verbose_name_plural = _("refund requests")

    def __str__(self):
        return f"#{self.pk} {self.order_no} ({self.get_kind_display()})"

    @property
    def is_undecided(self) -> bool:
        return self.status in self.UNDECIDED


class RefundDecision(models.Model):
    """A decision taken or proposed on a request: in force at once within the decider's limit, or
    waiting for an approver above it (then approved or declined)."""

    class Status(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        IN_FORCE = "in_force", _("In force")
        DECLINED = "declined", _("Declined")

    request = models.ForeignKey(RefundRequest, on_delete=models.CASCADE, related_name="decisions",
                                verbose_name=_("refund request"))
    decision = models.CharField(_("decision"), max_length=10, choices=RefundRequest.Decision.choices)
    amount = models.DecimalField(_("amount refunded (yuan)"), **MONEY)
    rule = models.ForeignKey(ResponsibilityRule, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("rule"))
    calculation = models.CharField(_("calculation"), max_length=300, blank=True)
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("approved by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request"], condition=Q(status="awaiting_approval"),
                                    name="refunds_one_pending_decision"),
        ]
        verbose_name = _("refund decision")
        verbose_name_plural = _("refund decisions")

    def __str__(self):
        return f"#{self.request_id} {self.get_decision_display()} {self.amount}"


class RefundEvent(models.Model):
    """One entry of a request's timeline."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Received")
        CHANGED = "changed", _("Changed by the platform")
        CANCELLED = "cancelled", _("Cancelled")
        ELIGIBILITY = "eligibility", _("Eligibility")
        HOLD = "hold", _("Held for the return")
        RECEIVED = "received", _("Goods received")
        PROPOSED = "proposed", _("Decision awaiting approval")
        DECIDED = "decided", _("Decided")
        DECLINED = "declined", _("Decision declined")
        EVIDENCE = "evidence", _("Evidence")
        DISPUTE = "dispute", _("Dispute submitted")
        RULING = "ruling", _("Platform ruling")
        CLOSED = "closed", _("Closed")
        NOTE = "note", _("Note")
        REFUND_OVERDUE = "refund_overdue", _("Refund after receipt overdue")

    request = models.ForeignKey(RefundRequest, on_delete=models.CASCADE, related_name="events",
                                verbose_name=_("refund request"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("by"))
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("refund event")
        verbose_name_plural = _("refund events")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"


def evidence_path(instance, filename):
    return f"refunds/{instance.request_id}/{filename}"


class EvidenceFile(models.Model):
    """An uploaded evidence file (its type decided by its content), kept in private storage."""

    request = models.ForeignKey(RefundRequest, on_delete=models.CASCADE, related_name="evidence",
                                verbose_name=_("refund request"))
    kind = models.CharField(_("kind"), max_length=20, choices=EvidenceKind.choices)
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=300,
                            storage=private_storage)
    thumbnail = models.FileField(_("thumbnail"), upload_to=evidence_path, max_length=300, blank=True,
                                 storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64, editable=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self):
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
