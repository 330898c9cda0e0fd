"""Thin UI views: the same restrict() as the API; writes go through the domain functions."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView

from logistics import appointments, services
from logistics.alert_actions import ACTIONS
from logistics.filtersets import AlertFilterSet, ShipmentFilterSet, TrackingImportFilterSet
from logistics.forms import (
    DispatchDeliveredForm,
    DispatchFailedForm,
    DispatchForm,
    DispatchPickedUpForm,
    ImportForm,
)
from logistics.imports import ImportFailed, create_import, start_import
from logistics.models import (
    Alert,
    AlertEntry,
    AlertKind,
    Compensation,
    Dispatch,
    Shipment,
    TrackingEvent,
    TrackingImport,
)
from logistics.tables import AlertTable, ShipmentTable, TrackingImportTable
from portal.models import Store
from portal.permissions import access, has_action, restrict
from portal.views import RestrictedListView, RestrictedViewMixin, safe_next


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
        shipment = alert.shipment
        # The parcel's last outlet in the carrier's directory: its phone, and its city to narrow the list.
        outlet = shipment.carrier.outlets.filter(name=shipment.last_outlet).first() if shipment.last_outlet else None
        city = outlet.city if outlet else ""
        now_local = timezone.localtime(timezone.now()).strftime("%Y-%m-%dT%H:%M")  # time fields start at "now"
        initial = {"contact_carrier": {"outlet": shipment.last_outlet, "contacted_at": now_local},
                   "contact_customer": {"called_at": now_local}}
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
                if bound is not None and bound.prefix == action.name:
                    form = bound
                else:
                    form = action.form(alert)
                    form.initial.update(initial.get(action.name, {}))
                if "outlet" in form.fields:  # suggestions from the carrier's directory
                    form.fields["outlet"].widget.attrs["list"] = f"outlets-{alert.pk}"
                action_forms.append({"action": action, "form": form})
        dispatches = list(restrict(alert.dispatches.all(), user, "view").select_related("driver"))
        can_move = has_action(user, Dispatch, "change")
        for dispatch in dispatches:
            dispatch.forms = {}
            if can_move and dispatch.status == Dispatch.Status.PLANNED:
                dispatch.forms["picked_up"] = DispatchPickedUpForm(prefix=f"d{dispatch.pk}")
            if can_move and dispatch.status == Dispatch.Status.PICKED_UP:
                bound_here = bound if getattr(bound, "dispatch_pk", None) == dispatch.pk else None
                dispatch.forms["delivered"] = bound_here or DispatchDeliveredForm(prefix=f"d{dispatch.pk}")
            if can_move and dispatch.status in (Dispatch.Status.PLANNED, Dispatch.Status.PICKED_UP):
                dispatch.forms["failed"] = DispatchFailedForm(prefix=f"f{dispatch.pk}")
        dispatch_form = None
        if (alert.is_open and has_action(user, Alert, "dispatch")
                and not any(d.status in (Dispatch.Status.PLANNED, Dispatch.Status.PICKED_UP) for d in dispatches)):
            dispatch_form = bound if isinstance(bound, DispatchForm) else DispatchForm(
                prefix="dispatch", initial={"driver": user.username, "planned_pickup": now_local})
        kinds = dict(Compensation.Kind.choices)
        for entry in alert.entries.all():  # prefetched: labels for the timeline, no query
            entry.type_label = kinds.get(entry.data.get("type"), entry.data.get("type", ""))
        outlet_phone = outlet.phone if outlet else ""
        outlets = shipment.carrier.outlets.all()
        if city:
            outlets = outlets.filter(city=city)
        from portal.registry import alert_panels

        panels = [html for html in (panel({**context, "request": self.request}, alert) for panel in alert_panels())
                  if html]
        context.update(
            dispatches=dispatches,
            dispatch_form=dispatch_form,
            outlet_phone=outlet_phone,
            panels=panels,
            is_appointment=alert.kind == AlertKind.APPOINTMENT_AT_RISK,
            action_forms=action_forms,
            shipment=alert.shipment,
            outlets=outlets,
            outlet_city=city,
            title=_("Alert #%(id)s") % {"id": alert.pk},
        )
        return context


class CompensationDecisionView(LoginRequiredMixin, View):
    """POST approve / reject a compensation in place (the approvals inbox), through the same domain
    function as the alert page; back to `next` with the outcome."""

    def post(self, request, pk, decision):
        if decision not in ("approve", "reject"):
            raise Http404
        # The alert's "approve" verb and scope decide (403 for a role without it, 404 outside scope).
        compensation = get_object_or_404(restrict(Compensation.objects.all(), request.user, "view"), pk=pk)
        access(Alert.objects.all(), request.user, "approve", compensation.alert_id)
        try:
            # The alert page's form holds notes to 2,000 characters without NUL: the same here (the
            # inbox's note was cut silently, and a NUL broke the save on PostgreSQL).
            note = forms.CharField(max_length=2000, required=False).clean(request.POST.get("note", ""))
        except ValidationError as exc:
            messages.error(request, _("Nothing was decided. Note: %(error)s") % {"error": " ".join(exc.messages)})
            return redirect(safe_next(request, reverse("logistics:alert", args=[compensation.alert_id])))
        try:
            services.decide_compensation(compensation, actor=request.user, now=timezone.now(),
                                         approve=decision == "approve", note=note)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Compensation approved.") if decision == "approve"
                             else _("Compensation rejected."))
        return redirect(safe_next(request, reverse("logistics:alert", args=[compensation.alert_id])))


class AlertActionView(LoginRequiredMixin, View):
    """POST one of the alert actions: validate the form, call the domain function, back to the alert."""

    def post(self, request, pk, action):
        spec = ACTIONS.get(action)
        if spec is None:
            raise Http404
        alert = access(Alert.objects.all(), request.user, spec.verb, pk)
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


class DispatchCreateView(LoginRequiredMixin, View):
    """POST the dispatch form of an alert: an own delivery of its parcel."""

    def post(self, request, pk):
        if not has_action(request.user, Alert, "dispatch"):
            raise PermissionDenied(_("Your role does not allow this."))
        alert = get_object_or_404(restrict(Alert.objects.all(), request.user, "dispatch"), pk=pk)
        form = DispatchForm(data=request.POST, prefix="dispatch")
        if form.is_valid():
            data = form.cleaned_data
            try:
                appointments.create_dispatch(
                    alert, actor=request.user, now=timezone.now(), driver=data["driver"],
                    driver_name=data["driver_name"], driver_phone=data["driver_phone"],
                    planned_pickup=data["planned_pickup"], planned_dropoff=data["planned_dropoff"], cost=data["cost"])
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Own delivery dispatched."))
                return redirect("logistics:alert", pk=alert.pk)
        return _alert_page(request, alert.pk, form)


def _add_errors(form, exc):
    for field, errors in (exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}).items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


def _alert_page(request, pk, bound):
    view = AlertDetailView()
    view.setup(request, pk=pk)
    view.object = view.get_object()
    return render(request, view.template_name, view.get_context_data(bound=bound, object=view.object), status=400)


class DispatchStepView(LoginRequiredMixin, View):
    """POST picked up / delivered (photo, recipient) / failed for a dispatch; back to its alert."""

    def post(self, request, pk, step):
        if step not in ("picked_up", "delivered", "failed"):
            raise Http404
        dispatch = access(Dispatch.objects.all(), request.user, "change", pk)
        now = timezone.now()
        if step == "picked_up":
            form = DispatchPickedUpForm(data=request.POST, prefix=f"d{pk}")
        elif step == "delivered":
            form = DispatchDeliveredForm(data=request.POST, files=request.FILES, prefix=f"d{pk}")
        else:
            form = DispatchFailedForm(data=request.POST, prefix=f"f{pk}")
        form.dispatch_pk = pk
        if form.is_valid():
            data = form.cleaned_data
            try:
                if step == "picked_up":
                    appointments.mark_picked_up(dispatch, actor=request.user, now=now)
                    message = _("Marked picked up.")
                elif step == "delivered":
                    appointments.mark_delivered(dispatch, actor=request.user, now=now, photo=data["photo"],
                                                recipient=data["recipient"], delivered_at=data["delivered_at"])
                    message = _("Delivered: the parcel is marked delivered.")
                else:
                    appointments.mark_failed(dispatch, actor=request.user, now=now, reason=data["reason"])
                    message = _("Marked failed.")
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, message)
                return redirect(_dispatch_page(dispatch))
        if dispatch.alert_id and restrict(Alert.objects.filter(pk=dispatch.alert_id), request.user, "view").exists():
            return _alert_page(request, dispatch.alert_id, form)
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return redirect(_dispatch_page(dispatch))


def _dispatch_page(dispatch):
    from django.urls import reverse

    if dispatch.alert_id:
        return reverse("logistics:alert", args=[dispatch.alert_id]) + f"#dispatch-{dispatch.pk}"
    return reverse("logistics:shipment", args=[dispatch.shipment_id])


class DispatchView(RestrictedViewMixin, View):
    """A dispatch's page is its alert's (or its parcel's) page."""

    model = Dispatch

    def get(self, request, pk):
        dispatch = get_object_or_404(restrict(Dispatch.objects.all(), request.user, "view"), pk=pk)
        return redirect(_dispatch_page(dispatch))


class DispatchPhotoView(RestrictedViewMixin, View):
    """The proof-of-delivery photo, streamed from private storage to whoever may see the dispatch."""

    model = Dispatch

    def get(self, request, pk):
        from django.http import FileResponse

        dispatch = get_object_or_404(restrict(Dispatch.objects.all(), request.user, "view"), pk=pk)
        if not dispatch.photo:
            raise Http404
        extension = dispatch.photo.name.rsplit(".", 1)[-1].lower()
        content_type = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(extension)
        if content_type is None:
            raise Http404
        response = FileResponse(dispatch.photo.open("rb"), content_type=content_type)
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


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
