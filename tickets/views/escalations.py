"""Escalation pages: the list of escalations (open by default; by level, age, acknowledgement),
the acknowledge action, and the ticket page's escalation panel (tickets/templatetags)."""

import django_filters
import django_tables2 as tables
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from portal.models import Notification, Team
from portal.permissions import has_action, restrict
from portal.views import RestrictedListView
from tickets.escalation.acknowledge import acknowledge
from tickets.escalation.permissions import reached_q
from tickets.escalation.recipients import attach_deliveries, ticket_url
from tickets.models import Escalation, EscalationPolicy

STATUS_CLASS = {
    Notification.Status.SENT: "ok", Notification.Status.PENDING: "warn", Notification.Status.SENDING: "warn",
    Notification.Status.FAILED: "bad", Notification.Status.UNKNOWN: "bad",
}


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _name(user):
    return (user.get_full_name() or user.get_username()) if user else ""


def age_text(delta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return _("%(n)s min") % {"n": max(minutes, 0)}
    if minutes < 48 * 60:
        return _("%(h)s h %(m)s min") % {"h": minutes // 60, "m": minutes % 60}
    return _("%(d)s days") % {"d": minutes // (24 * 60)}


def prepare(escalations, user, now):
    """Attach `notified` (with delivery status), `can_ack` and `age` to each escalation (a
    constant number of queries whatever their number)."""
    escalations = attach_deliveries(escalations)
    ids = [e.pk for e in escalations]
    ackable = set()
    if ids and has_action(user, Escalation, "acknowledge"):
        ackable = set(restrict(Escalation.objects.filter(pk__in=ids), user, "acknowledge").values_list("pk", flat=True))
    for escalation in escalations:
        escalation.age = age_text(now - escalation.fired_at)
        escalation.can_ack = (
            escalation.pk in ackable and escalation.acknowledged_at is None
            and escalation.ticket.is_open and escalation.cycle == escalation.ticket.sla_cycle
        )
        escalation.held = bool(escalation.hold_until and escalation.hold_until > now)
    return escalations


def notified_html(escalation):
    if not getattr(escalation, "notified", None):
        return format_html('<span class="muted">{}</span>', _("nobody"))
    return format_html_join(
        ", ", '<span class="notified">{} · {} <span class="status {}">{}</span></span>',
        (
            (_name(n.recipient), n.get_channel_display(), STATUS_CLASS.get(n.status, ""), n.get_status_display())
            for n in escalation.notified
        ),
    )


class EscalationFilterSet(django_filters.FilterSet):
    STATES = [
        ("open", gettext_lazy("Open (ticket unresolved, current cycle)")),
        ("unacknowledged", gettext_lazy("Open and not acknowledged")),
        ("acknowledged", gettext_lazy("Acknowledged")),
        ("all", gettext_lazy("All")),
    ]
    state = django_filters.ChoiceFilter(label=gettext_lazy("state"), choices=STATES, method="filter_state",
                                        empty_label=None)
    level = django_filters.NumberFilter(field_name="level__position", label=gettext_lazy("level"))
    policy = django_filters.ModelChoiceFilter(
        field_name="level__ladder__policy", queryset=EscalationPolicy.objects.all(), label=gettext_lazy("policy")
    )
    team = django_filters.ModelChoiceFilter(field_name="queue__team", queryset=Team.objects.all(),
                                            label=gettext_lazy("team"))
    reached_me = django_filters.ChoiceFilter(
        label=gettext_lazy("reached me"), method="filter_reached_me", empty_label=gettext_lazy("any"),
        choices=[("true", gettext_lazy("yes")), ("false", gettext_lazy("no"))],
    )
    sweep = django_filters.UUIDFilter(field_name="sweep__uuid", label=gettext_lazy("sweep"))
    ticket = django_filters.NumberFilter(field_name="ticket_id", label=gettext_lazy("ticket"))

    class Meta:
        model = Escalation
        fields = ["state", "level", "policy", "team", "reached_me", "sweep", "ticket"]

    def __init__(self, data=None, *args, request=None, **kwargs):
        data = data.copy() if data is not None else None
        if data is not None and not data.get("state"):
            # Open escalations unless asked otherwise; a sweep link shows everything of that sweep.
            data["state"] = "all" if data.get("sweep") or data.get("ticket") else "open"
        super().__init__(data, *args, request=request, **kwargs)
        if request is not None:
            self.filters["team"].queryset = restrict(Team.objects.all(), request.user, "view")

    def filter_state(self, queryset, name, value):
        if value == "all":
            return queryset
        if value == "acknowledged":
            return queryset.filter(acknowledged_at__isnull=False)
        queryset = queryset.current()
        if value == "unacknowledged":
            queryset = queryset.filter(acknowledged_at__isnull=True)
        return queryset

    def filter_reached_me(self, queryset, name, value):
        if value not in ("true", "false"):
            return queryset
        mine = reached_q(self.request.user)
        return queryset.filter(mine if value == "true" else ~mine)


class EscalationTable(tables.Table):
    ticket = tables.Column(verbose_name=gettext_lazy("ticket"), accessor="ticket_id")
    level = tables.Column(verbose_name=gettext_lazy("level"), accessor="level__position")
    fired_at = tables.Column(verbose_name=gettext_lazy("fired at"))
    age = tables.Column(verbose_name=gettext_lazy("age"), accessor="fired_at", orderable=False, empty_values=())
    team = tables.Column(verbose_name=gettext_lazy("team"), accessor="queue__team__name", orderable=False)
    notified = tables.Column(verbose_name=gettext_lazy("notified"), accessor="pk", orderable=False, empty_values=())
    acknowledged = tables.Column(verbose_name=gettext_lazy("acknowledgement"), accessor="acknowledged_at",
                                 empty_values=())
    actions = tables.Column(verbose_name="", accessor="pk", orderable=False, empty_values=())

    class Meta:
        model = Escalation
        fields = ["ticket", "level", "fired_at", "age", "team", "notified", "acknowledged", "actions"]
        default_columns = fields
        attrs = {"class": "table escalations", "data-testid": "escalation-table"}
        row_attrs = {"data-escalation": lambda record: record.pk}

    def __init__(self, *args, next_url="", **kwargs):
        super().__init__(*args, **kwargs)
        self.next_url = next_url

    def render_ticket(self, record):
        return format_html('<a href="{}">#{}</a> {}', ticket_url(record.ticket_id), record.ticket_id,
                           record.ticket.subject or record.ticket.buyer_nick)

    def render_level(self, record):
        return format_html("{}. {} <span class=\"muted small\">{} v{}</span>", record.level.position,
                           record.level.name, record.level.ladder.policy.name, record.level.ladder.version)

    def render_fired_at(self, record):
        return _local(record.fired_at)

    def render_age(self, record):
        return getattr(record, "age", "")

    def render_notified(self, record):
        return notified_html(record)

    def render_acknowledged(self, record):
        if record.acknowledged_at is None:
            return format_html('<span class="muted">{}</span>', _("not acknowledged"))
        text = _("%(user)s at %(at)s") % {"user": _name(record.acknowledged_by), "at": _local(record.acknowledged_at)}
        if getattr(record, "held", False):
            text += " · " + _("ladder halted until %(until)s") % {"until": _local(record.hold_until)}
        return text

    def render_actions(self, record):
        if not getattr(record, "can_ack", False):
            return ""
        return acknowledge_button(record, self.request, self.next_url)


def acknowledge_button(escalation, request, next_url=""):
    from django.middleware.csrf import get_token
    from django.urls import reverse

    return format_html(
        '<form method="post" action="{}" class="inline"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="next" value="{}"><button type="submit" data-testid="acknowledge-{}">{}</button>'
        "</form>",
        reverse("tickets:escalation_acknowledge", args=[escalation.pk]), get_token(request), next_url,
        escalation.pk, _("Acknowledge"),
    )


class EscalationListView(RestrictedListView):
    """Escalations in the user's scope; an executive sees (read-only) those that reached them."""

    model = Escalation
    table_class = EscalationTable
    filterset_class = EscalationFilterSet
    title = gettext_lazy("Escalations")
    template_name = "tickets/escalation_list.html"

    def get_queryset(self):
        return super().get_queryset().with_related().order_by("-fired_at", "-id")

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        if kwargs.get("data") is None:
            kwargs["data"] = self.request.GET
        return kwargs

    def get_table_kwargs(self):
        return {"next_url": self.request.get_full_path()}

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        rows = table.page.object_list if hasattr(table, "page") else table.data
        prepare(list(rows.data if hasattr(rows, "data") else rows), self.request.user, timezone.now())
        return table

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["read_only"] = not has_action(self.request.user, Escalation, "acknowledge")
        return context


class EscalationAcknowledgeView(LoginRequiredMixin, View):
    """POST: take ownership of an escalation (recipients and the people above the team)."""

    def post(self, request, pk):
        if not has_action(request.user, Escalation, "acknowledge"):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied(_("Your role does not allow this."))
        escalation = get_object_or_404(restrict(Escalation.objects.all(), request.user, "acknowledge"), pk=pk)
        try:
            acknowledge(escalation, actor=request.user, now=timezone.now())
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Escalation acknowledged: further levels wait for the acknowledgement window."))
        follow = request.POST.get("next", "")
        if follow.startswith("/") and not follow.startswith("//"):
            return redirect(follow)
        return redirect(ticket_url(escalation.ticket_id))


def ticket_escalations(user, ticket, now):
    """The ticket's escalations the user may see, newest first, prepared for display."""
    queryset = restrict(Escalation.objects.filter(ticket=ticket), user, "view").with_related().order_by("-fired_at",
                                                                                                       "-id")
    return prepare(list(queryset), user, now)
