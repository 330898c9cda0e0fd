"""Installation pages: the job list, the job page (node stepper, events, photos, linked tickets and
parcel, the form to record the next node), the stepper's JSON for live polling, and the one-click
transfer of a ticket to installation. Thin: writes go through logistics/installation.py."""

import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView

from logistics.installation import allowed_next, create_job, record_event, stepper, transfer_to_installation
from logistics.installation_filtersets import InstallationJobFilterSet
from logistics.installation_models import (
    InstallationAlert,
    InstallationEvent,
    InstallationJob,
    InstallationNode,
    InstallationPartner,
    Product,
)
from logistics.models import Shipment
from portal.models import Store
from portal.permissions import has_action, restrict
from portal.views import RestrictedListView, RestrictedViewMixin

NODE_CLASS = {"completed": "ok", "failed": "bad", "cancelled": "muted", "rescheduled": "warn"}


class InstallationJobTable(tables.Table):
    id = tables.Column(verbose_name="#", linkify=("logistics:installation", {"pk": tables.A("pk")}))
    store = tables.Column(accessor="store__name", verbose_name=gettext_lazy("store"))
    order_number = tables.Column(verbose_name=gettext_lazy("order number"))
    product = tables.Column(accessor="product__sku", verbose_name=gettext_lazy("product"))
    partner = tables.Column(accessor="partner__name", verbose_name=gettext_lazy("partner"))
    node = tables.Column(verbose_name=gettext_lazy("node"))
    appointment_start = tables.DateTimeColumn(verbose_name=gettext_lazy("appointment"), format="Y-m-d H:i")
    technician_name = tables.Column(verbose_name=gettext_lazy("technician"))
    requested_at = tables.DateTimeColumn(verbose_name=gettext_lazy("requested at"), format="Y-m-d H:i")

    class Meta:
        model = InstallationJob
        fields = ["id", "store", "order_number", "product", "partner", "node", "appointment_start",
                  "technician_name", "requested_at"]
        default_columns = fields
        attrs = {"class": "table", "data-testid": "installation-table"}

    def render_node(self, record, value):
        return node_badge(record.node, value)


def node_badge(node, label):
    return format_html('<span class="status {}" data-node="{}">{}</span>', NODE_CLASS.get(node, ""), node, label)


class InstallationJobListView(RestrictedListView):
    model = InstallationJob
    table_class = InstallationJobTable
    filterset_class = InstallationJobFilterSet
    title = gettext_lazy("Installation jobs")
    template_name = "logistics/installation_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add"] = has_action(self.request.user, InstallationJob, "add")
        return context

    def get_queryset(self):
        return super().get_queryset().select_related("store", "product", "partner").order_by("-requested_at", "-id")


class MultiURLField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 2})

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class InstallationEventForm(forms.Form):
    """The next node of a job, with the details that node needs."""

    node = forms.ChoiceField(label=gettext_lazy("Next node"))
    time = forms.DateTimeField(label=gettext_lazy("Time (empty: now)"), required=False,
                               widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    appointment_start = forms.DateTimeField(label=gettext_lazy("Appointment from"), required=False,
                                            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    appointment_end = forms.DateTimeField(label=gettext_lazy("Appointment until"), required=False,
                                          widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    technician = forms.CharField(label=gettext_lazy("Technician"), max_length=100, required=False)
    technician_phone = forms.CharField(label=gettext_lazy("Technician phone"), max_length=30, required=False)
    photos = MultiURLField(label=gettext_lazy("Photo URLs (one per line)"), required=False)
    customer_confirmed = forms.BooleanField(label=gettext_lazy("Customer confirmed"), required=False)
    reason = forms.CharField(label=gettext_lazy("Reason (failed, cancelled)"), max_length=300, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, job, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(InstallationNode.choices)
        self.fields["node"].choices = [(node, labels[node]) for node in allowed_next(job.node)]


class InstallationJobDetailView(RestrictedViewMixin, DetailView):
    model = InstallationJob
    template_name = "logistics/installation_detail.html"
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
        context["photos"] = [url for event in events for url in event.photos]
        context["alerts"] = InstallationAlert.objects.filter(job=job).order_by("-opened_at")
        ticket_ids = list(job.ticket_links.values_list("ticket_id", flat=True))
        context["tickets"] = restrict(Ticket.objects.filter(pk__in=ticket_ids), user, "view").select_related("queue")
        context["hidden_tickets"] = len(ticket_ids) - len(context["tickets"])
        context["shipment"] = (restrict(Shipment.objects.filter(pk=job.shipment_id), user, "view").first()
                               if job.shipment_id else None)
        if job.is_open and has_action(user, InstallationJob, "progress"):
            context["event_form"] = bound or InstallationEventForm(job=job)
        context["title"] = _("Installation job #%(id)s") % {"id": job.pk}
        return context


class InstallationEventView(LoginRequiredMixin, View):
    """POST the job's next node from its page."""

    def post(self, request, pk):
        job = restrict(InstallationJob.objects.all(), request.user, "progress").filter(pk=pk).first()
        if job is None:
            if has_action(request.user, InstallationJob, "progress"):
                raise Http404
            raise PermissionDenied(_("Your role does not allow this."))
        form = InstallationEventForm(request.POST, job=job)
        if form.is_valid():
            data = form.cleaned_data
            try:
                record_event(
                    job, node=data["node"], actor=request.user, now=timezone.now(), at=data["time"],
                    note=data["note"], technician_name=data["technician"], technician_phone=data["technician_phone"],
                    appointment_start=data["appointment_start"], appointment_end=data["appointment_end"],
                    photos=data["photos"], reason=data["reason"], customer_confirmed=data["customer_confirmed"],
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    target = {"time": "time", "technician": "technician"}.get(field, field)
                    form.add_error(target if target in form.fields else None, errors)
            else:
                messages.success(request, _("Recorded: %(node)s.") % {"node": dict(InstallationNode.choices)[data["node"]]})
                return redirect("logistics:installation", pk=job.pk)
        view = InstallationJobDetailView(request=request, kwargs={"pk": pk}, args=())
        view.object = InstallationJob.objects.select_related("store", "product", "partner", "shipment").get(pk=pk)
        return render(request, view.template_name, view.get_context_data(bound=form, object=view.object), status=400)


class InstallationStatusView(RestrictedViewMixin, View):
    """The node stepper as JSON, polled by the ticket page and the job page."""

    model = InstallationJob

    def get(self, request, pk):
        job = restrict(InstallationJob.objects.all(), request.user, "view").filter(pk=pk).first()
        if job is None:
            raise Http404
        events = InstallationEvent.objects.filter(job=job).select_related("actor", "partner").order_by("at", "id")
        data = stepper(job, list(events))
        data["url"] = reverse("logistics:installation", args=[job.pk])
        return JsonResponse(data)


class TransferToInstallationView(LoginRequiredMixin, View):
    """One click on the ticket page: the ticket goes to installation, the job is created or linked."""

    def post(self, request, ticket_id):
        from tickets.models import Ticket

        ticket = restrict(Ticket.objects.all(), request.user, "transfer").filter(pk=ticket_id).first()
        if ticket is None:
            if has_action(request.user, Ticket, "transfer"):
                raise Http404
            raise PermissionDenied(_("Your role does not allow this."))
        try:
            job = transfer_to_installation(ticket, actor=request.user, now=timezone.now())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Transferred to installation; job #%(id)s.") % {"id": job.pk})
        if not restrict(Ticket.objects.filter(pk=ticket.pk), request.user, "view").exists():
            return redirect("tickets:ticket_list")
        return redirect(reverse("tickets:ticket", args=[ticket.pk]) + "#installation")


class InstallationJobForm(forms.Form):
    """A job opened by hand (e.g. a customer asks for installation of a product bought elsewhere)."""

    store = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Store"))
    product = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Product"), required=False)
    order_number = forms.CharField(label=gettext_lazy("Order number"), max_length=64, required=False)
    customer_name = forms.CharField(label=gettext_lazy("Customer"), max_length=100, required=False)
    customer_phone = forms.CharField(label=gettext_lazy("Customer phone"), max_length=30, required=False)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=300, required=False)
    partner = forms.ModelChoiceField(queryset=InstallationPartner.objects.filter(is_active=True),
                                     label=gettext_lazy("Installation partner (empty: the store's default)"),
                                     required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        stores = restrict(Store.objects.all(), user, "view")
        self.fields["store"].queryset = stores
        self.fields["product"].queryset = Product.objects.filter(store__in=stores, needs_installation=True)


class InstallationJobCreateView(RestrictedViewMixin, View):
    model = InstallationJob
    permission_action = "add"
    template_name = "logistics/installation_form.html"

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
                return redirect("logistics:installation", pk=job.pk)
        return render(request, self.template_name, {"form": form, "title": _("New installation job")}, status=400)
