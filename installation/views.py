"""Installation pages: the job list, the job page (node stepper, events, photos, linked tickets and
parcel, the form to record the next node), the stepper's JSON for live polling, and the one-click
transfer of a ticket to installation. Thin: writes go through installation/services.py; the table
is in installation/tables.py, the forms in installation/forms.py."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView

from installation.filtersets import InstallationJobFilterSet
from installation.forms import InstallationEventForm, InstallationJobForm, MoveAppointmentForm, event_forms
from installation.models import InstallationAlert, InstallationEvent, InstallationJob, InstallationNode
from installation.panels import at_risk_alerts
from installation.photos import open_photo
from installation.services import (
    allowed_next,
    check_move,
    create_job,
    move_appointment,
    record_event,
    stepper,
    transfer_to_installation,
)
from installation.tables import InstallationJobTable
from logistics.models import Dispatch, Shipment
from portal.permissions import access, has_action, restrict
from portal.views import RestrictedListView, RestrictedViewMixin


class InstallationJobListView(RestrictedListView):
    model = InstallationJob
    table_class = InstallationJobTable
    filterset_class = InstallationJobFilterSet
    title = gettext_lazy("Installation jobs")
    template_name = "installation/job_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add"] = has_action(self.request.user, InstallationJob, "add")
        return context

    def get_queryset(self):
        return super().get_queryset().select_related("store", "product", "partner").order_by("-requested_at", "-id")




class InstallationJobDetailView(RestrictedViewMixin, DetailView):
    model = InstallationJob
    template_name = "installation/job_detail.html"
    context_object_name = "job"

    def get_queryset(self):
        return super().get_queryset().select_related("store", "product", "partner", "shipment")

    def get_context_data(self, bound=None, **kwargs):
        from tickets.models import Ticket

        context = super().get_context_data(**kwargs)
        job, user = self.object, self.request.user
        events = list(InstallationEvent.objects.filter(job=job).select_related("actor", "partner").order_by("at", "id"))
        context["events"] = events
        context["stepper"] = stepper(job, events)
        context["photos"] = [{"url": url, "thumb": url} for event in events for url in event.photos] + [
            {"url": reverse("installation:job_photo", args=[job.pk, event.pk, index]),
             "thumb": reverse("installation:job_photo", args=[job.pk, event.pk, index]) + "?size=thumb"}
            for event in events for index in range(len(event.photo_files))]
        context["alerts"] = InstallationAlert.objects.filter(job=job).order_by("-opened_at")
        context["at_risk"] = at_risk_alerts(user, [job.pk])
        context["dispatches"] = restrict(Dispatch.objects.filter(installation_job_id=job.pk), user, "view").order_by(
            "created_at", "id")
        ticket_ids = list(job.ticket_links.values_list("ticket_id", flat=True))
        context["tickets"] = restrict(Ticket.objects.filter(pk__in=ticket_ids), user, "view").select_related("queue")
        context["hidden_tickets"] = len(ticket_ids) - len(context["tickets"])
        context["shipment"] = (restrict(Shipment.objects.filter(pk=job.shipment_id), user, "view").first()
                               if job.shipment_id else None)
        if job.is_open and has_action(user, InstallationJob, "progress"):
            context["event_forms"] = event_forms(job, now=timezone.now(), bound=bound)
        context["title"] = _("Installation job #%(id)s") % {"id": job.pk}
        return context


class InstallationEventView(LoginRequiredMixin, View):
    """POST the job's next node from its page."""

    def post(self, request, pk):
        job = access(InstallationJob.objects.all(), request.user, "progress", pk)
        # Which node's form was sent: its prefix names it ("event-<node>-...").
        node = next((n for n in allowed_next(job.node) if f"event-{n}-node" in request.POST), None)
        prefix = f"event-{node}"
        if node is None and request.POST.get("node") in allowed_next(job.node):  # an unprefixed form (scripts)
            node, prefix = request.POST["node"], ""
        if node is None:  # a node the job cannot move to: the page again, with the reason
            try:
                check_move(job, request.POST.get("node", ""))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            return self._page(request, pk, None)
        form = InstallationEventForm(request.POST, request.FILES, job=job, node=node, prefix=prefix)
        if form.is_valid():
            data = form.cleaned_data
            try:
                record_event(
                    job, node=node, actor=request.user, now=timezone.now(), at=data["time"],
                    note=data["note"], technician_name=data.get("technician", ""),
                    technician_phone=data.get("technician_phone", ""),
                    appointment_start=data.get("appointment_start"), appointment_end=data.get("appointment_end"),
                    photo_files=data.get("photos") or [], reason=data.get("reason", ""),
                    customer_confirmed=data.get("customer_confirmed", False),
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    target = {"time": "time", "technician": "technician"}.get(field, field)
                    form.add_error(target if target in form.fields else None, errors)
            else:
                messages.success(request, _("Recorded: %(node)s.") % {"node": dict(InstallationNode.choices)[node]})
                return redirect("installation:job", pk=job.pk)
        return self._page(request, pk, form)

    def _page(self, request, pk, form):
        view = InstallationJobDetailView(request=request, kwargs={"pk": pk}, args=())
        view.object = InstallationJob.objects.select_related("store", "product", "partner", "shipment").get(pk=pk)
        return render(request, view.template_name, view.get_context_data(bound=form, object=view.object), status=400)


class InstallationPhotoView(LoginRequiredMixin, View):
    """An uploaded proof photo (`?size=thumb`: its thumbnail), streamed from private storage to
    whoever may see the job; anyone else gets 404 (403 for a role without the verb)."""

    def get(self, request, pk, event_pk, index):
        job = access(InstallationJob.objects.all(), request.user, "view", pk)
        event = InstallationEvent.objects.filter(job=job, pk=event_pk).only("photo_files").first()
        if event is None or not 0 <= index < len(event.photo_files):
            raise Http404
        try:
            handle, content_type = open_photo(event.photo_files[index], thumbnail=request.GET.get("size") == "thumb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(handle, content_type=content_type)
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class MoveAppointmentView(LoginRequiredMixin, View):
    """POST a new window from an appointment-at-risk alert's page: the job is rescheduled, the alert
    closes, the technician and the customer are told; back to the alert (or the job) with the outcome."""

    def post(self, request, pk):
        job = access(InstallationJob.objects.all(), request.user, "progress", pk)
        form = MoveAppointmentForm(request.POST)
        back = redirect("installation:job", pk=job.pk)
        if form.is_valid() and form.cleaned_data["alert"]:
            back = redirect("logistics:alert", pk=form.cleaned_data["alert"])
        if form.is_valid():
            data = form.cleaned_data
            try:
                move_appointment(job, actor=request.user, now=timezone.now(), start=data["appointment_start"],
                                 end=data["appointment_end"], note=data["note"])
            except ValidationError as error:
                form.add_error(None, [message for messages_ in error.message_dict.values() for message in messages_])
            else:
                messages.success(request, _("The appointment is moved; the technician and the customer are told."))
                return back
        errors = [message for messages_ in form.errors.values() for message in messages_]
        messages.error(request, _("The appointment was not moved: %(errors)s") % {"errors": " ".join(errors)})
        return back


class InstallationStatusView(RestrictedViewMixin, View):
    """The node stepper as JSON, polled by the ticket page and the job page."""

    model = InstallationJob

    def get(self, request, pk):
        job = restrict(InstallationJob.objects.all(), request.user, "view").filter(pk=pk).first()
        if job is None:
            raise Http404
        events = InstallationEvent.objects.filter(job=job).select_related("actor", "partner").order_by("at", "id")
        data = stepper(job, list(events))
        data["url"] = reverse("installation:job", args=[job.pk])
        return JsonResponse(data)


class TransferToInstallationView(LoginRequiredMixin, View):
    """One click on the ticket page: the ticket goes to installation, the job is created or linked."""

    def post(self, request, ticket_id):
        from tickets.models import Ticket

        ticket = access(Ticket.objects.all(), request.user, "transfer", ticket_id)
        try:
            job = transfer_to_installation(ticket, actor=request.user, now=timezone.now())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Transferred to installation; job #%(id)s.") % {"id": job.pk})
        if not restrict(Ticket.objects.filter(pk=ticket.pk), request.user, "view").exists():
            return redirect("tickets:ticket_list")
        return redirect(reverse("tickets:ticket", args=[ticket.pk]) + "#installation")


class InstallationJobCreateView(RestrictedViewMixin, View):
    model = InstallationJob
    permission_action = "add"
    template_name = "installation/job_form.html"

    def get(self, request):
        return render(request, self.template_name, {"form": InstallationJobForm(user=request.user),
                                                    "title": _("New installation job")})

    def post(self, request):
        form = InstallationJobForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = create_job(actor=request.user, now=timezone.now(), **data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Installation job #%(id)s opened.") % {"id": job.pk})
                return redirect("installation:job", pk=job.pk)
        return render(request, self.template_name, {"form": form, "title": _("New installation job")}, status=400)
