from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import integrations, outbound, pii
from portal.api.parsers import JSONParser
from portal.api.permissions import IntegrationKindPermission
from portal.api.serializers import (
    NotificationSerializer,
    PiiRevealSerializer,
    PiiValueSerializer,
    StoreSerializer,
    TeamSerializer,
)
from portal.api.viewsets import RestrictedModelViewSet, RestrictedReadOnlyViewSet
from portal.filtersets import StoreFilterSet, TeamFilterSet
from portal.inputs import whole_number
from portal.models import Notification, OutboundMessage, PiiAccess, Store, Team
from portal.permissions import restrict


class StoreViewSet(RestrictedModelViewSet):
    integration_kind = integrations.STAFF_ONLY
    queryset = Store.objects.all()
    serializer_class = StoreSerializer
    filterset_class = StoreFilterSet
    ordering_fields = ["code", "name"]


class TeamViewSet(RestrictedModelViewSet):
    integration_kind = integrations.STAFF_ONLY
    queryset = Team.objects.prefetch_related("stores")
    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet
    ordering_fields = ["name", "kind"]


class NotificationViewSet(RestrictedReadOnlyViewSet):
    """The caller's inbox (in-app notifications)."""

    queryset = Notification.objects.filter(channel=Notification.Channel.IN_APP)
    serializer_class = NotificationSerializer
    filterset_fields = ["status"]


class PiiRevealView(APIView):
    """Reveal one personal-data field of one object and record the access (`portal.pii.reveal`).

    Payloads carry phone, address and name masked; a caller the PII rule lets see them asks here
    for one value at a time. Each call writes one audit row. An object that does not exist or is
    outside the caller's scope answers 400 on `id`; a caller the rule does not allow gets 403.
    """

    permission_classes = [IntegrationKindPermission, IsAuthenticated]  # the PII rule itself decides, per object
    integration_kind = integrations.STAFF_ONLY
    parser_classes = [JSONParser]  # typed fields: an id is a JSON integer

    @extend_schema(request=PiiRevealSerializer, responses={200: PiiValueSerializer, 400: OpenApiResponse(),
                                                           403: OpenApiResponse()})
    def post(self, request):
        serializer = PiiRevealSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            value = pii.reveal(request.user, label=data["object"], pk=data["id"], field=data["field"],
                               channel=PiiAccess.Channel.API, source=f"{request.method} {request.path}",
                               now=timezone.now())
        except pii.RevealRefused as exc:
            raise PermissionDenied(str(exc)) from None
        return Response({"value": value})


class OutboundFeedView(APIView):
    """`GET /api/v1/<app>/outbound/?since=<cursor>&limit=`: the outbound messages of one `topic` for
    integrations (of `integration_kind`) that poll instead of receiving the store's webhook, oldest
    first after the cursor (the last `cursor` seen; none: from the start). Each item carries the
    webhook's exact body as `payload` and its `idempotency_key`. Stores without a webhook count a
    message delivered once fetched. Subclasses set `topic` and `integration_kind`."""

    permission_model = OutboundMessage
    permission_action = "view"
    topic: str
    integration_kind: str

    @extend_schema(
        parameters=[
            OpenApiParameter("since", str, description="The last cursor seen (none: from the start)"),
            OpenApiParameter("limit", int, description=f"At most this many (default {outbound.FEED_PAGE_SIZE}, "
                                                       f"max {outbound.FEED_MAX_PAGE_SIZE})"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        errors = {}
        try:
            since = outbound.parse_cursor(request.query_params.get("since"))
        except ValueError:
            errors["since"] = [_("Give the cursor of the last message seen (a whole number).")]
        limit = outbound.FEED_PAGE_SIZE
        raw = request.query_params.get("limit")
        if raw not in (None, ""):
            limit = whole_number(raw, digits=4)
            if limit is None or not 1 <= limit <= outbound.FEED_MAX_PAGE_SIZE:
                errors["limit"] = [_("Give a whole number from 1 to %(n)d.") % {"n": outbound.FEED_MAX_PAGE_SIZE}]
        if errors:
            raise ValidationError(errors)
        scope = restrict(OutboundMessage.objects.all(), request.user, "view")
        rows, cursor, more = outbound.feed(scope, topic=self.topic, since=since, limit=limit)
        outbound.mark_polled(rows, now=timezone.now())
        return Response({"results": [outbound.feed_item(m) for m in rows], "next_cursor": str(cursor), "more": more})
