"""Logistics API: event ingest (idempotent), report imports, shipments and alerts, alert actions, metrics."""

import hashlib
from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from logistics import appointments
from logistics.alert_actions import ACTIONS
from logistics.filtersets import AlertFilterSet, ShipmentFilterSet, TrackingImportFilterSet
from logistics.forms import DispatchDeliveredForm, DispatchFailedForm, DispatchForm, ImportForm
from logistics.imports import ImportFailed, create_import, start_import
from logistics.ingest import BatchRejected, Ingestor
from logistics.metrics import PERIODS, logistics_metrics
from logistics.models import (
    Alert,
    AlertEntry,
    Carrier,
    Compensation,
    Dispatch,
    IngestRequest,
    Shipment,
    TrackingEvent,
    TrackingImport,
)
from logistics.permissions import ingest_store_ids
from portal.api.forms import form_data, valid_form
from portal.api.params import date_range
from portal.api.viewsets import RestrictedQuerysetMixin, RestrictedReadOnlyViewSet
from portal.integrations import STAFF_ONLY, Kind
from portal.models import Store
from portal.permissions import restrict

from .serializers import (
    AlertActionResultSerializer,
    AlertSerializer,
    DispatchDeliveredSerializer,
    DispatchFailedSerializer,
    DispatchRequestSerializer,
    DispatchSerializer,
    ImportUploadSerializer,
    IngestBodySerializer,
    IngestResultSerializer,
    MetricsReportSerializer,
    ShipmentSerializer,
    TrackingImportSerializer,
)

MAX_EVENTS_PER_REQUEST = 1000


# The text fields of an event and their column sizes: longer is refused, never silently cut.
EVENT_TEXT = {
    "waybill": 40, "time": 60, "code": 20, "description": 300, "status": 30, "order_number": 64, "outlet": 100,
    "city": 50, "consignee_name": 100, "consignee_phone": 30, "consignee_address": 300, "promised_by": 60,
}
MAX_SKUS = 50


def _text_problem(value, limit):
    if not isinstance(value, str):
        return _("Give a text value.")
    if len(value) > limit:
        return _("At most %(n)d characters.") % {"n": limit}
    if "\x00" in value or (not value.isascii() and any("\ud800" <= c <= "\udfff" for c in value)):
        return _("Remove the NUL or surrogate characters.")
    return None


def event_errors(item) -> dict:
    """Field errors of one posted event (empty: fine): JSON types, sizes and characters are checked
    before the ingest sees it, so a list is never stored as its Python text."""
    if not isinstance(item, dict):
        return {"non_field_errors": [_("Each event must be a JSON object.")]}
    errors = {}
    for name, limit in EVENT_TEXT.items():
        value = item.get(name)
        if value is None:
            continue
        problem = _text_problem(value, limit)
        if problem:
            errors[name] = [problem]
    skus = item.get("product_skus")
    if skus is not None:
        if isinstance(skus, str):
            problem = _text_problem(skus, 64 * MAX_SKUS)
        elif isinstance(skus, list) and len(skus) <= MAX_SKUS:
            problem = next((p for p in (_text_problem(s, 64) for s in skus) if p), None)
        else:
            problem = _("Give a list of at most %(n)d SKUs (text).") % {"n": MAX_SKUS}
        if problem:
            errors["product_skus"] = [problem]
    if item.get("is_anomaly") is not None and not isinstance(item["is_anomaly"], bool):
        errors["is_anomaly"] = [_("Give true or false.")]
    return errors


class TrackingEventIngestView(APIView):
    """POST up to 1,000 tracking events of one carrier. Requires an `Idempotency-Key` header.

    Body: {"carrier": "SF", "store": "<store code, for parcels not known yet>", "events": [{"waybill",
    "time" (ISO 8601; without offset: the carrier's time zone), "code" and/or "description",
    optional "status" (normalised), "order_number", "outlet", "city", "consignee_name",
    "consignee_phone", "consignee_address", "product_skus", "promised_by"}]}.
    All or nothing: a bad event answers 400 with its errors keyed by its index in `events` (from 0).
    A replay with the same key and body returns the first response; the same key with another body is 422.
    """

    permission_model = TrackingEvent
    integration_kind = Kind.CARRIER_FEED
    permission_action = "add"

    @extend_schema(
        request=IngestBodySerializer, responses={200: IngestResultSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=True)],
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            raise ValidationError({"Idempotency-Key": [_("This header is required.")]})
        if len(key) > 200:
            raise ValidationError({"Idempotency-Key": [_("At most 200 characters.")]})
        body_hash = hashlib.sha256(request.body).hexdigest()  # the payload as sent
        data = request.data
        replay = self._replay(request.user, key, body_hash)
        if replay is not None:
            return replay
        allowed = ingest_store_ids(request.user)
        carrier, store, events = self._validate(request, data, allowed)
        now = timezone.now()
        ingestor = Ingestor(carrier, now=now, actor=request.user, store=store, allowed_store_ids=allowed)
        try:
            with transaction.atomic():
                try:
                    result = ingestor.ingest(list(enumerate(events)), strict=True)
                except BatchRejected as exc:
                    raise ValidationError({"events": exc.by_row()}) from None
                body = {
                    "received": result.read, "events_added": result.added,
                    "duplicates_skipped": result.duplicates, "shipments_created": result.shipments_created,
                }
                IngestRequest.objects.create(user=request.user, key=key, body_hash=body_hash,
                                             status_code=status.HTTP_200_OK, response=body, created_at=now)
        except IntegrityError:
            # The same key was used by a concurrent request that committed first.
            replay = self._replay(request.user, key, body_hash)
            if replay is not None:
                return replay
            raise
        return Response(body, status=status.HTTP_200_OK)

    @staticmethod
    def _replay(user, key, body_hash):
        earlier = IngestRequest.objects.filter(user=user, key=key).first()
        if earlier is None:
            return None
        if earlier.body_hash != body_hash:
            return Response(
                {"detail": _("This Idempotency-Key was already used with a different request body.")},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return Response(earlier.response, status=earlier.status_code, headers={"Idempotent-Replayed": "true"})

    @staticmethod
    def _validate(request, data, allowed):
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        errors = {}
        for name in ("carrier", "store"):
            if data.get(name) is not None and not isinstance(data[name], str):
                errors[name] = [_("Give the code as text.")]
        if errors:
            raise ValidationError(errors)
        carrier = Carrier.objects.filter(code=str(data.get("carrier") or "")).first()
        if carrier is None:
            errors["carrier"] = [_("Unknown carrier code.") if data.get("carrier") else _("This field is required.")]
        store = None
        if data.get("store"):
            store = restrict(Store.objects.all(), request.user, "view").filter(code=str(data["store"])).first()
            if store is None:
                errors["store"] = [_("Unknown store code, or a store outside your scope.")]
        events = data.get("events")
        if not isinstance(events, list) or not events:
            errors["events"] = [_("Give a non-empty list of events.")]
        elif len(events) > MAX_EVENTS_PER_REQUEST:
            errors["events"] = [_("At most %(n)s events per request; this one has %(count)s.")
                                % {"n": MAX_EVENTS_PER_REQUEST, "count": len(events)}]
        else:
            bad = {}
            for i, item in enumerate(events):
                problems = event_errors(item)
                if problems:
                    bad[str(i)] = problems
            if bad:
                errors["events"] = bad
        if errors:
            raise ValidationError(errors)
        return carrier, store, events


class ShipmentViewSet(RestrictedReadOnlyViewSet):
    """Shipments with their tracking events. Filters: waybill, order_number, carrier, store, status,
    alert_kind (has an open alert of that kind), stuck_hours."""

    queryset = Shipment.objects.select_related("carrier", "store").prefetch_related(
        Prefetch("events", queryset=TrackingEvent.objects.order_by("occurred_at", "id"))
    ).order_by("-shipped_at", "-id")
    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilterSet
    ordering_fields = ["shipped_at", "last_event_at", "delivered_at"]


def _action_schema(name):
    """The action's form as a request schema (the form is what validates it)."""
    from django import forms as django_forms
    from drf_spectacular.utils import inline_serializer
    from rest_framework import serializers

    fields = {}
    for field_name, field in ACTIONS[name].form_class.base_fields.items():
        if isinstance(field, django_forms.DateTimeField):
            # The form reads several layouts ("2026-11-28 10:00", ISO 8601 with or without offset).
            fields[field_name] = serializers.CharField(required=field.required, allow_blank=not field.required,
                                                       max_length=40, help_text="Date and time, e.g. "
                                                       "2026-11-28T10:00:00+08:00")
        elif isinstance(field, django_forms.DecimalField):
            fields[field_name] = serializers.DecimalField(max_digits=7, decimal_places=2, required=field.required)
        elif isinstance(field, django_forms.ModelChoiceField):
            fields[field_name] = serializers.IntegerField(required=field.required)
        elif isinstance(field, django_forms.ChoiceField):
            fields[field_name] = serializers.ChoiceField(choices=field.choices, required=field.required)
        else:
            fields[field_name] = serializers.CharField(required=field.required, allow_blank=not field.required,
                                                       max_length=getattr(field, "max_length", None))
    return inline_serializer(f"LogisticsAlert{name.title().replace('_', '')}Request", fields=fields)


class AlertViewSet(RestrictedReadOnlyViewSet):
    """Logistics alerts with their timeline, and the alert actions (POST)."""

    queryset = Alert.objects.select_related(
        "shipment", "shipment__carrier", "shipment__store", "acknowledged_by", "resolved_by"
    ).prefetch_related(
        Prefetch("entries", queryset=AlertEntry.objects.select_related("actor").order_by("at", "id")),
        Prefetch("compensations", queryset=Compensation.objects.select_related("offered_by", "decided_by")),
        "carrier_contacts", "customer_contacts",
    ).order_by("-opened_at", "-id")
    serializer_class = AlertSerializer
    integration_kind = STAFF_ONLY
    filterset_class = AlertFilterSet
    ordering_fields = ["opened_at", "trigger_at"]

    def _perform(self, request, name):
        spec = ACTIONS[name]
        alert = self.get_object()
        form = valid_form(spec.form(alert, data=form_data(request.data, spec.form_class.base_fields), prefix=False))
        try:
            message = spec.perform(alert, form.cleaned_data, actor=request.user, now=timezone.now())
        except DjangoValidationError as exc:
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
            raise ValidationError(detail) from None
        alert = self.queryset.get(pk=alert.pk)  # fresh, with the new timeline entries
        return Response({"message": str(message), "alert": AlertSerializer(alert, context={"request": request}).data})

    @extend_schema(request=_action_schema("acknowledge"), responses={200: AlertActionResultSerializer})
    @action(detail=True, methods=["post"], permission_action="work")
    def acknowledge(self, request, pk=None):
        return self._perform(request, "acknowledge")

    @extend_schema(request=_action_schema("contact_carrier"), responses={200: AlertActionResultSerializer})
    @action(detail=True, methods=["post"], permission_action="work")
    def contact_carrier(self, request, pk=None):
        return self._perform(request, "contact_carrier")

    @extend_schema(request=_action_schema("contact_customer"), responses={200: AlertActionResultSerializer})
    @action(detail=True, methods=["post"], permission_action="work")
    def contact_customer(self, request, pk=None):
        return self._perform(request, "contact_customer")

    @extend_schema(request=_action_schema("compensate"), responses={200: AlertActionResultSerializer})
    @action(detail=True, methods=["post"], permission_action="work")
    def compensate(self, request, pk=None):
        return self._perform(request, "compensate")

    @extend_schema(request=_action_schema("approve_compensation"), responses={200: AlertActionResultSerializer})
    @action(detail=True, methods=["post"], permission_action="approve")
    def approve_compensation(self, request, pk=None):
        return self._perform(request, "approve_compensation")

    @extend_schema(request=_action_schema("open_ticket"), responses={200: AlertActionResultSerializer})
    @action(detail=True, methods=["post"], permission_action="work")
    def open_ticket(self, request, pk=None):
        return self._perform(request, "open_ticket")

    @extend_schema(request=_action_schema("resolve"), responses={200: AlertActionResultSerializer})
    @action(detail=True, methods=["post"], permission_action="work")
    def resolve(self, request, pk=None):
        return self._perform(request, "resolve")

    # Not named `dispatch`: that is the view's own request entry point.
    @extend_schema(request=DispatchRequestSerializer, responses={201: DispatchSerializer})
    @action(detail=True, methods=["post"], permission_action="dispatch", url_path="dispatch",
            url_name="dispatch")
    def dispatch_delivery(self, request, pk=None):
        """Dispatch an own delivery of the alert's parcel: {"driver": "<username>"} or {"driver_name",
        "driver_phone"}, "planned_pickup", "planned_dropoff" (ISO 8601), "cost" (decimal). 201: the dispatch."""
        alert = self.get_object()
        form = validated(DispatchForm, request)  # driver, driver_name, driver_phone, planned_pickup, ...
        data = form.cleaned_data
        dispatch = domain_call(
            appointments.create_dispatch, alert, actor=request.user, now=timezone.now(), driver=data["driver"],
            driver_name=data["driver_name"], driver_phone=data["driver_phone"],
            planned_pickup=data["planned_pickup"], planned_dropoff=data["planned_dropoff"], cost=data["cost"])
        return Response(DispatchSerializer(dispatch).data, status=status.HTTP_201_CREATED)


def validated(form_class, request, files=None):
    """The form bound to the request, valid, or a 400 with field errors. JSON values must be scalars
    (portal.api.forms)."""
    return valid_form(form_class(data=form_data(request.data, form_class.base_fields), files=files))


def domain_call(func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        raise ValidationError(detail) from None


class DispatchViewSet(RestrictedReadOnlyViewSet):
    """Own-vehicle deliveries: planned -> picked up -> delivered (proof photo) / failed."""

    queryset = Dispatch.objects.select_related("shipment", "driver").order_by("-created_at", "-id")
    serializer_class = DispatchSerializer
    integration_kind = STAFF_ONLY

    @extend_schema(request=None, responses={200: DispatchSerializer})
    @action(detail=True, methods=["post"], permission_action="change")
    def picked_up(self, request, pk=None):
        dispatch = domain_call(appointments.mark_picked_up, self.get_object(), actor=request.user, now=timezone.now())
        return Response(DispatchSerializer(dispatch).data)

    @extend_schema(request={"multipart/form-data": DispatchDeliveredSerializer}, responses={200: DispatchSerializer})
    @action(detail=True, methods=["post"], permission_action="change", parser_classes=[MultiPartParser, FormParser])
    def delivered(self, request, pk=None):
        dispatch = self.get_object()
        form = validated(DispatchDeliveredForm, request, files=request.FILES)
        data = form.cleaned_data
        dispatch = domain_call(appointments.mark_delivered, dispatch, actor=request.user, now=timezone.now(),
                               photo=data["photo"], recipient=data["recipient"], delivered_at=data["delivered_at"])
        return Response(DispatchSerializer(dispatch).data)

    @extend_schema(request=DispatchFailedSerializer,
                   responses={200: DispatchSerializer})
    @action(detail=True, methods=["post"], permission_action="change")
    def failed(self, request, pk=None):
        dispatch = self.get_object()
        form = validated(DispatchFailedForm, request)
        dispatch = domain_call(appointments.mark_failed, dispatch, actor=request.user, now=timezone.now(),
                               reason=form.cleaned_data["reason"])
        return Response(DispatchSerializer(dispatch).data)


class TrackingImportViewSet(RestrictedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    """Carrier report imports. POST (multipart): `file`, `carrier` (code), optional `store` (code).

    A small file is imported at once (201, the result); a large one is queued for a task (202):
    poll the import until its status is done or failed.
    """

    queryset = TrackingImport.objects.select_related("carrier", "store", "uploaded_by").order_by("-created_at", "-id")
    serializer_class = TrackingImportSerializer
    filterset_class = TrackingImportFilterSet
    parser_classes = [MultiPartParser, FormParser]
    integration_kind = Kind.CARRIER_FEED

    @extend_schema(request={"multipart/form-data": ImportUploadSerializer},
                   responses={201: TrackingImportSerializer, 202: TrackingImportSerializer})
    def create(self, request):
        stores = restrict(Store.objects.all(), request.user, "view")
        form = valid_form(ImportForm(data=form_data(request.data, ImportForm.base_fields), files=request.FILES,
                                     stores=stores))
        now = timezone.now()
        try:
            tracking_import = create_import(
                carrier=form.cleaned_data["carrier"], store=form.cleaned_data["store"],
                uploaded_file=form.cleaned_data["file"], actor=request.user, now=now,
            )
        except ImportFailed as exc:
            raise ValidationError({"file": [str(exc)]}) from None
        ran = start_import(tracking_import, now=now)
        tracking_import.refresh_from_db()
        data = TrackingImportSerializer(tracking_import, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED if ran else status.HTTP_202_ACCEPTED)


class LogisticsMetricsView(APIView):
    """On-time delivery rate, median hours to delivery, stall rate, alerts per 1,000 parcels and
    compensation paid, in total and per store, carrier and period, over the parcels shipped from
    `from` to `to` (dates, inclusive; default: the last 30 days). Filters: store, carrier (codes);
    period: day (default), week or month. Definitions: docs/logistics.md."""

    permission_model = Shipment
    permission_action = "view"

    @extend_schema(parameters=[
        OpenApiParameter("store", str), OpenApiParameter("carrier", str), OpenApiParameter("from", date),
        OpenApiParameter("to", date), OpenApiParameter("period", str, enum=list(PERIODS)),
    ], responses={200: MetricsReportSerializer})
    def get(self, request):
        params = request.query_params
        errors = {}
        date_from, date_to = date_range(params, errors)
        period = params.get("period") or "day"
        if period not in PERIODS:
            errors["period"] = [_("Choose day, week or month.")]
        shipments = restrict(Shipment.objects.all(), request.user, "view")
        if params.get("store"):
            shipments = shipments.filter(store__code=params["store"])
        if params.get("carrier"):
            shipments = shipments.filter(carrier__code=params["carrier"])
        if errors:
            raise ValidationError(errors)
        return Response(logistics_metrics(shipments, date_from=date_from, date_to=date_to, now=timezone.now(),
                                          period=period))
