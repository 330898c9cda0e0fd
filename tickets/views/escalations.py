"""Escalation pages: the worklist (one row per ticket at the highest level it reached, grouped by
level, with the time overdue since the breach; open by default), the acknowledge and comment
actions (from the list, or from the link in the SMS after signing in), and the ticket page's
escalation panel (tickets/templatetags)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from portal.formatting import duration
from portal.permissions import has_action, restrict
from portal.views import RestrictedListView, safe_next
from tickets.escalation.acknowledge import acknowledge, comment
from tickets.escalation.recipients import attach_deliveries
from tickets.filtersets import EscalationFilterSet
from tickets.models import Escalation, TimelineEntry
from tickets.tables import EscalationTable


def overdue_text(escalation, now) -> str:
    """Time past the due time the level measured (the breach), or the time left for a warning."""
    if escalation.clock_due is None:
        return "—"
    minutes = int((now - escalation.clock_due).total_seconds() // 60)
    if minutes >= 0:
        return _("%(time)s overdue") % {"time": duration(minutes)}
    return _("due in %(time)s") % {"time": duration(-minutes)}


def attach_comments(escalations):
    """`comments` on each escalation: the comments written on it, oldest first (one query)."""
    by_id = {e.pk: e for e in escalations}
    for escalation in escalations:
        escalation.comments = []
    if by_id:
        entries = (TimelineEntry.objects.filter(kind=TimelineEntry.Kind.ESCALATION,
                                                ticket_id__in={e.ticket_id for e in escalations},
                                                data__has_key="escalation_comment")
                   .select_related("actor").order_by("at", "id"))
        for entry in entries:
            escalation = by_id.get(entry.data.get("escalation_comment"))
            if escalation is not None:
                escalation.comments.append(entry)
    return escalations


def prepare(escalations, user, now):
    """Attach `notified` (with delivery status), `overdue` and `late` (past the due time at `now`),
    `can_ack` and `held` to each escalation (a constant number of queries whatever their number)."""
    escalations = attach_comments(attach_deliveries(escalations))
    ids = [e.pk for e in escalations]
    ackable = set()
    if ids and has_action(user, Escalation, "acknowledge"):
        ackable = set(restrict(Escalation.objects.filter(pk__in=ids), user, "acknowledge").values_list("pk", flat=True))
    for escalation in escalations:
        escalation.overdue = overdue_text(escalation, now)
        escalation.late = escalation.clock_due is not None and escalation.clock_due <= now
        escalation.can_comment = escalation.pk in ackable
        escalation.can_ack = (
            escalation.pk in ackable and escalation.acknowledged_at is None
            and escalation.ticket.is_open and escalation.cycle == escalation.ticket.sla_cycle
        )
        escalation.held = bool(escalation.hold_until and escalation.hold_until > now)
    return escalations


class EscalationListView(RestrictedListView):
    """The escalation worklist: of the escalations in the user's scope (an executive: those that
    reached them) that match the filters, one row per ticket at the highest level it reached,
    grouped by level (highest first), the longest overdue first."""

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

    def get_table_data(self):
        matching = super().get_table_data()
        higher = matching.filter(ticket_id=OuterRef("ticket_id")).filter(
            Q(level__position__gt=OuterRef("level__position"))
            | Q(level__position=OuterRef("level__position"), pk__gt=OuterRef("pk")))
        return matching.filter(~Exists(higher)).order_by("-level__position", F("clock_due").asc(nulls_last=True),
                                                         "id")

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        rows = table.page.object_list if hasattr(table, "page") else table.data
        prepare(list(rows.data if hasattr(rows, "data") else rows), self.request.user, timezone.now())
        return table

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["read_only"] = not has_action(self.request.user, Escalation, "acknowledge")
        return context


def _follow(request, escalation):
    return redirect(safe_next(request, reverse("tickets:escalation_list") + f"?ticket={escalation.ticket_id}"))


class EscalationAcknowledgeView(LoginRequiredMixin, View):
    """POST: take ownership of an escalation (recipients and the people above the team)."""

    def post(self, request, pk):
        if not has_action(request.user, Escalation, "acknowledge"):
            raise PermissionDenied(_("Your role does not allow this."))
        escalation = get_object_or_404(restrict(Escalation.objects.all(), request.user, "acknowledge"), pk=pk)
        now = timezone.now()
        text = request.POST.get("comment", "").strip()
        try:
            with transaction.atomic():
                acknowledge(escalation, actor=request.user, now=now)
                if text:
                    comment(escalation, actor=request.user, now=now, text=text)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Escalation acknowledged: further levels wait for the acknowledgement window."))
        return _follow(request, escalation)


class EscalationCommentView(LoginRequiredMixin, View):
    """POST `comment`: a remark on an escalation (whoever may acknowledge it), on the ticket's timeline."""

    def post(self, request, pk):
        if not has_action(request.user, Escalation, "acknowledge"):
            raise PermissionDenied(_("Your role does not allow this."))
        escalation = get_object_or_404(restrict(Escalation.objects.all(), request.user, "acknowledge"), pk=pk)
        try:
            comment(escalation, actor=request.user, now=timezone.now(), text=request.POST.get("comment", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Comment added."))
        return _follow(request, escalation)


def ticket_escalations(user, ticket, now):
    """The ticket's escalations the user may see, newest first, prepared for display."""
    queryset = restrict(Escalation.objects.filter(ticket=ticket), user, "view").with_related().order_by("-fired_at",
                                                                                                       "-id")
    return prepare(list(queryset), user, now)

