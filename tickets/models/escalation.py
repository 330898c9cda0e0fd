"""Escalation ladders: editable policies, their immutable published versions, the ladder each SLA
cycle of a ticket runs on, and the escalations the sweep fires (see tickets/escalation/).

Versioning: an `EscalationPolicy` and its `EscalationLevel` rows are what admins edit. Publishing
(`tickets.escalation.ladders.publish_policy`) freezes them into a new `EscalationLadder` version
with `LadderLevel` copies. When a ticket's SLA clock starts (creation) or restarts (reopen: a new
cycle), a `TicketLadder` row records the version that cycle runs on, so a later edit never changes
the levels under a ticket in flight.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from portal.models import Notification
from tickets.models.queue import Queue
from tickets.models.sla import SLAPolicy
from tickets.models.ticket import Category, Priority, Ticket

DEFAULT_ACK_WINDOW_MINUTES = 120
# Level positions are bits of TicketLadder.fired_mask (a signed 64-bit integer).
MAX_POSITION = 62


class Clock(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    # "Resolution" the clock (解决), not how something was resolved.
    RESOLUTION = "resolution", pgettext_lazy("SLA clock", "Resolution")


class RecipientRole(models.TextChoices):
    """Recipients relative to the ticket: its assignee, or a role found up the org chart from the
    team of the ticket's queue (the nearest team, that one first, that has someone in the role)."""

    ASSIGNEE = "assignee", _("Assignee")
    TEAM_LEAD = "team_lead", _("Team lead")
    MANAGER = "manager", _("Manager")
    DIRECTOR = "director", _("Director")
    EXECUTIVE = "executive", _("Executive")


CHANNEL_VALUES = [value for value, _label in Notification.Channel.choices]


def _check_list(value, allowed, field, message):
    if not isinstance(value, list) or any(item not in allowed for item in value) or len(set(value)) != len(value):
        raise ValidationError({field: message})


class LevelFields(models.Model):
    """What one level of a ladder does: when it fires (trigger), for which tickets (condition), whom
    it tells over which channels (recipients), and what it changes (actions)."""

    position = models.PositiveSmallIntegerField(
        _("level"), validators=[MinValueValidator(1), MaxValueValidator(MAX_POSITION)],
        help_text=_("Levels fire in this order, lowest first."),
    )
    name = models.CharField(_("name"), max_length=100)
    # Trigger
    clock = models.CharField(_("clock"), max_length=20, choices=Clock.choices, default=Clock.RESOLUTION)
    offset_minutes = models.IntegerField(
        _("minutes from the due time"), null=True, blank=True,
        help_text=_("Negative: a warning before the breach; 0: at the breach; positive: after it."),
    )
    target_percent = models.PositiveSmallIntegerField(
        _("share of the target elapsed (%)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Instead of an offset: fire when this share of the target's business time is used, e.g. 75."),
    )
    # Condition
    min_priority = models.CharField(_("minimum priority"), max_length=10, choices=Priority.choices, blank=True)
    major_only = models.BooleanField(_("major complaints only"), default=False)
    categories = models.JSONField(
        _("categories"), default=list, blank=True, help_text=_("Only tickets of these categories; empty: all.")
    )
    # Recipients and channels
    recipient_roles = models.JSONField(
        _("recipients (roles)"), default=list, blank=True,
        help_text=_("Roles relative to the ticket: assignee, team_lead, manager, director, executive."),
    )
    channels = models.JSONField(_("channels"), default=list, help_text=_("in_app, email, sms."))
    # Actions
    raise_priority_to = models.CharField(
        _("raise priority to"), max_length=10, choices=Priority.choices, blank=True,
        help_text=_("Tickets below this priority are raised to it."),
    )
    mark_major = models.BooleanField(_("mark as major complaint (critical)"), default=False)
    reassign_queue = models.ForeignKey(
        Queue, verbose_name=_("move to queue"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reassign_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assign to"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    # Gate and acknowledgement
    business_hours_only = models.BooleanField(
        _("only in working hours"), default=False,
        help_text=_("Wait for a working minute of the ticket's business calendar before firing."),
    )
    ack_window_minutes = models.PositiveIntegerField(
        _("acknowledgement window (minutes)"), default=DEFAULT_ACK_WINDOW_MINUTES,
        help_text=_("After an acknowledgement, further levels wait this long."),
    )

    # The fields a published copy carries over (the named users M2M is copied separately).
    COPY_FIELDS = [
        "position", "name", "clock", "offset_minutes", "target_percent", "min_priority", "major_only",
        "categories", "recipient_roles", "channels", "raise_priority_to", "mark_major", "reassign_queue_id",
        "reassign_user_id", "business_hours_only", "ack_window_minutes",
    ]

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.position}. {self.display_name}"

    @property
    def display_name(self) -> str:
        """The level's name in the active language: the standard names (tickets/escalation/demo.py)
        are translated; a name typed by an administrator is shown as typed."""
        return gettext(self.name) if self.name else ""

    def clean(self):
        errors = {}
        if (self.offset_minutes is None) == (self.target_percent is None):
            errors["offset_minutes"] = _("Give either minutes from the due time or a share of the target, not both.")
        try:
            _check_list(self.categories, Category.values, "categories", _("A list of categories: %(values)s.")
                        % {"values": ", ".join(Category.values)})
            _check_list(self.recipient_roles, RecipientRole.values, "recipient_roles",
                        _("A list of roles: %(values)s.") % {"values": ", ".join(RecipientRole.values)})
            _check_list(self.channels, CHANNEL_VALUES, "channels",
                        _("A list of channels: %(values)s.") % {"values": ", ".join(CHANNEL_VALUES)})
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if not errors.get("channels") and not self.channels:
            errors["channels"] = _("Choose at least one channel.")
        if self.reassign_queue_id and self.reassign_user_id:
            errors["reassign_user"] = _("Move to a queue or assign to a person, not both.")
        if errors:
            raise ValidationError(errors)

    @property
    def ack_window(self) -> timedelta:
        return timedelta(minutes=self.ack_window_minutes)

    @property
    def has_actions(self) -> bool:
        return bool(self.raise_priority_to or self.mark_major or self.reassign_queue_id or self.reassign_user_id)

    def trigger_label(self) -> str:
        clock = str(Clock(self.clock).label).lower()
        if self.target_percent is not None:
            return _("%(percent)s%% of the %(clock)s target") % {"percent": self.target_percent, "clock": clock}
        minutes = self.offset_minutes or 0
        if minutes == 0:
            return _("at the %(clock)s due time") % {"clock": clock}
        amount = _format_minutes(abs(minutes))
        if minutes < 0:
            return _("%(amount)s before the %(clock)s due time") % {"amount": amount, "clock": clock}
        return _("%(amount)s after the %(clock)s due time") % {"amount": amount, "clock": clock}

    def signature(self, user_ids) -> tuple:
        """What the level does, for deciding whether a policy changed since its last version."""
        return tuple(_freeze(getattr(self, name)) for name in self.COPY_FIELDS) + (tuple(sorted(user_ids)),)


def _freeze(value):
    return tuple(value) if isinstance(value, list) else value


def _format_minutes(minutes: int) -> str:
    if minutes % 60 == 0:
        return _("%(n)s h") % {"n": minutes // 60}
    if minutes > 60:
        return _("%(h)s h %(m)s min") % {"h": minutes // 60, "m": minutes % 60}
    return _("%(n)s min") % {"n": minutes}


class EscalationPolicy(models.Model):
    """The editable ladder configuration, attached to a queue, to an SLA policy, or to every ticket.

    Matching when a cycle starts: an active policy of the ticket's queue, else one of its SLA
    policy, else an active policy attached to neither (lowest id first at each step).
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    queue = models.ForeignKey(
        Queue, verbose_name=_("queue"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="escalation_policies",
    )
    sla_policy = models.ForeignKey(
        SLAPolicy, verbose_name=_("SLA policy"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="escalation_policies",
    )
    is_active = models.BooleanField(
        _("active"), default=True,
        help_text=_("Inactive policies start no new ladders; tickets in flight keep theirs."),
    )
    description = models.TextField(_("description"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")

    def __str__(self):
        return self.name

    def clean(self):
        if self.queue_id and self.sla_policy_id:
            raise ValidationError({"sla_policy": _("Attach the policy to a queue or to an SLA policy, not both.")})

    @property
    def specificity(self) -> int:
        return 2 if self.queue_id else 1 if self.sla_policy_id else 0


class EscalationLevel(LevelFields):
    """A level of an editable policy (published into a ladder version by `publish_policy`)."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="levels")
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("named recipients"), blank=True, related_name="+"
    )

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="unique_escalation_level_position")
        ]
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")


class EscalationLadder(models.Model):
    """One published, immutable version of a policy's levels."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    retired_at = models.DateTimeField(
        _("retired at"), null=True, blank=True,
        help_text=_("Superseded and no open ticket runs on it any more: the sweep skips it."),
    )

    class Meta:
        ordering = ["policy", "-version"]
        constraints = [models.UniqueConstraint(fields=["policy", "version"], name="unique_ladder_version")]
        verbose_name = _("escalation ladder version")
        verbose_name_plural = _("escalation ladder versions")

    def __str__(self):
        return f"{self.policy} v{self.version}"


class LadderLevel(LevelFields):
    """A frozen copy of a level in one ladder version; escalations point here."""

    ladder = models.ForeignKey(EscalationLadder, on_delete=models.PROTECT, related_name="levels")
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("named recipients"), blank=True, related_name="+"
    )

    class Meta:
        ordering = ["ladder", "position"]
        constraints = [models.UniqueConstraint(fields=["ladder", "position"], name="unique_ladder_level_position")]
        verbose_name = _("ladder level")
        verbose_name_plural = _("ladder levels")


class TicketLadder(models.Model):
    """The ladder version one SLA cycle of a ticket runs on, and the acknowledgement hold on it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="ladders")
    cycle = models.PositiveIntegerField(_("SLA cycle"))
    ladder = models.ForeignKey(EscalationLadder, on_delete=models.PROTECT, related_name="tickets")
    started_at = models.DateTimeField(_("started at"))
    hold_until = models.DateTimeField(
        _("halted until"), null=True, blank=True,
        help_text=_("An acknowledgement halts further levels of this cycle until then."),
    )
    # Bit `position` is set when that level fired in this cycle: lets the sweep skip fired levels
    # without a lookup per (ticket, level). The unique constraint on Escalation stays the guarantee.
    fired_mask = models.BigIntegerField(_("levels fired"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "cycle"], name="unique_ticket_ladder_cycle")]
        verbose_name = _("ticket ladder")
        verbose_name_plural = _("ticket ladders")

    def __str__(self):
        return f"#{self.ticket_id} cycle {self.cycle}: {self.ladder_id}"


class EscalationSweep(models.Model):
    """One run of the sweep that fired something (a sweep that fires nothing leaves no row).

    The uuid names the sweep outside the database: in the notifications' `source`
    ("escalation-sweep:<uuid>") and in links to the escalations it fired.
    """

    uuid = models.UUIDField(_("sweep"), unique=True)
    swept_at = models.DateTimeField(_("swept at"), db_index=True)
    fired = models.PositiveIntegerField(_("escalations fired"), default=0)
    notifications = models.PositiveIntegerField(_("notifications queued"), default=0)

    class Meta:
        ordering = ["-swept_at", "-id"]
        verbose_name = _("escalation sweep")
        verbose_name_plural = _("escalation sweeps")

    def __str__(self):
        return f"{self.swept_at:%Y-%m-%d %H:%M} {self.uuid}"


class EscalationQuerySet(models.QuerySet):
    def current(self):
        """Escalations of the running SLA cycle of tickets still open."""
        return self.filter(cycle=models.F("ticket__sla_cycle"), ticket__status__in=Ticket.OPEN_STATUSES)

    def reached(self, user):
        """Escalations whose notifications went to `user` (on any channel)."""
        return self.filter(Exists(
            EscalationDelivery.objects.matching(OuterRef("pk")).filter(notifications__recipient=user)
        ))

    def with_related(self):
        return self.select_related(
            "ticket", "ticket__queue", "ticket__store", "level", "level__ladder", "level__ladder__policy", "queue",
            "queue__team", "assignee", "acknowledged_by", "sweep",
        )


class Escalation(models.Model):
    """One level fired for one ticket in one SLA cycle: at most once, by a database constraint.

    Indexes are kept to what the sweep and the pages need (the unique constraint, whose leading
    column serves ticket lookups, and the sweep id): the first sweep after downtime inserts
    hundreds of thousands of these, and every index costs on each row.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="escalations", db_index=False)
    level = models.ForeignKey(
        LadderLevel, verbose_name=_("level"), on_delete=models.PROTECT, related_name="escalations", db_index=False,
        db_constraint=False,
    )
    cycle = models.PositiveIntegerField(_("SLA cycle"))
    clock_due = models.DateTimeField(_("due time it was measured against"), null=True, blank=True)
    fired_at = models.DateTimeField(_("fired at"))
    sweep = models.ForeignKey(
        EscalationSweep, verbose_name=_("sweep"), on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    # Where the ticket was and who had it when it fired (the recipients are resolved from these).
    queue = models.ForeignKey(
        Queue, verbose_name=_("queue"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False, db_constraint=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False, db_constraint=False,
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("acknowledged by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False,
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    hold_until = models.DateTimeField(_("halts the ladder until"), null=True, blank=True)

    objects = EscalationQuerySet.as_manager()

    class Meta:
        ordering = ["-fired_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "level", "cycle"], name="unique_escalation_per_cycle"),
        ]
        permissions = [("acknowledge_escalation", "Can acknowledge escalations")]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")

    def __str__(self):
        return f"#{self.ticket_id} {self.level}"

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def trigger_at(self):
        """When the level came due (offset levels); the firing time for share-of-target levels."""
        if self.clock_due is not None and self.level.offset_minutes is not None:
            return self.clock_due + timedelta(minutes=self.level.offset_minutes)
        return self.fired_at


class EscalationDeliveryQuerySet(models.QuerySet):
    def matching(self, escalation_ref):
        """Deliveries of the escalation given as an OuterRef to its pk (for Exists subqueries)."""
        return self.filter(
            sweep_id=OuterRef("sweep_id"), level_id=OuterRef("level_id"), queue_key=Coalesce(OuterRef("queue_id"), 0),
            assignee_key=Coalesce(OuterRef("assignee_id"), 0),
        )


class EscalationDelivery(models.Model):
    """Who one sweep told about the escalations of one level in one queue with one assignee.

    Recipients depend only on (level, queue's team, assignee), so the escalations of a sweep sharing those
    share one delivery, and the sweep writes a few of these instead of one row per escalation and
    recipient. `notifications` are the sweep's outbox rows (one per recipient and channel, listing
    everything that reached that recipient in the sweep) that carried them.
    """

    sweep = models.ForeignKey(EscalationSweep, on_delete=models.PROTECT, related_name="deliveries")
    level = models.ForeignKey(LadderLevel, on_delete=models.PROTECT, related_name="+")
    queue_key = models.BigIntegerField(_("queue id (0: none)"))
    assignee_key = models.BigIntegerField(_("assignee id (0: none)"))
    notifications = models.ManyToManyField(Notification, related_name="escalation_deliveries", blank=True)

    objects = EscalationDeliveryQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sweep", "level", "queue_key", "assignee_key"], name="unique_escalation_delivery"
            )
        ]
        verbose_name = _("escalation delivery")
        verbose_name_plural = _("escalation deliveries")

    def __str__(self):
        return f"sweep {self.sweep_id} level {self.level_id}"

    def key(self):
        return (self.sweep_id, self.level_id, self.queue_key, self.assignee_key)


def delivery_key(escalation) -> tuple:
    return (escalation.sweep_id, escalation.level_id, escalation.queue_id or 0, escalation.assignee_id or 0)
