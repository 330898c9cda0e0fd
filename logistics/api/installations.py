"""Installation API: jobs for staff and for installation partners.

- `GET /api/v1/installations/?updated_since=<ISO time>&node=&partner=&overdue=`: the jobs in the
  caller's scope; a partner's API user sees only its partner's jobs.
- `GET /api/v1/installations/{id}/`: one job with its events and linked ticket ids.
- `POST /api/v1/installations/`: open a job by hand (installation coordinators, admins).
- `POST /api/v1/installations/{id}/events/`: move the job to a node. JSON body: `node` (required),
  `time` (ISO 8601; default now), `technician`, `technician_phone`, `appointment_start`,
  `appointment_end` (scheduled/rescheduled), `photos` (a list of http(s) URLs of photos the partner
  stores; completion needs photos or `customer_confirmed: true`), `reason` (failed/cancelled),
  `note`, `event_id` (the partner's own event id: repeating it returns the first result with 200
  and changes nothing). A refused move answers 400 with the field and the reason.
- `GET /api/v1/metrics/installations/?from=&to=&store=`: installation metrics.
"""

from datetime import date

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from logistics.api.serializers import choice
from logistics.installation import MAX_PHOTOS, create_job, record_event
from logistics.installation_filtersets import InstallationJobFilterSet
from logistics.installation_metrics import installation_metrics
from logistics.installation_models import (
    InstallationEvent,
    InstallationJob,
    InstallationNode,
    InstallationPartner,
    Product,
)
from logistics.installation_permissions import can_see_customer, is_partner_user, partner_ids
from logistics.models import Shipment
from logistics.permissions import mask_name, mask_phone
from portal.api.fields import RestrictedSlugRelatedField
from portal.api.params import date_range
from portal.api.viewsets import RestrictedModelViewSet
from portal.models import Store
from portal.permissions import restrict


class InstallationEventSerializer(serializers.ModelSerializer):
    node = choice(InstallationNode)
    from_node = serializers.CharField(read_only=True)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    partner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    technician = serializers.CharField(source="technician_name", read_only=True)
    event_id = serializers.CharField(source="client_event_id", read_only=True)

    class Meta:
        model = InstallationEvent
        fields = ["id", "node", "from_node", "at", "recorded_at", "source", "actor", "partner", "technician",
                  "appointment_start", "appointment_end", "photos", "reason", "note", "event_id"]
        read_only_fields = fields


class InstallationJobSerializer(serializers.ModelSerializer):
    store = serializers.SlugRelatedField(slug_field="code", read_only=True)
    product = serializers.SlugRelatedField(slug_field="sku", read_only=True)
    partner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    node = choice(InstallationNode)
    customer_name = serializers.SerializerMethodField()
    customer_phone = serializers.SerializerMethodField()
    address = serializers.SerializerMethodField()
    tickets = serializers.SerializerMethodField()

    class Meta:
        model = InstallationJob
        fields = ["id", "store", "order_number", "shipment", "product", "customer_name", "customer_phone", "address",
                  "partner", "technician_name", "technician_phone", "appointment_start", "appointment_end", "node",
                  "delivered_at", "requested_at", "booking_due_at", "booked_at", "completion_due_at", "on_site_at",
                  "completed_at", "visits", "customer_confirmed", "failure_reason", "tickets", "updated_at"]
        read_only_fields = fields

    def _unmasked(self):
        request = self.context.get("request")
        return bool(request and can_see_customer(request.user))

    def get_customer_name(self, job) -> str:
        return job.customer_name if self._unmasked() else mask_name(job.customer_name)

    def get_customer_phone(self, job) -> str:
        if self._unmasked() or not job.customer_phone:
            return job.customer_phone
        return mask_phone(job.customer_phone)

    def get_address(self, job) -> str:
        return job.address if self._unmasked() or not job.address else job.address[:6] + "****"

    def get_tickets(self, job) -> list[int]:
        return [link.ticket_id for link in job.ticket_links.all()]


class InstallationJobDetailSerializer(InstallationJobSerializer):
    events = InstallationEventSerializer(many=True, read_only=True)

    class Meta(InstallationJobSerializer.Meta):
        fields = [*InstallationJobSerializer.Meta.fields, "events"]
        read_only_fields = fields


@extend_schema_field({"type": "string", "enum": list(InstallationNode.values)})
class NodeField(serializers.ChoiceField):
    """A node, documented inline (other apps have fields named `node` with other values)."""

    def __init__(self, **kwargs):
        super().__init__(choices=InstallationNode.choices, **kwargs)


class InstallationEventInputSerializer(serializers.Serializer):
    node = NodeField()
    time = serializers.DateTimeField(required=False, allow_null=True)
    technician = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    technician_phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    appointment_start = serializers.DateTimeField(required=False, allow_null=True)
    appointment_end = serializers.DateTimeField(required=False, allow_null=True)
    photos = serializers.ListField(child=serializers.URLField(max_length=500), max_length=MAX_PHOTOS,
                                   required=False, default=list)
    customer_confirmed = serializers.BooleanField(required=False, default=False)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    event_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class InstallationEventResultSerializer(serializers.Serializer):
    created = serializers.BooleanField()
    event = InstallationEventSerializer()
    job = InstallationJobSerializer()


class InstallationJobCreateSerializer(serializers.Serializer):
    store = RestrictedSlugRelatedField(slug_field="code", queryset=Store.objects.all())
    order_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    product = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                    help_text="SKU of one of the store's products")
    shipment = serializers.IntegerField(required=False, allow_null=True, default=None)
    partner = serializers.SlugRelatedField(slug_field="code", queryset=InstallationPartner.objects.all(),
                                           required=False, allow_null=True, default=None)
    customer_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    customer_phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, data):
        user = self.context["request"].user
        store = data["store"]  # in the user's scope: the field's choices are
        if data["product"]:
            data["product"] = Product.objects.filter(store=store, sku=data["product"]).first()
            if data["product"] is None:
                raise ValidationError({"product": [_("The store has no product with this SKU.")]})
        else:
            data["product"] = None
        if data["shipment"] is not None:
            shipment = restrict(Shipment.objects.filter(pk=data["shipment"], store=store), user, "view").first()
            if shipment is None:
                raise ValidationError({"shipment": [_("No parcel #%(id)s of this store in your scope.")
                                                    % {"id": data["shipment"]}]})
            data["shipment"] = shipment
        return data


class InstallationJobViewSet(RestrictedModelViewSet):
    """Installation jobs in the caller's scope (a partner's users: only the partner's own jobs)."""

    queryset = InstallationJob.objects.select_related("store", "product", "partner").prefetch_related("ticket_links")
    filterset_class = InstallationJobFilterSet
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self):
        return InstallationJobDetailSerializer if self.action == "retrieve" else InstallationJobSerializer

    def get_queryset(self):
        queryset = super().get_queryset().order_by("-updated_at", "-id")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(Prefetch(
                "events", queryset=InstallationEvent.objects.select_related("actor", "partner").order_by("at", "id")))
        return queryset

    @extend_schema(parameters=[OpenApiParameter("updated_since", str, description="ISO 8601 time")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=InstallationJobCreateSerializer, responses={201: InstallationJobDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = InstallationJobCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            job = create_job(actor=request.user, now=timezone.now(), **serializer.validated_data)
            self.check_still_in_scope(job)
        return Response(self._detail(job), status=status.HTTP_201_CREATED)

    def _detail(self, job):
        fresh = self.get_queryset().model.objects.prefetch_related("ticket_links", Prefetch(
            "events", queryset=InstallationEvent.objects.select_related("actor", "partner").order_by("at", "id"),
        )).select_related("store", "product", "partner").get(pk=job.pk)
        return InstallationJobDetailSerializer(fresh, context=self.get_serializer_context()).data

    @extend_schema(request=InstallationEventInputSerializer,
                   responses={201: InstallationEventResultSerializer, 200: InstallationEventResultSerializer})
    @action(detail=True, methods=["post"], permission_action="progress")
    def events(self, request, pk=None):
        job = self.get_object()
        serializer = InstallationEventInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        partner = None
        if is_partner_user(request.user):
            # Scope guarantees the job is one of this user's partners' jobs.
            partner = job.partner if job.partner_id in partner_ids(request.user) else None
            if partner is None:
                raise ValidationError({"detail": [_("This job is not assigned to your partner.")]})
        event, created = record_event(
            job, node=data["node"], actor=request.user, now=timezone.now(), at=data.get("time"), note=data["note"],
            technician_name=data["technician"], technician_phone=data["technician_phone"],
            appointment_start=data.get("appointment_start"), appointment_end=data.get("appointment_end"),
            photos=data["photos"], reason=data["reason"], customer_confirmed=data["customer_confirmed"],
            partner=partner, client_event_id=data["event_id"],
        )
        job.refresh_from_db()
        body = {"created": created,
                "event": InstallationEventSerializer(event).data,
                "job": InstallationJobSerializer(job, context=self.get_serializer_context()).data}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class InstallationMetricsView(APIView):
    """On-time installation rate, first-visit completion rate and median hours from delivery to
    completed installation over the jobs completed from `from` to `to` (dates, inclusive; default
    the last 30 days), optionally for one `store` (code). Definitions: docs/logistics.md."""

    permission_model = InstallationJob
    permission_action = "view"

    @extend_schema(parameters=[OpenApiParameter("store", str), OpenApiParameter("from", date),
                               OpenApiParameter("to", date)], responses={200: dict})
    def get(self, request):
        params = request.query_params
        errors = {}
        date_from, date_to = date_range(params, errors)
        if errors:
            raise ValidationError(errors)
        jobs = restrict(InstallationJob.objects.all(), request.user, "view")
        if params.get("store"):
            jobs = jobs.filter(store__code=params["store"])
        return Response(installation_metrics(jobs, date_from=date_from, date_to=date_to))
