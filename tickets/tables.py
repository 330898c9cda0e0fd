"""TicketTable: the queue pages' table (django-tables2), with a column choice the user can change."""

import django_tables2 as tables
from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tickets.models import Ticket
from tickets.permissions import can_view_pii, mask_address, mask_phone

PRIORITY_CLASS = {"urgent": "bad", "high": "warn", "normal": "", "low": "muted"}
STATUS_CLASS = {"new": "status new", "resolved": "status ok", "closed": "status muted"}


class CappedCountPaginator(Paginator):
    """Counts at most `cap` + 1 rows (COUNT over a LIMITed subquery), so a page of a queue with
    100k tickets does not count them all; beyond the cap the page shows "10000+" and the pages up
    to the cap (filter to narrow it down)."""

    cap = 10_000

    @cached_property
    def count(self):
        object_list = self.object_list
        if hasattr(object_list, "query"):
            return object_list[: self.cap + 1].count()
        return min(len(object_list), self.cap + 1)

    @property
    def capped(self) -> bool:
        return self.count > self.cap


def next_due(ticket):
    """The due time that matters now: first response while unanswered, else resolution."""
    if ticket.first_response_at is None and ticket.first_response_due:
        return ticket.first_response_due
    return ticket.resolution_due


class TicketTable(tables.Table):
    """Tickets of one queue page. Columns not in the user's choice are excluded at construction."""

    select = tables.CheckBoxColumn(
        accessor="pk", attrs={"th__input": {"data-select-all": "select", "aria-label": _("Select all")}},
    )
    id = tables.Column(verbose_name="#", linkify=("tickets:ticket", {"pk": tables.A("pk")}))
    subject = tables.Column(verbose_name=_("Subject"), linkify=("tickets:ticket", {"pk": tables.A("pk")}))
    buyer_nick = tables.Column(verbose_name=_("Buyer"))
    order_no = tables.Column(verbose_name=_("Order"))
    customer_phone = tables.Column(verbose_name=_("Phone"), orderable=False)
    customer_address = tables.Column(verbose_name=_("Address"), orderable=False)
    store = tables.Column(verbose_name=_("Store"), accessor="store__name", order_by=("store__name",))
    channel = tables.Column(verbose_name=_("Channel"))
    category = tables.Column(verbose_name=_("Category"))
    priority = tables.Column(verbose_name=_("Priority"), order_by=("priority_rank",))
    is_major = tables.BooleanColumn(verbose_name=_("Major"))
    status = tables.Column(verbose_name=_("Status"))
    queue = tables.Column(verbose_name=_("Queue"), accessor="queue__name", order_by=("queue__name",))
    assignee = tables.Column(verbose_name=_("Assignee"), order_by=("assignee__username",))
    due = tables.Column(verbose_name=_("Due"), accessor="resolution_due", order_by=("resolution_due",), empty_values=())
    first_response_due = tables.DateTimeColumn(verbose_name=_("First response due"), format="m-d H:i")
    resolution_due = tables.DateTimeColumn(verbose_name=_("Resolution due"), format="m-d H:i")
    rating = tables.Column(verbose_name=_("Rating"))
    created_at = tables.DateTimeColumn(verbose_name=_("Created"), format="m-d H:i")
    updated_at = tables.DateTimeColumn(verbose_name=_("Updated"), format="m-d H:i")

    class Meta:
        model = Ticket
        fields = []  # columns are all declared above
        sequence = [
            "select", "id", "subject", "buyer_nick", "order_no", "customer_phone", "customer_address", "store",
            "channel", "category", "priority", "is_major", "status", "queue", "assignee", "due",
            "first_response_due", "resolution_due", "rating", "created_at", "updated_at",
        ]
        # Shown until the user picks their own set; "select" and "id" are always shown.
        default_columns = [
            "subject", "buyer_nick", "store", "priority", "status", "queue", "assignee", "due", "created_at",
        ]
        attrs = {"class": "table tickets", "data-testid": "ticket-table"}
        row_attrs = {"data-ticket": lambda record: record.pk}
        empty_text = _("No tickets here.")

    FIXED_COLUMNS = ("select", "id")

    def __init__(self, *args, user=None, now=None, with_select=True, **kwargs):
        self.user = user
        self.now = now or timezone.now()
        if not with_select:
            kwargs["exclude"] = tuple(kwargs.get("exclude") or ()) + ("select",)
        super().__init__(*args, **kwargs)

    @classmethod
    def optional_columns(cls):
        """(name, label) of the columns a user may show or hide."""
        return [
            (name, cls.base_columns[name].verbose_name)
            for name in cls.Meta.sequence
            if name not in cls.FIXED_COLUMNS
        ]

    @classmethod
    def exclude_for(cls, chosen):
        """The `exclude` argument that leaves the fixed columns plus `chosen` (unknown names ignored)."""
        known = {name for name, _label in cls.optional_columns()}
        visible = [name for name in chosen if name in known] or cls.Meta.default_columns
        return tuple(name for name in known if name not in visible)

    def render_id(self, value):
        return f"#{value}"

    def render_customer_phone(self, record, value):
        return value if can_view_pii(self.user, record) else mask_phone(value)

    def render_customer_address(self, record, value):
        return value if can_view_pii(self.user, record) else mask_address(value)

    def render_channel(self, record):
        return record.get_channel_display()

    def render_category(self, record):
        return record.get_category_display()

    def render_priority(self, record):
        return format_html('<span class="{}">{}</span>', PRIORITY_CLASS.get(record.priority, ""),
                           record.get_priority_display())

    def render_status(self, record):
        return format_html('<span class="{}">{}</span>', STATUS_CLASS.get(record.status, "status"),
                           record.get_status_display())

    def render_assignee(self, value):
        return value.get_full_name() or value.get_username()

    def render_due(self, record):
        due = next_due(record)
        if not record.is_open or due is None:
            return "—"
        label = timezone.localtime(due).strftime("%m-%d %H:%M")
        if record.is_paused:
            return format_html('<span class="muted" title="{}">{} ⏸</span>', _("SLA clock paused"), label)
        if due < self.now:
            return format_html('<span class="bad" title="{}">{}</span>', _("Past due"), label)
        if (due - self.now).total_seconds() <= 2 * 3600:
            return format_html('<span class="warn" title="{}">{}</span>', _("Due within 2 hours"), label)
        return label

    def render_rating(self, value):
        return "★" * value

    def render_subject(self, record, value):
        if record.is_major:
            return format_html('{} <span class="badge" title="{}">!</span>', value, _("major complaint"))
        return value
