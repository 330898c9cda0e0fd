"""The ticket page's work forms (reply, note, assign, transfer, status, reopen, close, merge, rate),
the edit page and opening a ticket by hand: POST views that call tickets/services.py.

Not in scope: 404; verb not allowed: 403; invalid: the page again with the form's errors; done:
back to the page (POST-redirect-GET).
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from portal.permissions import can, has_action, restrict
from portal.views import RestrictedViewMixin, safe_next
from tickets import forms as f
from tickets import services
from tickets.models import Ticket, TimelineEntry
from tickets.views.ticket import (
    ACTION_FORMS,
    THREAD_KINDS,
    build_form,
    describe_entries,
    display_name,
    ticket_context,
    ticket_queryset,
)


def put_errors(form, exc: ValidationError):
    """Domain errors back on the form: a field's own error where the form has that field."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error.messages if hasattr(error, "messages") else error)
    else:
        form.add_error(None, exc.messages)


class TicketActionView(LoginRequiredMixin, View):
    """POST one work form of the ticket page. Not in scope: 404; verb not allowed: 403;
    invalid: the page again with the form's errors; done: back to the page (POST-redirect-GET)."""

    key = ""

    def fetch(self, request, pk):
        """The ticket, if in the user's scope (else 404) and the verb is theirs on it (else 403)."""
        user = request.user
        ticket = get_object_or_404(ticket_queryset(user), pk=pk)
        verb = ACTION_FORMS[self.key][1]
        if not (has_action(user, Ticket, verb) and can(user, ticket, verb)):
            raise PermissionDenied(_("Your role does not allow this."))
        return ticket

    def post(self, request, pk):
        user = request.user
        ticket = self.fetch(request, pk)
        form = build_form(self.key, ticket, user, data=request.POST)
        if form.is_valid():
            try:
                message = self.perform(form, ticket, user, timezone.now())
            except ValidationError as exc:
                put_errors(form, exc)
            else:
                messages.success(request, message)
                return self.success_redirect(request, ticket)
        # The domain function may have touched the instance before refusing: show the stored state.
        ticket = get_object_or_404(ticket_queryset(user), pk=pk)
        form.ticket = ticket
        return self.render_invalid(request, ticket, form)

    def render_invalid(self, request, ticket, form):
        context = ticket_context(request, ticket, bound=(self.key, form))
        context["error_form"] = self.key
        return render(request, "tickets/ticket_detail.html", context)

    def success_redirect(self, request, ticket):
        if restrict(Ticket.objects.filter(pk=ticket.pk), request.user, "view").exists():
            return redirect(reverse("tickets:ticket", args=[ticket.pk]) + f"#{self.anchor}")
        # Transferred out of the user's scope: back to their queue.
        return redirect("tickets:ticket_list")

    anchor = "timeline"

    def perform(self, form, ticket, user, now) -> str:
        raise NotImplementedError


class ComposeView(TicketActionView):
    """The composer: a public reply or an internal note, optionally setting the status, in one send.
    If the ticket got new messages since the page was opened (`seen`), nothing is sent: the page
    shows them with the text kept, and the next send (confirmed) goes out."""

    key = "compose"
    anchor = "thread"

    def post(self, request, pk):
        user = request.user
        ticket = self.fetch(request, pk)
        form = build_form(self.key, ticket, user, data=request.POST)
        if form.is_valid() and not form.cleaned_data["confirm"]:
            newer = changes_since(ticket, user, form.cleaned_data["seen"])
            if newer:
                data = request.POST.copy()
                data[f"{self.key}-confirm"] = "1"
                data[f"{self.key}-seen"] = str(newer[-1].pk)
                form = build_form(self.key, ticket, user, data=data)
                form.is_valid()
                context = ticket_context(request, ticket, bound=(self.key, form),
                                         conflict=describe_entries(newer))
                context["error_form"] = self.key
                return render(request, "tickets/ticket_detail.html", context, status=409)
        return super().post(request, pk)

    def perform(self, form, ticket, user, now):
        data = form.cleaned_data
        status = data["status"] or None
        if status == Ticket.Status.RESOLVED and not (has_action(user, Ticket, "resolve") and can(user, ticket, "resolve")):
            raise PermissionDenied(_("Your role does not allow this."))
        if data["mode"] == f.ComposeForm.NOTE:
            services.add_note(ticket, actor=user, body=data["body"], now=now, handling_seconds=form.handling_seconds(),
                              status=status)
            return _("Note added.")
        services.reply(ticket, actor=user, body=data["body"], macro=data.get("macro"), now=now,
                       handling_seconds=form.handling_seconds(), status=status)
        return _("Reply sent.")


def changes_since(ticket, user, seen):
    """Messages and notes others added to the ticket after entry `seen` (the page's latest)."""
    if seen is None:
        return []
    return list(ticket.timeline.filter(pk__gt=seen, kind__in=THREAD_KINDS).exclude(actor=user)
                .select_related("actor").order_by("at", "id"))


class TakeView(TicketActionView):
    """"Take it": assign the ticket to oneself (anyone who may work it), guards permitting."""

    key = "compose"  # the verb of working the ticket (reply)

    def post(self, request, pk):
        user = request.user
        ticket = self.fetch(request, pk)
        try:
            services.take(ticket, actor=user, now=timezone.now())
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Ticket #%(id)s is yours.") % {"id": ticket.pk})
        return redirect(safe_next(request, reverse("tickets:ticket", args=[ticket.pk])))


class RetryDeliveryView(TicketActionView):
    """Send a reply that failed to reach the buyer again (its outbound message back in the queue)."""

    key = "compose"

    def post(self, request, pk, message_id):
        from portal import outbound
        from portal.models import OutboundMessage

        ticket = self.fetch(request, pk)
        sources = [services.reply_source(e) for e in ticket.timeline.filter(kind=TimelineEntry.Kind.REPLY)]
        message = get_object_or_404(OutboundMessage, pk=message_id, source__in=sources)
        try:
            outbound.retry(message, now=timezone.now())
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("The reply is queued to be sent again."))
        return redirect(reverse("tickets:ticket", args=[ticket.pk]) + "#thread")


class ReplyView(TicketActionView):
    key = "reply"

    def perform(self, form, ticket, user, now):
        data = form.cleaned_data
        services.reply(
            ticket, actor=user, body=data["body"], macro=data["macro"], now=now,
            handling_seconds=f.handling_seconds(data), status=data["status"] or None,
        )
        return _("Reply sent.")


class NoteView(TicketActionView):
    key = "note"

    def perform(self, form, ticket, user, now):
        services.add_note(ticket, actor=user, body=form.cleaned_data["body"], now=now,
                          handling_seconds=f.handling_seconds(form.cleaned_data))
        return _("Note added.")


class AssignView(TicketActionView):
    key = "assign"

    def perform(self, form, ticket, user, now):
        assignee = form.cleaned_data["assignee"]
        services.assign(ticket, actor=user, assignee=assignee, now=now)
        return _("Assigned to %(name)s.") % {"name": display_name(assignee)} if assignee else _("Unassigned.")


class TransferView(TicketActionView):
    key = "transfer"

    def perform(self, form, ticket, user, now):
        data = form.cleaned_data
        services.transfer(ticket, actor=user, now=now, queue=data["queue"], note=data["note"],
                          round_robin=data["round_robin"])
        return _("Transferred to %(queue)s (%(team)s).") % {"queue": data["queue"].name,
                                                              "team": data["queue"].team.name}


class StatusView(TicketActionView):
    key = "status"

    def perform(self, form, ticket, user, now):
        data = form.cleaned_data
        if data["status"] == Ticket.Status.RESOLVED:
            services.resolve(ticket, actor=user, now=now, note=data["note"], handling_seconds=f.handling_seconds(data))
            return _("Ticket resolved.")
        if not has_action(user, Ticket, "change") or not can(user, ticket, "change"):
            raise PermissionDenied(_("Your role does not allow this."))
        services.change_status(ticket, actor=user, status=data["status"], now=now, note=data["note"])
        return _("Status changed.")


class ReopenView(TicketActionView):
    key = "reopen"

    def perform(self, form, ticket, user, now):
        services.reopen(ticket, actor=user, now=now, reason=form.cleaned_data["reason"])
        return _("Ticket reopened.")


class CloseView(TicketActionView):
    key = "close"

    def perform(self, form, ticket, user, now):
        services.close(ticket, actor=user, now=now, note=form.cleaned_data["note"])
        return _("Ticket closed.")


class MergeView(TicketActionView):
    key = "merge"

    def perform(self, form, ticket, user, now):
        into = form.cleaned_data["into"]
        services.merge(ticket, into=into, actor=user, now=now)
        return _("Merged into #%(id)s.") % {"id": into.pk}


class RateView(TicketActionView):
    key = "rate"

    def perform(self, form, ticket, user, now):
        services.rate(ticket, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"],
                      actor=user, now=now)
        return _("Rating recorded.")


class EditView(TicketActionView):
    """The ticket's descriptive fields on a page of their own (ticket_edit)."""

    key = "edit"
    anchor = "details"

    def get(self, request, pk):
        ticket = self.fetch(request, pk)
        return self.render_invalid(request, ticket, build_form(self.key, ticket, request.user))

    def render_invalid(self, request, ticket, form):
        title = _("Edit ticket #%(id)s") % {"id": ticket.pk}
        return render(request, "tickets/ticket_edit.html", {"ticket": ticket, "form": form, "title": title})

    def perform(self, form, ticket, user, now):
        services.update_ticket(ticket, actor=user, now=now, **form.changes())
        return _("Ticket updated.")


class TicketCreateView(RestrictedViewMixin, FormView):
    """Open a ticket by hand; the new ticket must be one the user may see (else nothing is saved)."""

    model = Ticket
    permission_action = "add"
    form_class = f.TicketForm
    template_name = "tickets/ticket_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "title": _("New ticket")}

    def form_valid(self, form):
        user = self.request.user
        try:
            with transaction.atomic():
                ticket = services.create_ticket(actor=user, now=timezone.now(), **form.create_kwargs())
                # Where the user works ("add"), not merely may read ("view": the opener always may).
                if not restrict(Ticket.objects.filter(pk=ticket.pk), user, "add").exists():
                    raise ValidationError({"queue": _("The ticket would land in a queue outside your scope.")})
        except ValidationError as exc:
            put_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Ticket #%(id)s opened.") % {"id": ticket.pk})
        return redirect("tickets:ticket", pk=ticket.pk)

