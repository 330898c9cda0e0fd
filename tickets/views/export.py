"""CSV export of a queue page with its filters: streamed, PII masked for everyone (`portal.pii`)."""


from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from portal import pii
from portal.exports import Echo, csv_writer
from portal.formatting import person_name
from portal.permissions import has_action
from tickets.filtersets import TicketFilterSet
from tickets.models import Ticket
from tickets.views.queues import queue_page, queue_queryset

EXPORT_COLUMNS = [
    ("id", gettext_lazy("ticket")), ("created_at", gettext_lazy("created at")), ("store", gettext_lazy("store")),
    ("channel", gettext_lazy("channel")), ("category", gettext_lazy("category")),
    ("priority", gettext_lazy("priority")), ("is_major", gettext_lazy("major complaint")),
    ("status", gettext_lazy("status")), ("queue", gettext_lazy("queue")), ("team", gettext_lazy("team")),
    ("assignee", gettext_lazy("assignee")), ("order_no", gettext_lazy("order number")),
    ("buyer_nick", gettext_lazy("buyer nick")), ("customer_phone", gettext_lazy("customer phone")),
    ("customer_address", gettext_lazy("customer address")), ("subject", gettext_lazy("subject")),
    ("first_response_due", gettext_lazy("first response due")), ("first_response_at", gettext_lazy("first response at")),
    ("resolution_due", gettext_lazy("resolution due")), ("resolved_at", gettext_lazy("resolved at")),
    ("sla_breached", gettext_lazy("missed a target")), ("rating", gettext_lazy("satisfaction rating")),
]


EXPORT_FIELDS = [
    "id", "created_at", "store__code", "channel", "category", "priority", "is_major", "status", "queue__name",
    "queue__team__name", "assignee__first_name", "assignee__last_name", "assignee__username", "order_no",
    "buyer_nick", "customer_phone", "customer_address", "subject", "first_response_due", "first_response_at",
    "resolution_due", "resolved_at", "sla_breached", "rating",
]


class ExportRows:
    """CSV rows of tickets for one user. Choice labels and the time zone are looked up once:
    `get_FOO_display()` per cell made a 100k-ticket export spend most of its time in gettext."""

    def __init__(self, user):
        self.user = user
        self.zone = timezone.get_current_timezone()
        self.labels = {
            name: {value: str(label) for value, label in choices}
            for name, choices in (("channel", Ticket.Channel.choices), ("category", Ticket.Category.choices),
                                  ("priority", Ticket.Priority.choices), ("status", Ticket.Status.choices))
        }

    def when(self, value):
        return value.astimezone(self.zone).strftime("%Y-%m-%d %H:%M") if value else ""

    def row(self, ticket):
        assignee = ticket.assignee
        labels, when = self.labels, self.when
        return [
            ticket.pk, when(ticket.created_at), ticket.store.code, labels["channel"].get(ticket.channel),
            labels["category"].get(ticket.category), labels["priority"].get(ticket.priority),
            "1" if ticket.is_major else "0", labels["status"].get(ticket.status), ticket.queue.name,
            ticket.queue.team.name, person_name(assignee),
            ticket.order_no, ticket.buyer_nick,
            pii.masked(ticket, "customer_phone"), pii.masked(ticket, "customer_address"),
            ticket.subject, when(ticket.first_response_due), when(ticket.first_response_at),
            when(ticket.resolution_due), when(ticket.resolved_at), "1" if ticket.sla_breached else "0",
            ticket.rating or "",
        ]


class TicketExportView(LoginRequiredMixin, View):
    """CSV of a queue page (`view`) with its filters: the rows the user may export, PII masked for
    everyone (a file has no "show" control; a value is revealed, audited, on its page), streamed in chunks (constant memory, a constant number of queries)."""

    def get(self, request):
        user = request.user
        if not has_action(user, Ticket, "export"):
            raise PermissionDenied(_("Your role does not allow this."))
        page = queue_page(request.GET.get("view") or "all")
        if not page.allowed(user):
            raise PermissionDenied(_("Your role does not allow this."))
        now = timezone.now()
        filterset = TicketFilterSet(request.GET or None, queryset=queue_queryset(user, "export", page, now),
                                    request=request)
        if filterset.is_bound and not filterset.is_valid():
            errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items())
            messages.error(request, _("The export filters are not valid: %(errors)s") % {"errors": errors})
            return redirect(reverse(page.url_name))
        # Only the exported columns: a ticket has a dozen more datetimes to convert per row.
        queryset = filterset.qs.order_by("-created_at", "-id").only(*EXPORT_FIELDS)
        writer = csv_writer(Echo())  # formula-like cells neutralised (portal.exports)
        export = ExportRows(user)

        def rows():
            yield "\ufeff"  # BOM: spreadsheet programs then read the UTF-8 (Chinese) text correctly
            yield writer.writerow([str(label) for _key, label in EXPORT_COLUMNS])
            for ticket in queryset.iterator(chunk_size=2000):
                yield writer.writerow(export.row(ticket))

        stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="tickets-{page.key}-{stamp}.csv"'
        return response

