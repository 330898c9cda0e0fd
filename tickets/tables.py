"""The tickets app's tables (django-tables2): `TicketTable`, the queue pages' table with a column choice
the user can change, and `EscalationTable`, the escalations page's."""

import django_tables2 as tables
from django.core.paginator import Paginator
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from portal import pii
from portal.formatting import person_name
from portal.icons import icon
from portal.inputs import whole_number
from portal.models import Notification
from tickets.escalation.recipients import ticket_url
from tickets.models import Escalation, Ticket

PRIORITY_CLASS = {"urgent": "bad", "high": "warn", "normal": "", "low": "muted"}
STATUS_CLASS = {"new": "status new", "resolved": "status ok", "closed": "status muted"}


class CappedCountPaginator(Paginator):
    """A paginator that never counts a whole big queue: COUNT over a LIMITed subquery of at most
    `cap` rows, or a page beyond the one asked for when the user pages further. The page then
    says "more than N" and links one page ahead, as far as the user goes.

    A full COUNT of 100k tickets costs 25-60 ms on SQLite; a capped one a few ms.
    """

    cap = 1000

    def page(self, number):
        # A page number of more than 9 digits (`?page=` + 30 nines) would make the LIMIT overflow the
        # database integer: it is read as the first page, then Paginator answers with the last one.
        self._wanted = whole_number(str(number), digits=9) or 1
        return super().page(number)

    @property
    def limit(self) -> int:
        return max(self.cap, (getattr(self, "_wanted", 1) + 1) * self.per_page)

    @cached_property
    def count(self):
        queryset = self._queryset()
        if queryset is not None:
            # Only ids, no ordering: the planner picks the cheapest way to find limit + 1 rows.
            return queryset.order_by().values("pk")[: self.limit + 1].count()
        return min(len(self.object_list), self.limit + 1)

    def _queryset(self):
        """The queryset behind the list: django-tables2 hands over its BoundRows, whose length
        would be a full COUNT."""
        rows = self.object_list
        if hasattr(rows, "query"):
            return rows
        queryset = getattr(getattr(rows, "data", None), "data", None)
        return queryset if hasattr(queryset, "query") else None

    @property
    def capped(self) -> bool:
        return self.count > self.limit


def next_due(ticket):
    """The due time that matters now: first response while unanswered, else resolution."""
    if ticket.first_response_at is None and ticket.first_response_due:
        return ticket.first_response_due
    return ticket.resolution_due


def _local(value):
    return timezone.localtime(value).strftime("%m-%d %H:%M") if value else "—"


class TicketTable(tables.Table):
    """Tickets of one queue page. Columns not in the user's choice are excluded at construction.

    Every column has a `render_<name>(record)` that returns its cell's HTML; the template
    (tickets/ticket_table.html) renders the rows in one pass through `html_rows()` rather than
    through django-tables2's per-cell machinery, which costs about 0.3 ms a cell (signature
    inspection, attrs, template lookups): 50 rows of 11 columns took 150 ms more.
    """

    select = tables.CheckBoxColumn(
        accessor="pk", attrs={"th__input": {"data-select-all": "select", "aria-label": _("Select all")}},
    )
    id = tables.Column(verbose_name="#")
    subject = tables.Column(verbose_name=_("Subject"))
    buyer_nick = tables.Column(verbose_name=_("Buyer"))
    order_no = tables.Column(verbose_name=_("Order"))
    customer_phone = tables.Column(verbose_name=_("Phone"), orderable=False)
    customer_address = tables.Column(verbose_name=_("Address"), orderable=False)
    store = tables.Column(verbose_name=_("Store"), accessor="store__name", order_by=("store__name",))
    channel = tables.Column(verbose_name=_("Channel"))
    category = tables.Column(verbose_name=_("Category"))
    priority = tables.Column(verbose_name=_("Priority"), order_by=("priority_order",))
    is_major = tables.Column(verbose_name=_("Major"))
    status = tables.Column(verbose_name=_("Status"))
    queue = tables.Column(verbose_name=_("Queue"), accessor="queue__name", order_by=("queue__name",))
    assignee = tables.Column(verbose_name=_("Assignee"), order_by=("assignee__username",))
    due = tables.Column(verbose_name=_("Due"), accessor="resolution_due", order_by=("resolution_due",), empty_values=())
    first_response_due = tables.Column(verbose_name=_("First response due"))
    resolution_due = tables.Column(verbose_name=_("Resolution due"))
    rating = tables.Column(verbose_name=_("Rating"))
    created_at = tables.Column(verbose_name=_("Created"))
    updated_at = tables.Column(verbose_name=_("Updated"))
    take = tables.Column(verbose_name="", accessor="pk", orderable=False, empty_values=())

    class Meta:
        model = Ticket
        fields = []  # columns are all declared above
        sequence = [
            "select", "id", "subject", "buyer_nick", "order_no", "customer_phone", "customer_address", "store",
            "channel", "category", "priority", "is_major", "status", "queue", "assignee", "due",
            "first_response_due", "resolution_due", "rating", "created_at", "updated_at", "take",
        ]
        # Shown until the user picks their own set; "select" and "id" are always shown.
        default_columns = [
            "subject", "buyer_nick", "store", "priority", "status", "queue", "assignee", "due", "created_at",
        ]
        attrs = {"class": "table tickets", "data-testid": "ticket-table"}
        template_name = "tickets/ticket_table.html"
        empty_text = _("No tickets here.")

    FIXED_COLUMNS = ("select", "id", "take")

    def __init__(self, *args, user=None, now=None, with_select=True, selected=(), can_take=False, next_url="",
                 **kwargs):
        self.user = user
        self.now = now or timezone.now()
        self.selected = set(selected or ())
        self.next_url = next_url
        if not with_select:
            kwargs["exclude"] = tuple(kwargs.get("exclude") or ()) + ("select",)
        if not can_take:
            kwargs["exclude"] = tuple(kwargs.get("exclude") or ()) + ("take",)
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

    def html_rows(self):
        """The current page's rows as HTML, one `<tr>` each."""
        renderers = [
            (getattr(self, f"render_{column.name}"),
             format_html(' class="col-{}" data-label="{}"', column.name, column.header) if column.header else
             format_html(' class="col-{}"', column.name))
            for column in self.columns
        ]
        for row in self.paginated_rows:
            record = row.record
            cells = "".join(f"<td{attrs}>{conditional_escape(render(record))}</td>" for render, attrs in renderers)
            marks = " major" if record.is_major and record.is_open else ""
            if record.is_open and record.is_breached(self.now):
                marks += " breached"
            yield format_html('<tr data-ticket="{}" class="ticket-row{}">{}</tr>', record.pk, marks, mark_safe(cells))

    @cached_property
    def _labels(self):
        """Translated labels once per table, not once per cell (get_FOO_display rebuilds its
        choice dict on every call)."""
        return {
            name: {value: str(label) for value, label in choices}
            for name, choices in (("channel", Ticket.Channel.choices), ("category", Ticket.Category.choices),
                                  ("priority", Ticket.Priority.choices), ("status", Ticket.Status.choices))
        }

    @cached_property
    def _titles(self):
        return {key: str(text) for key, text in (
            ("paused", _("SLA clock paused")), ("past", _("Past due")), ("soon", _("Due within 2 hours")),
            ("major", _("major complaint")), ("take", _("Take it")),
        )}

    def _label(self, name, value):
        return self._labels[name].get(value, value)

    def _link(self, record, text):
        return format_html('<a href="{}">{}</a>', reverse("tickets:ticket", args=[record.pk]), text)

    def render_select(self, record):
        checked = mark_safe(" checked") if record.pk in self.selected else ""
        return format_html('<input type="checkbox" name="select" value="{}"{}>', record.pk, checked)

    def render_take(self, record):
        """"Take it": a button of the page's one take form (#take-form), so it works inside the bulk form."""
        if not record.is_open or record.assignee_id == getattr(self.user, "pk", None):
            return ""
        return format_html(
            '<button type="submit" form="take-form" class="take" formaction="{}" name="next" value="{}" '
            'data-take>{}</button>',
            reverse("tickets:ticket_take", args=[record.pk]), self.next_url, self._titles["take"])

    def render_id(self, record):
        return self._link(record, f"#{record.pk}")

    def render_subject(self, record):
        link = self._link(record, record.subject or "—")
        if record.is_major:
            return format_html('{} <span class="badge" title="{}">!</span>', link, self._titles["major"])
        return link

    def render_buyer_nick(self, record):
        return record.buyer_nick or "—"

    def render_order_no(self, record):
        return record.order_no or "—"

    def render_customer_phone(self, record):
        return pii.html(self.user, record, "customer_phone", empty="—", reveal_url=self._reveal_url)

    def render_customer_address(self, record):
        return pii.html(self.user, record, "customer_address", empty="—", reveal_url=self._reveal_url)

    @cached_property
    def _reveal_url(self):
        return reverse("pii_reveal")

    def render_store(self, record):
        return record.store.name

    def render_channel(self, record):
        return self._label("channel", record.channel)

    def render_category(self, record):
        return self._label("category", record.category)

    def render_priority(self, record):
        return format_html('<span class="{}">{}</span>', PRIORITY_CLASS.get(record.priority, ""),
                           self._label("priority", record.priority))

    def render_is_major(self, record):
        return icon("check", self._titles["major"]) if record.is_major else ""

    def render_status(self, record):
        return format_html('<span class="{}">{}</span>', STATUS_CLASS.get(record.status, "status"),
                           self._label("status", record.status))

    def render_queue(self, record):
        return record.queue.name

    def render_assignee(self, record):
        user = record.assignee
        return person_name(user, "—")

    def render_due(self, record):
        due = next_due(record)
        if not record.is_open or due is None:
            return "—"
        label = _local(due)
        if record.is_paused:
            return format_html('<span class="muted" title="{}">{} {}</span>', self._titles["paused"], label,
                               icon("pause"))
        if due < self.now:
            return format_html('<span class="bad" title="{}">{}</span>', self._titles["past"], label)
        if (due - self.now).total_seconds() <= 2 * 3600:
            return format_html('<span class="warn" title="{}">{}</span>', self._titles["soon"], label)
        return label

    def render_first_response_due(self, record):
        return _local(record.first_response_due)

    def render_resolution_due(self, record):
        return _local(record.resolution_due)

    def render_rating(self, record):
        return "★" * (record.rating or 0) or "—"

    def render_created_at(self, record):
        return _local(record.created_at)

    def render_updated_at(self, record):
        return _local(record.updated_at)


# --- Escalations ------------------------------------------------------------------------------

NOTIFICATION_STATUS_CLASS = {
    Notification.Status.SENT: "ok", Notification.Status.PENDING: "warn", Notification.Status.SENDING: "warn",
    Notification.Status.FAILED: "bad", Notification.Status.UNKNOWN: "bad",
}


def _local_datetime(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"



def notified_html(escalation):
    """Who the escalation reached, over which channel, with the delivery status (see `attach_deliveries`)."""
    if not getattr(escalation, "notified", None):
        return format_html('<span class="muted">{}</span>', gettext("nobody"))
    return format_html_join(
        ", ", '<span class="notified">{} · {} <span class="status {}">{}</span></span>',
        (
            (person_name(n.recipient), n.get_channel_display(), NOTIFICATION_STATUS_CLASS.get(n.status, ""),
             n.get_status_display())
            for n in escalation.notified
        ),
    )


class EscalationTable(tables.Table):
    """The escalation worklist: one row per ticket (its highest level), grouped by level in the
    template (tickets/escalation_table.html); acknowledge and comment in the row."""

    ticket = tables.Column(verbose_name=_("Ticket"), accessor="ticket_id")
    level = tables.Column(verbose_name=_("Highest level"), accessor="level__position")
    overdue = tables.Column(verbose_name=_("Overdue since the breach"), accessor="clock_due", empty_values=())
    fired_at = tables.Column(verbose_name=_("Level reached at"))
    team = tables.Column(verbose_name=_("Team"), accessor="queue__team__name")
    notified = tables.Column(verbose_name=_("Notified"), accessor="pk", empty_values=())
    acknowledged = tables.Column(verbose_name=_("Acknowledgement"), accessor="acknowledged_at", empty_values=())
    actions = tables.Column(verbose_name="", accessor="pk", empty_values=())

    class Meta:
        model = Escalation
        fields = ["ticket", "level", "overdue", "fired_at", "team", "notified", "acknowledged", "actions"]
        default_columns = fields
        orderable = False  # the worklist's order is its grouping: level, then the longest overdue
        template_name = "tickets/escalation_table.html"
        empty_text = _("No escalation needs attention.")
        attrs = {"class": "table escalations", "data-testid": "escalation-table"}
        row_attrs = {"data-escalation": lambda record: record.pk, "data-ticket": lambda record: record.ticket_id}

    def __init__(self, *args, next_url="", **kwargs):
        super().__init__(*args, **kwargs)
        self.next_url = next_url

    def render_ticket(self, record):
        return format_html('<a href="{}">#{}</a> {}', ticket_url(record.ticket_id), record.ticket_id,
                           record.ticket.subject or record.ticket.buyer_nick)

    def render_level(self, record):
        return format_html("{}. {} <span class=\"muted small\">{} v{}</span>", record.level.position,
                           record.level.display_name, record.level.ladder.policy.name, record.level.ladder.version)

    def render_overdue(self, record):
        # `late` and `overdue` come from the view's prepare(), both at the same `now`.
        return format_html('<span class="{}">{}</span>', "bad" if getattr(record, "late", False) else "warn",
                           getattr(record, "overdue", ""))

    def render_fired_at(self, record):
        return _local_datetime(record.fired_at)

    def render_notified(self, record):
        return notified_html(record)

    def render_acknowledged(self, record):
        if record.acknowledged_at is None:
            text = format_html('<span class="muted">{}</span>', gettext("not acknowledged"))
        else:
            text = gettext("%(user)s at %(at)s") % {
                "user": person_name(record.acknowledged_by), "at": _local_datetime(record.acknowledged_at),
            }
            if getattr(record, "held", False):
                text += " · " + gettext("ladder halted until %(until)s") % {
                    "until": _local_datetime(record.hold_until)}
        comments = format_html_join(
            "", '<li class="small"><strong>{}</strong> {}: {}</li>',
            ((person_name(entry.actor), _local_datetime(entry.at), entry.body) for entry in getattr(record, "comments", [])))
        if comments:
            return format_html('{}<ul class="plain escalation-comments">{}</ul>', text, comments)
        return text

    def render_actions(self, record):
        if not getattr(record, "can_comment", False):
            return ""
        return worklist_form(record, self.request, self.next_url)


def worklist_form(escalation, request, next_url=""):
    """A comment box with "Acknowledge" (when it may still be acknowledged) and "Comment" buttons."""
    acknowledge = format_html(
        '<button type="submit" class="primary" formaction="{}" data-testid="acknowledge-{}">{}</button>',
        reverse("tickets:escalation_acknowledge", args=[escalation.pk]), escalation.pk, gettext("Acknowledge"),
    ) if getattr(escalation, "can_ack", False) else ""
    return format_html(
        '<form method="post" action="{}" class="worklist-form" data-testid="worklist-form-{}">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}"><input type="hidden" name="next" value="{}">'
        '<label class="sr-only" for="comment-{}">{}</label>'
        '<textarea id="comment-{}" name="comment" rows="1" maxlength="2000" placeholder="{}"></textarea>'
        '{} <button type="submit" data-testid="comment-{}">{}</button></form>',
        reverse("tickets:escalation_comment", args=[escalation.pk]), escalation.pk, get_token(request), next_url,
        escalation.pk, pgettext("escalation", "Comment"), escalation.pk, gettext("Comment (optional when acknowledging)"),
        acknowledge, escalation.pk, pgettext("escalation", "Comment"),
    )
