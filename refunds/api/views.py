"""Refund desk API.

- `POST /api/v1/refunds/`: the marketplace's refund request (idempotent on store + platform request
  id: 201 the first time, 200 for a repeat; a repeat changing a decided request: 409).
- `GET /api/v1/refunds/?status=&store=&kind=&reason=`: requests in the caller's scope, by deadline.
- `GET /api/v1/refunds/{id}/`: one request with its timeline and evidence files.
- `POST /api/v1/refunds/{id}/decide/`: approve / partial / reject / exchange (200; 202 above the
  caller's limit: waits for approval).
- `POST /api/v1/refunds/{id}/approve/`, `.../decline/`: an approver on a waiting decision.
- `POST /api/v1/refunds/{id}/received/`: the returned goods recorded as received by hand.
- `POST /api/v1/refunds/{id}/evidence/` (multipart `file`, `kind`): an evidence file.
- `GET /api/v1/refunds/{id}/evidence-pack.pdf` and `.../evidence-pack.zip`.
- `POST /api/v1/refunds/{id}/dispute/` and `.../ruling/`: the dispute on the platform, its ruling.
- `GET /api/v1/refunds/outbound/?since=<cursor>`: decisions for the marketplace, in order.
- `GET /api/v1/metrics/refunds/?store=&from=&to=`: the desk's metrics (docs/refunds.md).
"""

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.params import date_range
from portal.api.views import OutboundFeedView
from portal.api.viewsets import RestrictedModelViewSet
from portal.models import OutboundMessage
from portal.permissions import has_action, restrict
from refunds import pack, services
from refunds.api.serializers import (
    DecideSerializer,
    DisputeSerializer,
    EvidenceFileSerializer,
    EvidenceUploadSerializer,
    ReceivedSerializer,
    RefundNoteSerializer,
    RefundRequestDetailSerializer,
    RefundRequestInSerializer,
    RefundRequestSerializer,
    RulingSerializer,
)
from refunds.filtersets import RefundRequestFilterSet
from refunds.metrics import refund_metrics
from refunds.models import EvidenceFile, RefundEvent, RefundRequest


class RefundRequestViewSet(RestrictedModelViewSet):
    """Refund requests in the caller's scope."""

    queryset = RefundRequest.objects.select_related("store", "reason", "policy", "suggested_rule", "rule",
                                                    "product_line")
    filterset_class = RefundRequestFilterSet
    http_method_names = ["get", "post", "head", "options"]
    # JSON through the portal's parser (bounded size and depth: settings' DEFAULT_PARSER_CLASSES);
    # only the evidence upload takes multipart.
    # The marketplace integration's kind of client (checked by the integration-kind rule).
    integration_kind = "marketplace_refunds"

    def get_serializer_class(self):
        return RefundRequestDetailSerializer if self.action == "retrieve" else RefundRequestSerializer

    def get_queryset(self):
        queryset = super().get_queryset().order_by("respond_by", "id")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("events", queryset=RefundEvent.objects.select_related("actor").order_by("at", "id")),
                Prefetch("evidence", queryset=EvidenceFile.objects.select_related("uploaded_by")))
        return queryset

    @property
    def now(self):
        if not hasattr(self, "_now"):
            self._now = timezone.now()
        return self._now

    def _answer(self, refund, code=status.HTTP_200_OK):
        fresh = RefundRequest.objects.select_related("store", "reason", "policy", "suggested_rule", "rule",
                                                     "product_line").get(pk=refund.pk)
        return Response(RefundRequestSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=RefundRequestInSerializer, responses={201: RefundRequestSerializer,
                                                                 200: RefundRequestSerializer})
    def create(self, request, *args, **kwargs):
        context = {**self.get_serializer_context(), "received_at": self.now}
        serializer = RefundRequestInSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        store = data.pop("store")
        try:
            with transaction.atomic():
                refund, created = services.receive_request(store=store, data=data, actor=request.user, now=self.now)
                self.check_still_in_scope(refund)
        except services.Conflict as conflict:
            return Response({"detail": str(conflict)}, status=status.HTTP_409_CONFLICT)
        return self._answer(refund, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=DecideSerializer, responses={200: RefundRequestSerializer, 202: RefundRequestSerializer})
    @action(detail=True, methods=["post"], permission_action="decide")
    def decide(self, request, pk=None):
        refund = self.get_object()
        serializer = DecideSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        row = services.decide(refund, decision=data["decision"], amount=data.get("amount"), rule=data.get("rule"),
                              note=data["note"], actor=request.user, now=self.now)
        waiting = row.status == row.Status.AWAITING_APPROVAL
        return self._answer(refund, status.HTTP_202_ACCEPTED if waiting else status.HTTP_200_OK)

    @extend_schema(request=RefundNoteSerializer, responses=RefundRequestSerializer)
    @action(detail=True, methods=["post"], permission_action="approve")
    def approve(self, request, pk=None):
        refund = self.get_object()
        serializer = RefundNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.approve_decision(refund, actor=request.user, now=self.now, note=serializer.validated_data["note"])
        return self._answer(refund)

    @extend_schema(request=RefundNoteSerializer, responses=RefundRequestSerializer)
    @action(detail=True, methods=["post"], permission_action="approve")
    def decline(self, request, pk=None):
        refund = self.get_object()
        serializer = RefundNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.decline_decision(refund, actor=request.user, now=self.now, note=serializer.validated_data["note"])
        return self._answer(refund)

    @extend_schema(request=ReceivedSerializer, responses=RefundRequestSerializer)
    @action(detail=True, methods=["post"], permission_action="decide")
    def received(self, request, pk=None):
        refund = self.get_object()
        serializer = ReceivedSerializer(data=request.data, context={"now": self.now})
        serializer.is_valid(raise_exception=True)
        services.record_goods_received(refund, actor=request.user, now=self.now,
                                       at=serializer.validated_data.get("received_at"))
        return self._answer(refund)

    @extend_schema(request={"multipart/form-data": EvidenceUploadSerializer}, responses={201: EvidenceFileSerializer})
    @action(detail=True, methods=["post"], permission_action="view", parser_classes=[MultiPartParser, FormParser])
    def evidence(self, request, pk=None):
        refund = self.get_object()
        if not has_action(request.user, EvidenceFile, "add"):
            raise PermissionDenied(_("Your role does not allow this."))
        serializer = EvidenceUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        row = services.add_evidence(refund, upload=data["file"], kind=data["kind"], note=data["note"],
                                    actor=request.user, now=self.now)
        return Response(EvidenceFileSerializer(row).data, status=status.HTTP_201_CREATED)

    def _pack_content(self):
        refund = self.get_object()
        if not has_action(self.request.user, EvidenceFile, "view"):
            raise PermissionDenied(_("Your role does not allow this."))
        return pack.collect(refund)

    # The two pack downloads are routed by refunds/api/urls.py at their file-like addresses (no
    # trailing slash), with permission_action="view"; they are not router actions.
    @extend_schema(responses={(200, "application/pdf"): bytes})
    def evidence_pack_pdf(self, request, pk=None):
        return pack.response(self._pack_content(), "pdf")

    @extend_schema(responses={(200, "application/zip"): bytes})
    def evidence_pack_zip(self, request, pk=None):
        return pack.response(self._pack_content(), "zip")

    @extend_schema(request=DisputeSerializer, responses=RefundRequestSerializer)
    @action(detail=True, methods=["post"], permission_action="dispute")
    def dispute(self, request, pk=None):
        refund = self.get_object()
        serializer = DisputeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        submitted_on = serializer.validated_data.get("submitted_on") or timezone.localdate(self.now)
        services.submit_dispute(refund, submitted_on=submitted_on, note=serializer.validated_data.get("note", ""),
                                actor=request.user, now=self.now)
        return self._answer(refund)

    @extend_schema(request=RulingSerializer, responses=RefundRequestSerializer)
    @action(detail=True, methods=["post"], permission_action="dispute")
    def ruling(self, request, pk=None):
        refund = self.get_object()
        serializer = RulingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.record_ruling(refund, ruling=data["ruling"], amount=data.get("amount"), note=data["note"],
                               submitted_on=data.get("submitted_on"), actor=request.user, now=self.now)
        return self._answer(refund)


class RefundOutboundView(OutboundFeedView):
    """`GET /api/v1/refunds/outbound/?since=<cursor>&limit=`: the refund decisions for the marketplace
    (the same bodies the store's webhook receives; portal/api/views.py `OutboundFeedView`)."""

    topic = OutboundMessage.Topic.REFUND_DECISION
    integration_kind = "marketplace_refunds"


class RefundMetricsView(APIView):
    """The refund desk's metrics over the requests received from `from` to `to` (dates, inclusive;
    default the last 30 days), optionally for one `store` (code). Definitions: docs/refunds.md."""

    permission_model = RefundRequest
    permission_action = "view"

    @extend_schema(parameters=[OpenApiParameter("store", str), OpenApiParameter("from", str),
                               OpenApiParameter("to", str)], responses={200: dict})
    def get(self, request):
        params = request.query_params
        errors = {}
        date_from, date_to = date_range(params, errors)
        requests = restrict(RefundRequest.objects.all(), request.user, "view")
        if params.get("store"):
            from portal.models import Store

            store = restrict(Store.objects.filter(code=params["store"]), request.user, "view").first()
            if store is None:
                errors["store"] = [_("Unknown store.")]
            else:
                requests = requests.filter(store=store)
        if errors:
            raise ValidationError(errors)
        return Response(refund_metrics(requests, date_from=date_from, date_to=date_to, now=timezone.now()))
