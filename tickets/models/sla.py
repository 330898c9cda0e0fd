"""SLA policies and their targets, and the business calendars (working hours, holidays, make-up
days) they count business minutes on. The clock arithmetic is tickets/sla.py."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tickets.models.queue import Queue
from tickets.models.ticket import Category, Priority, Ticket

WEEKDAYS = [
    (0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")),
    (4, _("Friday")), (5, _("Saturday")), (6, _("Sunday")),
]


def time_zone_validator(value):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Unknown time zone “%(tz)s”."), params={"tz": value}) from exc


class BusinessCalendar(models.Model):
    """Working hours per weekday, holidays and make-up working days in one time zone, or 24x7."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[time_zone_validator]
    )
    always_open = models.BooleanField(_("24x7"), default=False, help_text=_("Every minute counts; hours are ignored."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self):
        return self.name


def _minute_of(value, *, end=False) -> int:
    minutes = value.hour * 60 + value.minute
    return 24 * 60 if end and minutes == 0 else minutes


class CalendarInterval(models.Model):
    """One working interval of a weekday (a day may have several, e.g. around a lunch break)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="intervals")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAYS)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        ordering = ["calendar", "weekday", "start"]
        verbose_name = _("working interval")
        verbose_name_plural = _("working intervals")

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

    def clean(self):
        if self.start is not None and self.end is not None and _minute_of(self.end, end=True) <= _minute_of(self.start):
            raise ValidationError({"end": _("The interval must end after it starts.")})

    def as_minutes(self) -> tuple[int, int]:
        return _minute_of(self.start), _minute_of(self.end, end=True)


class Holiday(models.Model):
    """A day off (a public holiday) in the calendar's time zone."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="unique_holiday")]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self):
        return f"{self.date} {self.name}"


class MakeupDay(models.Model):
    """A weekend date worked as a normal day (调休), with the hours of the weekday it works like."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="makeup_days")
    date = models.DateField(_("date"))
    works_like = models.PositiveSmallIntegerField(
        _("works like"), choices=WEEKDAYS, null=True, blank=True,
        help_text=_("Whose working hours apply; empty: the first weekday with working hours."),
    )
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="unique_makeup_day")]
        verbose_name = _("make-up working day")
        verbose_name_plural = _("make-up working days")

    def __str__(self):
        return f"{self.date} {self.name}"

def default_pause_statuses():
    return ["pending_customer"]


class SLAPolicy(models.Model):
    """First-response and resolution targets, matched to tickets by queue, category and priority.

    The most specific active policy wins (queue outweighs category outweighs priority); a policy
    marked default catches the rest.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    queue = models.ForeignKey(
        Queue, verbose_name=_("queue"), null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policies"
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("business calendar"), on_delete=models.PROTECT, related_name="policies"
    )
    pause_statuses = models.JSONField(
        _("statuses that pause the clock"), default=default_pause_statuses, blank=True,
        help_text=_("Ticket statuses during which the SLA clocks stop, e.g. [\"pending_customer\"]."),
    )
    is_default = models.BooleanField(_("default policy"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True, is_active=True), name="one_default_sla_policy"
            )
        ]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self):
        return self.name

    def clean(self):
        statuses = self.pause_statuses or []
        allowed = {Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.PENDING_CUSTOMER, Ticket.Status.PENDING_INTERNAL}
        if not isinstance(statuses, list) or any(s not in allowed for s in statuses):
            raise ValidationError(
                {"pause_statuses": _("A list of open statuses: new, open, pending_customer, pending_internal.")}
            )

    @property
    def specificity(self) -> int:
        return (4 if self.queue_id else 0) + (2 if self.category else 0) + (1 if self.priority else 0)


class SLATarget(models.Model):
    """The targets of one policy for one priority, in business minutes."""

    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response within (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (business minutes)"))

    class Meta:
        ordering = ["policy", "priority"]
        constraints = [models.UniqueConstraint(fields=["policy", "priority"], name="unique_sla_target")]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")

    def __str__(self):
        return f"{self.policy}: {self.get_priority_display()}"

