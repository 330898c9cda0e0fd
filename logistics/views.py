"""Thin UI views: the same restrict() as the API; writes go through the domain functions."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView

from logistics.alert_actions import ACTIONS
from logistics.filtersets import AlertFilterSet, ShipmentFilterSet, TrackingImportFilterSet
from logistics.forms import ImportForm
from logistics.imports import ImportFailed, create_import, start_import
from logistics.models import Alert, AlertEntry, Compensation, Shipment, TrackingEvent, TrackingImport
from logistics.tables import AlertTable, ShipmentTable, TrackingImportTable
from portal.models import Store
from portal.permissions import has_action, restrict
from portal.views import RestrictedListView, RestrictedViewMixin


class ShipmentListView(RestrictedListView):
    model = Shipment
    table_class = ShipmentTable
    filterset_class = ShipmentFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("carrier", "store").annotate(
            open_alert_count=Count("alerts", filter=Q(alerts__status=Alert.Status.OPEN))
        ).order_by("-shipped_at", "-id")


class ShipmentDetailView(RestrictedViewMixin, DetailView):
    model = Shipment
    template_name = "logistics/shipment.html"
    context_object_name = "shipment"

    def get_queryset(self):
        return super().get_queryset().select_related("carrier", "store")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        shipment = self.object
        context["events"] = TrackingEvent.objects.filter(shipment=shipment).order_by("-occurred_at", "-id")
        context["alerts"] = restrict(shipment.alerts.all(), self.request.user, "view").order_by("-opened_at")
        context["title"] = _("Shipment %(waybill)s") % {"waybill": shipment.waybill_number}
        return context


class AlertListView(RestrictedListView):
    model = Alert
    table_class = AlertTable
    filterset_class = AlertFilterSet
    title = ""

    def get_queryset(self):
        return super().get_queryset().select_related(
            "shipment", "shipment__carrier", "shipment__store", "acknowledged_by"
        ).order_by("-opened_at", "-id")

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        if "status" not in (kwargs["data"] or {}):
            # The queue shows open alerts unless the status filter says otherwise ("" = all).
            kwargs["data"] = (kwargs["data"] or {}).copy() if kwargs["data"] is not None else {}
            kwargs["data"]["status"] = Alert.Status.OPEN
        return kwargs


class AlertDetailView(RestrictedViewMixin, DetailView):
    model = Alert
    template_name = "logistics/alert.html"
    context_object_name = "alert"

    def get_queryset(self):
        return super().get_queryset().select_related(
            "shipment", "shipment__carrier", "shipment__store", "acknowledged_by", "resolved_by"
        ).prefetch_related(
            Prefetch("entries", queryset=AlertEntry.objects.select_related("actor").order_by("at", "id")),
            Prefetch("compensations", queryset=Compensation.objects.select_related("offered_by", "decided_by")),
            "carrier_contacts", "customer_contacts",
        )

    def get_context_data(self, bound=None, **kwargs):
        context = super().get_context_data(**kwargs)
        alert = self.object
        user = self.request.user
        action_forms = []
        if alert.is_open:
            pending = any(c.status == Compensation.Status.PENDING_APPROVAL for c in alert.compensations.all())
            for action in ACTIONS.values():
                if not has_action(user, Alert, action.verb):
                    continue
                if action.name == "acknowledge" and alert.acknowledged_at:
                    continue
                if action.name == "approve_compensation" and not pending:
                    continue
                if action.name == "open_ticket" and alert.ticket_id:
                    continue
                form = bound if bound is not None and bound.prefix == action.name else action.form(alert)
                action_forms.append({"action": action, "form": form})
        context.update(
            action_forms=action_forms,
            shipment=alert.shipment,
            outlets=alert.shipment.carrier.outlets.all(),
            title=_("Alert #%(id)s") % {"id": alert.pk},
        )
        return context


class AlertActionView(LoginRequiredMixin, View):
    """POST one of the alert actions: validate the form, call the domain function, back to the alert."""

    def post(self, request, pk, action):
        spec = ACTIONS.get(action)
        if spec is None:
            raise Http404
        if not has_action(request.user, Alert, spec.verb):
            raise PermissionDenied(_("Your role does not allow this."))
        alert = get_object_or_404(restrict(Alert.objects.all(), request.user, spec.verb), pk=pk)
        form = spec.form(alert, data=request.POST)
        if form.is_valid():
            try:
                message = spec.perform(alert, form.cleaned_data, actor=request.user, now=timezone.now())
            except ValidationError as exc:
                for field, errors in (exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}).items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, message)
                return redirect("logistics:alert", pk=alert.pk)
        view = AlertDetailView()
        view.setup(request, pk=pk)
        view.object = view.get_object()
        return render(request, view.template_name, view.get_context_data(bound=form, object=view.object), status=400)


class ImportListView(RestrictedListView):
    """History of imports, with the upload form on top."""

    model = TrackingImport
    table_class = TrackingImportTable
    filterset_class = TrackingImportFilterSet
    template_name = "logistics/import_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("carrier", "store", "uploaded_by").order_by("-created_at", "-id")

    def upload_form(self, data=None, files=None):
        stores = restrict(Store.objects.all(), self.request.user, "view")
        return ImportForm(data=data, files=files, stores=stores)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if has_action(self.request.user, TrackingImport, "add"):
            context.setdefault("upload_form", self.upload_form())
        return context

    def post(self, request, *args, **kwargs):
        if not has_action(request.user, TrackingImport, "add"):
            raise PermissionDenied(_("Your role does not allow this."))
        form = self.upload_form(request.POST, request.FILES)
        if form.is_valid():
            now = timezone.now()
            try:
                tracking_import = create_import(
                    carrier=form.cleaned_data["carrier"], store=form.cleaned_data["store"],
                    uploaded_file=form.cleaned_data["file"], actor=request.user, now=now,
                )
            except ImportFailed as exc:
                form.add_error("file", str(exc))
            else:
                start_import(tracking_import, now=now)
                return redirect("logistics:import", pk=tracking_import.pk)
        self.object_list = self.get_queryset()
        context = self.get_context_data(upload_form=form)
        return self.render_to_response(context, status=400)


class ImportDetailView(RestrictedViewMixin, DetailView):
    model = TrackingImport
    template_name = "logistics/import.html"
    context_object_name = "tracking_import"

    def get_queryset(self):
        return super().get_queryset().select_related("carrier", "store", "uploaded_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("Import of %(name)s") % {"name": self.object.original_name}
        return context


class ImportStatusView(RestrictedViewMixin, View):
    """Small JSON the import page polls for its progress bar."""

    model = TrackingImport

    def get(self, request, pk):
        tracking_import = get_object_or_404(restrict(TrackingImport.objects.all(), request.user, "view"), pk=pk)
        return JsonResponse(import_status(tracking_import))


def import_status(tracking_import) -> dict:
    return {
        "id": tracking_import.pk,
        "status": tracking_import.status,
        "status_display": tracking_import.get_status_display(),
        "finished": tracking_import.is_finished,
        "percent": tracking_import.percent,
        "rows_total": tracking_import.rows_total,
        "rows_read": tracking_import.rows_read,
        "events_added": tracking_import.events_added,
        "duplicates_skipped": tracking_import.duplicates,
        "shipments_created": tracking_import.shipments_created,
        "rows_rejected": tracking_import.rejected_count,
        "message": tracking_import.message,
    }
