"""TicketFilterSet: one FilterSet for the API's query parameters and the UI list's filter form."""

import django_filters
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Team
from portal.permissions import restrict
from tickets.models import Category, Priority, Queue, Ticket, TicketQuerySet


def user_teams(request):
    """The team filter's choices: a team outside the user's scope is as unknown as a missing one."""
    if request is None:
        return Team.objects.none()
    return restrict(Team.objects.all(), request.user, "view")


class TicketFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("search"))
    status = django_filters.MultipleChoiceFilter(choices=Ticket.Status.choices, label=_("status"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("open"))
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
    is_major = django_filters.BooleanFilter(label=_("major complaint"))
    breached = django_filters.BooleanFilter(method="filter_breached", label=_("past due"))
    due_before = django_filters.IsoDateTimeFilter(method="filter_due_before", label=_("due before"))
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", label=_("created from"))
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", label=_("created before"))
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
        if value.lstrip("#").isdigit():
            condition |= Q(pk=int(value.lstrip("#")))
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
        return queryset.filter(store_id=int(value)) if value.isdigit() else queryset.filter(store__code=value)

    def filter_breached(self, queryset, name, value):
        condition = TicketQuerySet.breached_q(self.now())
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_due_before(self, queryset, name, value):
        return queryset.due_before(value)
