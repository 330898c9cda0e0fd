"""The tickets app's FilterSets, each serving the API's query parameters and the UI list's filter form:
`TicketFilterSet` (queue pages, ticket API) and `EscalationFilterSet` (escalations page and API)."""

import django_filters
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.filtersets import BoundedIntegerFilter, BoundedIsoDateTimeFilter, YesNoFilter
from portal.inputs import whole_number
from portal.models import Team
from portal.permissions import restrict
from tickets.escalation.permissions import reached_q
from tickets.models import Category, Escalation, EscalationPolicy, Priority, Queue, Ticket, TicketQuerySet


def user_teams(request):
    """The team filter's choices: a team outside the user's scope is as unknown as a missing one."""
    if request is None:
        return Team.objects.none()
    return restrict(Team.objects.all(), request.user, "view")


class TicketFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("search"))
    status = django_filters.MultipleChoiceFilter(choices=Ticket.Status.choices, label=_("status"))
    open = YesNoFilter(method="filter_open", label=_("open"))
    queue = django_filters.ModelChoiceFilter(queryset=Queue.objects.all(), label=_("queue"))
    team = django_filters.ModelChoiceFilter(field_name="queue__team", queryset=user_teams, label=_("team"))
    assignee = django_filters.CharFilter(
        method="filter_assignee", label=_("assignee"),
        validators=[RegexValidator(r"^(me|none|\d+)$", _("A user id, “me” or “none”."))],
    )
    store = django_filters.CharFilter(method="filter_store", label=_("store"))
    category = django_filters.MultipleChoiceFilter(choices=Category.choices, label=_("category"))
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, label=_("priority"))
    channel = django_filters.ChoiceFilter(choices=Ticket.Channel.choices, label=_("channel"))
    is_major = YesNoFilter(label=_("major complaint"))
    breached = YesNoFilter(method="filter_breached", label=_("past due"))
    due_before = BoundedIsoDateTimeFilter(method="filter_due_before", label=_("due before"))
    created_after = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="gte", label=_("created from"))
    created_before = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="lt", label=_("created before"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("created_at", "created_at"), ("updated_at", "updated_at"), ("first_response_due", "first_response_due"),
            ("resolution_due", "resolution_due"), ("priority_order", "priority"), ("status", "status"), ("id", "id"),
        ),
        label=_("order by"),
    )

    class Meta:
        model = Ticket
        fields = ["status", "queue", "team", "store", "category", "priority", "channel", "is_major"]

    def now(self):
        return timezone.now()

    def search(self, queryset, name, value):
        value = value.strip()
        condition = Q(buyer_nick__icontains=value) | Q(order_no__icontains=value) | Q(subject__icontains=value)
        if (number := whole_number(value.lstrip("#"))) is not None:
            condition |= Q(pk=number)
        return queryset.filter(condition)

    def filter_open(self, queryset, name, value):
        return queryset.open() if value else queryset.exclude(status__in=Ticket.OPEN_STATUSES)

    def filter_assignee(self, queryset, name, value):
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value == "me":
            user = getattr(self.request, "user", None)
            return queryset.filter(assignee=user) if user and user.is_authenticated else queryset.none()
        return queryset.filter(assignee_id=int(value))

    def filter_store(self, queryset, name, value):
        number = whole_number(value)
        return queryset.filter(store_id=number) if number is not None else queryset.filter(store__code=value)

    def filter_breached(self, queryset, name, value):
        condition = TicketQuerySet.breached_q(self.now())
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_due_before(self, queryset, name, value):
        return queryset.due_before(value)


class EscalationFilterSet(django_filters.FilterSet):
    STATES = [
        ("open", _("Open (ticket unresolved, current cycle)")),
        ("unacknowledged", _("Open and not acknowledged")),
        ("acknowledged", _("Acknowledged")),
        ("all", _("All")),
    ]
    state = django_filters.ChoiceFilter(label=_("state"), choices=STATES, method="filter_state",
                                        empty_label=None)
    level = BoundedIntegerFilter(field_name="level__position", label=_("level"))
    policy = django_filters.ModelChoiceFilter(
        field_name="level__ladder__policy", queryset=EscalationPolicy.objects.all(), label=_("policy")
    )
    team = django_filters.ModelChoiceFilter(field_name="queue__team", queryset=Team.objects.all(),
                                            label=_("team"))
    reached_me = django_filters.ChoiceFilter(
        label=_("reached me"), method="filter_reached_me", empty_label=_("Any"),
        choices=[("true", _("yes")), ("false", _("no"))],
    )
    sweep = django_filters.UUIDFilter(field_name="sweep__uuid", label=_("sweep"))
    ticket = BoundedIntegerFilter(field_name="ticket_id", label=_("ticket"))

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
