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
- `POST /api/v1/tickets/{id}/transfer_to_installation/`: the one-click transfer of a ticket, served
  here at the ticket API's address (the tickets app does not know installation).
"""

from datetime import date

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from installation.api.serializers import (
    InstallationEventInputSerializer,
    InstallationEventResultSerializer,
    InstallationEventSerializer,
    InstallationJobCreateSerializer,
    InstallationJobDetailSerializer,
    InstallationJobSerializer,
)
from installation.filtersets import InstallationJobFilterSet
from installation.metrics import installation_metrics
from installation.models import InstallationEvent, InstallationJob
from installation.permissions import is_partner_user, partner_ids
from installation.services import create_job, record_event, transfer_to_installation
from portal.api.params import date_range
from portal.api.viewsets import RestrictedModelViewSet
from portal.integrations import STAFF_ONLY, Kind
from portal.permissions import restrict
from tickets.api.serializers import TicketDetailSerializer
from tickets.api.views import TicketViewSet
from tickets.models import Ticket


class InstallationJobViewSet(RestrictedModelViewSet):
    """Installation jobs in the caller's scope (a partner's users: only the partner's own jobs)."""

    queryset = InstallationJob.objects.select_related("store", "product", "partner").prefetch_related("ticket_links")
    filterset_class = InstallationJobFilterSet
    http_method_names = ["get", "post", "head", "options"]
    integration_kind = STAFF_ONLY  # but `events`: the installation partner's progress

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
    @action(detail=True, methods=["post"], permission_action="progress", integration_kind=Kind.INSTALLATION_PARTNER)
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


class TicketInstallationViewSet(TicketViewSet):
    """The installation app's action on a ticket. installation/api/urls.py mounts only this action,
    at the address the ticket API's router would give it; everything else about the ticket (scope,
    403/404, the detail payload) is the ticket API's own."""

    @extend_schema(request=None, responses=TicketDetailSerializer)
    @action(detail=True, methods=["post"], permission_action="transfer")
    def transfer_to_installation(self, request, pk=None):
        """One click: to the installation team's queue, with the order's installation job created or linked."""
        ticket = self.get_object()
        job = transfer_to_installation(ticket, actor=request.user, now=self.now)
        if not restrict(Ticket.objects.filter(pk=ticket.pk), request.user, "view").exists():
            return Response({"id": ticket.pk, "queue": ticket.queue_id, "status": ticket.status,
                             "installation_job": job.pk})
        response = self._detail(ticket)
        response.data["installation_job"] = job.pk
        return response
