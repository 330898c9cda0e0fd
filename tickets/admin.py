"""Admin: configuration (queues, calendars, SLA policies, routing rules, macros) and tickets read-only;
the escalation ladder's admin (policies, published versions, escalations, sweeps) is in
tickets/escalation/admin.py, imported here so that Django's admin discovery registers it.

Saving a calendar or an SLA policy applies the change to open tickets the way
`sla.apply_configuration_change` does: running clocks are folded into the used minutes under the
old settings before the save, and due times are recomputed under the new ones after it.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.admin import RestrictedAdmin, RestrictedTabularInline
from tickets import sla
from tickets.escalation.admin import (
    EscalationAdmin,
    EscalationLadderAdmin,
    EscalationPolicyAdmin,
    EscalationSweepAdmin,
)
from tickets.models import (
    BusinessCalendar,
    CalendarInterval,
    Holiday,
    Macro,
    MakeupDay,
    Queue,
    RoutingRule,
    SLAPolicy,
    SLATarget,
    Ticket,
    TimelineEntry,
)

__all__ = [
    "BusinessCalendarAdmin", "MacroAdmin", "QueueAdmin", "RoutingRuleAdmin", "SLAPolicyAdmin", "TicketAdmin",
    # registered in tickets/escalation/admin.py
    "EscalationAdmin", "EscalationLadderAdmin", "EscalationPolicyAdmin", "EscalationSweepAdmin",
]


class SLAConfigurationAdmin(RestrictedAdmin):
    """Applies saved changes to open tickets without giving back time already used."""

    def _now(self, request):
        if not hasattr(request, "_sla_change_now"):
            request._sla_change_now = timezone.now()
        return request._sla_change_now

    def save_model(self, request, obj, form, change):
        sla.freeze_open_clocks(now=self._now(request))
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        now = self._now(request)
        sla.log_sla_changes(sla.recompute_open_tickets(now=now), actor=request.user, now=now)

    def delete_model(self, request, obj):
        now = self._now(request)
        sla.freeze_open_clocks(now=now)
        super().delete_model(request, obj)
        sla.log_sla_changes(sla.recompute_open_tickets(now=now), actor=request.user, now=now)


@admin.register(Queue)
class QueueAdmin(RestrictedAdmin):
    list_display = ["name", "team", "is_default"]
    list_filter = ["team", "is_default"]
    search_fields = ["name"]
    list_select_related = ["team"]


class CalendarFormSet(BaseInlineFormSet):
    """An inline formset of a calendar page that can see the page's other formsets (the make-up
    days are checked against the working hours submitted with them)."""

    def __init__(self, *args, calendar_formsets=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.calendar_formsets = calendar_formsets if calendar_formsets is not None else []
        self.calendar_formsets.append(self)

    def kept(self):
        """Cleaned data of the rows that stay (filled in and not marked for deletion)."""
        return [form.cleaned_data for form in self.forms
                if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")]


class CalendarIntervalFormSet(CalendarFormSet):
    def working_weekdays(self) -> set[int]:
        return {row["weekday"] for row in self.kept() if row.get("weekday") is not None}

    def clean(self):
        super().clean()
        # Holidays and make-up days are a finite list of dates: without weekday hours a calendar
        # runs out of working time, and a clock on it could never reach its due time.
        if not self.instance.always_open and not self.working_weekdays():
            raise ValidationError(
                _("A calendar needs working hours on at least one weekday, or 24x7: without them its SLA "
                  "clocks could never reach a due time.")
            )


class MakeupDayFormSet(CalendarFormSet):
    def clean(self):
        super().clean()
        hours = next((f for f in self.calendar_formsets if isinstance(f, CalendarIntervalFormSet)), None)
        if self.instance.always_open or hours is None:
            return
        working = hours.working_weekdays()
        weekdays = dict(MakeupDay._meta.get_field("works_like").choices)
        for row in self.kept():
            if row.get("works_like") is not None and row["works_like"] not in working:
                raise ValidationError(
                    _("The make-up day %(date)s works like %(weekday)s, which has no working hours in this calendar.")
                    % {"date": row["date"], "weekday": weekdays[row["works_like"]]}
                )


class CalendarIntervalInline(RestrictedTabularInline):
    model = CalendarInterval
    formset = CalendarIntervalFormSet
    extra = 0


class HolidayInline(RestrictedTabularInline):
    model = Holiday
    extra = 0


class MakeupDayInline(RestrictedTabularInline):
    model = MakeupDay
    formset = MakeupDayFormSet
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(SLAConfigurationAdmin):
    """A calendar that can never work (no weekday hours and not 24x7) is refused with an error."""

    list_display = ["name", "time_zone", "always_open"]
    search_fields = ["name"]
    inlines = [CalendarIntervalInline, HolidayInline, MakeupDayInline]

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if issubclass(inline.formset, CalendarFormSet):
            if not hasattr(request, "_calendar_formsets"):
                request._calendar_formsets = []
            kwargs["calendar_formsets"] = request._calendar_formsets
        return kwargs


class SLATargetInline(RestrictedTabularInline):
    model = SLATarget
    extra = 0


@admin.register(SLAPolicy)
class SLAPolicyAdmin(SLAConfigurationAdmin):
    list_display = ["name", "queue", "category", "priority", "calendar", "is_default", "is_active"]
    list_filter = ["is_active", "is_default", "category", "priority"]
    search_fields = ["name"]
    list_select_related = ["queue", "calendar"]
    inlines = [SLATargetInline]


@admin.register(RoutingRule)
class RoutingRuleAdmin(RestrictedAdmin):
    list_display = ["order", "name", "store", "pattern", "is_regex", "requires_order", "queue", "category",
                    "priority", "is_major", "is_active"]
    list_display_links = ["name"]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active", "store", "category"]
    search_fields = ["name", "pattern"]
    list_select_related = ["store", "queue"]


@admin.register(Macro)
class MacroAdmin(RestrictedAdmin):
    list_display = ["name", "queue", "team", "is_active"]
    list_filter = ["is_active", "queue", "team"]
    search_fields = ["name", "body"]


class TimelineEntryInline(RestrictedTabularInline):
    """The audit trail: shown, never added to, edited or deleted here."""

    model = TimelineEntry
    extra = 0
    can_delete = False
    fields = ["at", "kind", "actor", "visibility", "body", "data", "handling_seconds"]
    readonly_fields = fields
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(RestrictedAdmin):
    """Tickets are worked in the portal; admin shows them (and their timeline) read-only."""

    list_display = ["id", "store", "buyer_nick", "category", "priority", "is_major", "queue", "assignee", "status",
                    "resolution_due", "created_at"]
    list_filter = ["status", "category", "priority", "is_major", "channel", "queue"]
    search_fields = ["=id", "buyer_nick", "order_no", "subject"]
    list_select_related = ["store", "queue", "assignee"]
    date_hierarchy = "created_at"
    inlines = [TimelineEntryInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Ticket._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The change page is only a read-only view of the ticket.
        return False

    @admin.display(description=_("team"))
    def team(self, obj):
        return obj.queue.team

