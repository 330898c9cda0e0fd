from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import integrations, pii
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
from portal.models import Notification, PiiAccess, Store, Team


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
