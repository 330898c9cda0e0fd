"""Escalation pages: the list of escalations (open by default; by level, age, acknowledgement),
the acknowledge action, and the ticket page's escalation panel (tickets/templatetags)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from portal.permissions import has_action, restrict
from portal.views import RestrictedListView
from tickets.escalation.acknowledge import acknowledge
from tickets.escalation.recipients import attach_deliveries, ticket_url
from tickets.filtersets import EscalationFilterSet
from tickets.models import Escalation
from tickets.tables import EscalationTable


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

