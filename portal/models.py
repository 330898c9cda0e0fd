"""Core model: stores, teams (the org chart), memberships with roles, user profiles, product lines,
notifications, the outbound feed to the marketplace, and the audit of personal-data reveals."""

import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from portal.roles import Role


class Store(models.Model):
    """A shop of a brand on a marketplace (e.g. a Tmall flagship store)."""

    class Marketplace(models.TextChoices):
        TMALL = "tmall", _("Tmall")
        TAOBAO = "taobao", _("Taobao")
        JD = "jd", _("JD.com")
        DOUYIN = "douyin", _("Douyin")
        OTHER = "other", _("Other")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    marketplace = models.CharField(_("marketplace"), max_length=20, choices=Marketplace.choices)
    brand = models.CharField(_("brand"), max_length=200)
    # Where the marketplace integration receives the outbound feed (replies, refund decisions);
    # empty: the integration polls the feed instead.
    outbound_webhook_url = models.URLField(_("outbound webhook URL"), blank=True)
    outbound_webhook_secret = models.CharField(
        _("outbound webhook secret"), max_length=100, blank=True,
        help_text=_("Signs each webhook body (HMAC-SHA256) so the receiver can tell it came from the portal."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("store")
        verbose_name_plural = _("stores")

    def __str__(self):
        return self.name


def in_language(zh: str, en: str, language: str | None = None) -> str:
    """The text of bilingual data (reason codes, badges, certifications) in `language` (default:
    the active one): Chinese for `zh-*`, English otherwise; the other text when one is empty."""
    language = (language or get_language() or "zh-hans").lower()
    first, second = (zh, en) if language.startswith("zh") else (en, zh)
    return first or second


class BilingualName(models.Model):
    """A name kept in both of the portal's languages; `name` is the one for the reader."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return in_language(self.name_zh, self.name_en)


class ProductLine(BilingualName):
    """A family of products the brands sell (drying racks, e-bikes). Installation products, return
    policies, the refund rulebook, training scenarios and score breakdowns are kept per line."""

    code = models.SlugField(_("code"), max_length=40, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")


class Team(models.Model):
    """A team of the org chart; `parent` makes the chart (lead -> manager -> director above)."""

    class Kind(models.TextChoices):
        CUSTOMER_SERVICE = "customer_service", _("Customer service")
        REFUND_DESK = "refund_desk", _("Refund desk")
        LOGISTICS = "logistics", _("Logistics")
        INSTALLATION = "installation", _("Installation")
        TRAINING = "training", _("Training")
        MANAGEMENT = "management", _("Management")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent team"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    stores = models.ManyToManyField(Store, verbose_name=_("stores"), blank=True, related_name="teams")
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams", verbose_name=_("members")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self):
        return self.name

    def ancestors(self):
        """Teams above this one, nearest first (the escalation path up the org chart)."""
        chain, seen, team = [], {self.pk}, self.parent
        while team is not None and team.pk not in seen:
            chain.append(team)
            seen.add(team.pk)
            team = team.parent
        return chain


class Membership(models.Model):
    """A user's place in a team, with the role they hold there."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    is_available = models.BooleanField(
        _("available for assignment"), default=True,
        help_text=_("Round-robin assignment skips members who are away."),
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="unique_membership")]
        ordering = ["team__name", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.user} @ {self.team} ({self.get_role_display()})"


class Profile(models.Model):
    """Contact details the notification channels need."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    phone = models.CharField(_("mobile phone"), max_length=30, blank=True)
    # The language of the user's pages, e-mail and SMS.
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self):
        return str(self.user)


class NotificationQuerySet(models.QuerySet):
    def unread_inbox(self, user):
        return self.filter(recipient=user, channel=Notification.Channel.IN_APP, read_at__isnull=True)

    def claimable(self, now, stale_before, untried_before=None):
        """Pending rows whose time has come; claimed rows whose send never started once their claim is
        older than `untried_before` (their dispatcher died or is slow: sending them is safe, a send
        starts only under the claim that holds the row); and rows whose send started under a claim
        older than `stale_before` (a crash between sending and marking)."""
        untried_before = untried_before or now
        return self.filter(
            Q(status=Notification.Status.PENDING, next_attempt_at__lte=now)
            | Q(status=Notification.Status.SENDING, send_started_at__isnull=True, claimed_at__lt=untried_before)
            | Q(status=Notification.Status.SENDING, send_started_at__lt=stale_before)
        )


class Notification(models.Model):
    """One message to one recipient over one channel: the outbox row.

    Written in the same transaction as the event that causes it; the dispatcher delivers it.
    `idempotency_key` is sent to the gateway with every attempt so a retry after a crash between
    sending and marking is recognised as the same message.
    """

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In-app")
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS / phone push")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Unknown (check by hand)")

    # A user; or, for an SMS to someone without an account (a customer), none and `to_phone`.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications",
        verbose_name=_("recipient"),
    )
    to_phone = models.CharField(_("to phone"), max_length=30, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # What the message says: a key of the message registry (`portal.notifications.message`) and
    # its parameters, rendered in the reader's language whenever it is shown or sent. `subject`
    # and `body` keep a rendering in the site's language (search, admin) and are what older rows
    # without a key show.
    message_key = models.CharField(_("message key"), max_length=100, blank=True)
    params = models.JSONField(_("message parameters"), default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    # What caused it, e.g. "escalation:42"; lets a domain show delivery status next to its event.
    source = models.CharField(_("source"), max_length=100, blank=True, db_index=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    # When the send of the current claim began: a row with none was never tried under its claim.
    send_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "channel", "read_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | (Q(channel="sms") & ~Q(to_phone="")),
                name="portal_notification_has_recipient",
            ),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient or self.to_phone}: {self.subject}"


class PiiAccess(models.Model):
    """One disclosure of a customer's personal data (`portal.pii`): who saw which field of which
    object, when, and from which page or API call. Written by the reveal and by the payloads served
    to integration clients; never changed. The object's store is kept for scoping."""

    class Channel(models.TextChoices):
        PAGE = "page", _("Page")
        ADMIN = "admin", _("Admin")
        API = "api", _("API")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="pii_accesses",
    )
    content_type = models.ForeignKey(ContentType, verbose_name=_("object type"), on_delete=models.PROTECT,
                                     related_name="+")
    object_id = models.PositiveBigIntegerField(_("object id"))
    store = models.ForeignKey(Store, verbose_name=_("store"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    field = models.CharField(_("field"), max_length=60)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    source = models.CharField(_("page or API call"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"]), models.Index(fields=["at"]),
                   models.Index(fields=["user", "at"])]
        verbose_name = _("personal-data access")
        verbose_name_plural = _("personal-data accesses")

    def __str__(self):
        return f"{self.user} → {self.content_type.model} #{self.object_id}.{self.field} @ {self.at:%Y-%m-%d %H:%M}"


class OutboundMessage(models.Model):
    """One message from the portal back to the marketplace (a public reply to the buyer, a refund
    decision): the outbound feed's row, written in the same transaction as the event that causes it.

    Integrations either receive it on the store's outbound webhook (delivered with retries and the
    `idempotency_key` as `Idempotency-Key`) or poll `GET /api/v1/<topic's feed>/outbound/?since=`,
    whose cursor is the row id. `payload` is exactly the JSON body the webhook sends."""

    class Topic(models.TextChoices):
        CHAT_REPLY = "chat_reply", _("Reply to the buyer")
        REFUND_DECISION = "refund_decision", _("Refund decision")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    store = models.ForeignKey(Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    topic = models.CharField(_("topic"), max_length=30, choices=Topic.choices)
    payload = models.JSONField(_("payload"))
    # What caused it, e.g. "chat_message:42" or "refund:7"; lets a page show the delivery state.
    source = models.CharField(_("source"), max_length=100, db_index=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED,
                              db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["topic", "store", "id"])]
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")

    def __str__(self):
        return f"{self.get_topic_display()} #{self.pk} ({self.get_status_display()})"


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now):
        """Neither revoked nor expired at `now`."""
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class ApiToken(models.Model):
    """One named API key of a client (`Authorization: Token <key>`).

    Only the SHA-256 digest of the key is stored (the key is 160 random bits, so a slow password
    hash adds nothing); the key itself is shown once, by `manage.py create_api_token`. A client may
    hold several named tokens; each may expire and may be revoked (admin action or
    `manage.py revoke_api_token`). See portal/tokens.py.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens",
                             verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("key starts with"), max_length=8)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["user_id", "name", "-created_at"]
        constraints = [
            # One usable token per name and client; revoked ones stay as history.
            models.UniqueConstraint(fields=["user", "name"], condition=Q(revoked_at__isnull=True),
                                    name="portal_apitoken_one_active_per_name"),
        ]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.user} · {self.name} ({self.prefix}…)"


def _no_kinds():
    return []


class IntegrationClient(models.Model):
    """An API-only integration account (`portal.integrations`): its kinds decide which write
    endpoints its tokens reach, its stores which stores it may write for."""

    class Kind(models.TextChoices):
        MARKETPLACE_CHAT = "marketplace_chat", _("Marketplace chat")
        MARKETPLACE_REFUNDS = "marketplace_refunds", _("Marketplace refunds")
        CARRIER_FEED = "carrier_feed", _("Carrier feed")
        INSTALLATION_PARTNER = "installation_partner", _("Installation partner")
        STOREFRONT = "storefront", _("Storefront")
        OFFICIAL_SCORES = "official_scores", _("Official scores feed")
        LEARNING_RECORDS = "learning_records", _("Learning-record store")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("API user"), on_delete=models.CASCADE,
                                related_name="integration_client")
    name = models.CharField(_("name"), max_length=100)
    kinds = models.JSONField(_("kinds"), default=_no_kinds, blank=True,
                             help_text=_("What this client sends: each kind opens its endpoints."))
    stores = models.ManyToManyField(Store, verbose_name=_("stores"), blank=True, related_name="integration_clients")

    class Meta:
        ordering = ["name"]
        verbose_name = _("integration client")
        verbose_name_plural = _("integration clients")

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if not isinstance(self.kinds, list) or any(kind not in self.Kind.values for kind in self.kinds):
            raise ValidationError({"kinds": _("Choose kinds from the list.")})
