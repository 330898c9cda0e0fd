"""Tickets: priorities and categories, the ticket with its SLA clock fields, and its timeline."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import Store
from tickets.models.queue import Queue


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


# Priorities in order, for "at least high" comparisons (escalation limits, raising priority).
PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


def priorities_at_least(priority) -> list[str]:
    """The priority values at or above `priority`."""
    return [p for p, rank in PRIORITY_RANK.items() if rank >= PRIORITY_RANK[priority]]


class Category(models.TextChoices):
    LOGISTICS = "logistics", _("Logistics")
    INSTALLATION = "installation", _("Installation")
    PRODUCT = "product", _("Product")
    REFUND = "refund", _("Refund")
    RETURN = "return", _("Return")
    DISPUTE = "dispute", _("Dispute")
    OTHER = "other", _("Other")


class TicketQuerySet(models.QuerySet):
    """Chainable domain filters: `Ticket.objects.open().breached(now).for_team(team)`."""

    def open(self):
        """Tickets still being worked (not resolved or closed)."""
        return self.filter(status__in=Ticket.OPEN_STATUSES)

    @staticmethod
    def running_q() -> Q:
        """Open tickets whose SLA clocks run (not paused), as a Q."""
        return Q(status__in=Ticket.OPEN_STATUSES, clock_paused_at__isnull=True)

    def clock_running(self):
        """Open tickets whose SLA clocks run (not paused)."""
        return self.filter(self.running_q())

    @staticmethod
    def _due_q(moment, lookup):
        return Q(first_response_at__isnull=True, **{f"first_response_due__{lookup}": moment}) | Q(
            **{f"resolution_due__{lookup}": moment}
        )

    @classmethod
    def breached_q(cls, now) -> Q:
        """The `breached(now)` condition as a Q, for conditional aggregates."""
        return cls.running_q() & cls._due_q(now, "lt")

    def breached(self, now):
        """Open, running tickets past a due time that has not been met."""
        return self.filter(self.breached_q(now))

    @classmethod
    def at_risk_q(cls, now, within: timedelta) -> Q:
        """The `at_risk(now, within)` condition as a Q, for conditional aggregates."""
        # The lower bound changes nothing (breached rows are excluded anyway) but lets the due-time
        # indexes answer with a range scan instead of reading every open ticket.
        return cls.running_q() & cls._due_q((now, now + within), "range") & ~cls._due_q(now, "lt")

    def at_risk(self, now, within: timedelta):
        """Open, running tickets not yet breached that will be within `within`."""
        return self.filter(self.at_risk_q(now, within))

    def due_before(self, moment):
        """Open, running tickets with an unmet due time before `moment`."""
        return self.clock_running().filter(self._due_q(moment, "lt"))

    def ever_breached(self, now):
        """Tickets that missed a target in any cycle, or are past due right now."""
        return self.filter(Q(sla_breached=True) | self.breached_q(now))

    def with_priority_rank(self):
        """Annotate `priority_order` (low 0 ... urgent 3) for ordering by priority."""
        return self.annotate(
            priority_order=models.Case(
                *[models.When(priority=p, then=models.Value(rank)) for p, rank in PRIORITY_RANK.items()],
                default=models.Value(1), output_field=models.IntegerField(),
            )
        )

    def for_team(self, team):
        team_id = getattr(team, "pk", team)
        return self.filter(queue__team_id=team_id)

    def for_store(self, store):
        return self.filter(store_id=getattr(store, "pk", store))

    def with_related(self):
        return self.select_related("store", "queue", "queue__team", "assignee", "sla_policy")


class Ticket(models.Model):
    """A work order: one customer issue owned by a person in a queue, with SLA clocks.

    SLA bookkeeping, exact (no rounding): `*_used_time` is the business time a clock spent before
    `sla_clock_started_at` (the start of the current running stretch), or in all while paused.
    A due time is the instant the clock passes its target, i.e. the last instant at which no more
    business time than the target is used (`business_deadline`); the clock is late exactly when
    more business time than the target is used, i.e. after its due time. Pausing adds the stretch
    to the used time; resuming starts a new stretch and moves the due time. The whole-minute
    fields (`*_used`, `first_response_minutes`) are derived: the exact time rounded down to whole
    minutes, for display and reports. See tickets/sla.py.
    """

    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING_CUSTOMER = "pending_customer", _("Pending customer")
        PENDING_INTERNAL = "pending_internal", _("Pending internal")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    Category = Category
    Priority = Priority

    class Channel(models.TextChoices):
        CHAT = "chat", _("Chat")
        PHONE = "phone", _("Phone")
        REVIEW = "review", _("Review")
        PROACTIVE = "proactive", _("Proactive")

    OPEN_STATUSES = [Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_INTERNAL]
    DONE_STATUSES = [Status.RESOLVED, Status.CLOSED]

    store = models.ForeignKey(Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="tickets")
    order_no = models.CharField(_("order number"), max_length=64, blank=True, db_index=True)
    buyer_nick = models.CharField(_("buyer nick"), max_length=100, blank=True, db_index=True)
    customer_phone = models.CharField(_("customer phone"), max_length=30, blank=True)
    customer_address = models.CharField(_("customer address"), max_length=300, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.CHAT)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, default=Category.OTHER)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    is_major = models.BooleanField(_("major complaint"), default=False, db_index=True)
    queue = models.ForeignKey(Queue, verbose_name=_("queue"), on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    previous_ticket = models.ForeignKey(
        "self", verbose_name=_("previous ticket"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="follow_ups",
    )
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="merged_tickets",
    )

    # SLA
    sla_policy = models.ForeignKey(
        # By name: tickets.models.sla imports this module (SLA policies match on category and priority).
        "tickets.SLAPolicy", verbose_name=_("SLA policy"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="tickets",
    )
    sla_cycle = models.PositiveIntegerField(_("SLA cycle"), default=1)
    first_response_target = models.PositiveIntegerField(_("first-response target (business minutes)"), null=True, blank=True)
    resolution_target = models.PositiveIntegerField(_("resolution target (business minutes)"), null=True, blank=True)
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True, db_index=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True, db_index=True)
    # A resolution deadline fixed in wall-clock time by an outside party (a marketplace's respond-by
    # time): when set, it is the resolution due time whatever the policy, priority or pauses.
    resolution_due_fixed_at = models.DateTimeField(_("resolution due (fixed)"), null=True, blank=True)
    sla_clock_started_at = models.DateTimeField(_("clock running since"), null=True, blank=True)
    clock_paused_at = models.DateTimeField(_("clock paused at"), null=True, blank=True)
    first_response_used = models.PositiveIntegerField(_("first-response business minutes used"), default=0)
    resolution_used = models.PositiveIntegerField(_("resolution business minutes used"), default=0)
    first_response_used_time = models.DurationField(_("first-response business time used"), default=timedelta(0))
    resolution_used_time = models.DurationField(_("resolution business time used"), default=timedelta(0))
    # Running stretches of this cycle's clocks already folded into the used times, so the instant a
    # lowered target was passed can be found again (see sla.py).
    sla_history = models.JSONField(_("SLA clock history"), default=list, blank=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("first response time (business minutes)"), null=True, blank=True)
    first_response_time = models.DurationField(_("first response time (business time)"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    first_resolved_at = models.DateTimeField(_("first resolved at"), null=True, blank=True)
    # Calendar seconds from creation to the first resolution, stored when it happens so that the
    # 24-hour resolution rate compares a column (no date arithmetic per row in the database).
    first_resolution_seconds = models.PositiveIntegerField(_("time to first resolution (seconds)"), null=True,
                                                           blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    first_response_breached = models.BooleanField(_("first response late"), default=False)
    resolution_breached = models.BooleanField(_("resolution late (this cycle)"), default=False)
    sla_breached = models.BooleanField(_("missed a target"), default=False, db_index=True)

    rating = models.PositiveSmallIntegerField(
        _("satisfaction rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.TextField(_("rating comment"), blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"))

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "first_response_due"]),
            models.Index(fields=["status", "resolution_due"]),
            models.Index(fields=["queue", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="ticket_rating_1_5"
            ),
        ]
        permissions = [
            ("reply_ticket", "Can reply to and note tickets"),
            ("assign_ticket", "Can assign tickets"),
            ("transfer_ticket", "Can transfer tickets to another queue or team"),
            ("resolve_ticket", "Can resolve, reopen and close tickets"),
            ("merge_ticket", "Can merge duplicate tickets"),
            ("rate_ticket", "Can record a satisfaction rating"),
            ("view_pii_ticket", "Can see customer phone and address unmasked"),
            ("export_ticket", "Can export tickets"),
            ("ingest_ticket", "Can post chat conversations"),
            ("oversee_ticket", "Can see the all-tickets page and service metrics"),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self):
        return f"#{self.pk} {self.subject or self.buyer_nick}"

    @property
    def team(self):
        return self.queue.team if self.queue_id else None

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_paused(self) -> bool:
        return self.clock_paused_at is not None

    def is_breached(self, now) -> bool:
        """Past an unmet due time right now (open, running clocks only)."""
        if not self.is_open or self.is_paused:
            return False
        if self.first_response_at is None and self.first_response_due and self.first_response_due < now:
            return True
        return bool(self.resolution_due and self.resolution_due < now)

    @property
    def priority_rank(self) -> int:
        return PRIORITY_RANK[self.priority]


class TimelineEntry(models.Model):
    """One event in a ticket's life: the audit trail. Append-only: never edited once written."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        CUSTOMER_MESSAGE = "customer_message", _("Customer message")
        REPLY = "reply", _("Reply")
        BOT_MESSAGE = "bot_message", _("Bot message")
        NOTE = "note", _("Internal note")
        STATUS = "status", _("Status changed")
        ASSIGN = "assign", _("Assigned")
        TRANSFER = "transfer", _("Transferred")
        FIELD = "field", _("Field changed")
        MERGE = "merge", _("Merged")
        RATING = "rating", _("Rated")
        SLA = "sla", _("SLA changed")
        LINK = "link", _("Linked")
        ESCALATION = "escalation", _("Escalated")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        INTERNAL = "internal", _("Internal")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), db_index=True)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    handling_seconds = models.PositiveIntegerField(_("handling time (seconds)"), null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"])]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self):
        return f"{self.get_kind_display()} @ {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("Timeline entries are never edited."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Timeline entries are never deleted."))


class TicketParticipant(models.Model):
    """Someone who worked a ticket (opened, replied, noted, was assigned, transferred it): they keep
    read access after it moves on (tickets/permissions.py), so a hand-off never loses the ticket
    for the people who had it. One row per (ticket, user), written by the domain functions."""

    class How(models.TextChoices):
        CREATED = "created", _("opened it")
        REPLIED = "replied", _("replied")
        NOTED = "noted", _("wrote a note")
        ASSIGNED = "assigned", _("was assigned")
        TRANSFERRED = "transferred", _("transferred it")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    how = models.CharField(_("how"), max_length=20, choices=How.choices)  # the first way they took part
    first_at = models.DateTimeField(_("first at"))
    last_at = models.DateTimeField(_("last at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "ticket"], name="unique_ticket_participant")]
        indexes = [models.Index(fields=["ticket", "last_at"])]
        verbose_name = _("ticket participant")
        verbose_name_plural = _("ticket participants")

    def __str__(self):
        return f"{self.user_id} on #{self.ticket_id}"
