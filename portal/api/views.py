from portal.api.serializers import NotificationSerializer, StoreSerializer, TeamSerializer
from portal.api.viewsets import RestrictedModelViewSet, RestrictedReadOnlyViewSet
from portal.filtersets import StoreFilterSet, TeamFilterSet
from portal.models import Notification, Store, Team


class StoreViewSet(RestrictedModelViewSet):
    queryset = Store.objects.all()
    serializer_class = StoreSerializer
    filterset_class = StoreFilterSet
    ordering_fields = ["code", "name"]


class TeamViewSet(RestrictedModelViewSet):
    queryset = Team.objects.prefetch_related("stores")
    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet
    ordering_fields = ["name", "kind"]


class NotificationViewSet(RestrictedReadOnlyViewSet):
    """The caller's inbox (in-app notifications)."""

    queryset = Notification.objects.filter(channel=Notification.Channel.IN_APP)
    serializer_class = NotificationSerializer
    filterset_fields = ["status"]
