from django.urls import path
from rest_framework.routers import DefaultRouter

from logistics.api import views

router = DefaultRouter()
router.register("logistics/shipments", views.ShipmentViewSet, basename="logistics-shipment")
router.register("logistics/alerts", views.AlertViewSet, basename="logistics-alert")
router.register("logistics/imports", views.TrackingImportViewSet, basename="logistics-import")
urlpatterns = [
    path("logistics/events/", views.TrackingEventIngestView.as_view(), name="logistics-events"),
    path("metrics/logistics/", views.LogisticsMetricsView.as_view(), name="logistics-metrics"),
    *router.urls,
]

# Installation tracking (logistics/api/installations.py); a SimpleRouter: the API root is the one above.
from rest_framework.routers import SimpleRouter  # noqa: E402

from logistics.api import installations  # noqa: E402

installation_router = SimpleRouter()
installation_router.register("installations", installations.InstallationJobViewSet, basename="installation")
urlpatterns += [
    path("metrics/installations/", installations.InstallationMetricsView.as_view(), name="installation-metrics"),
    *installation_router.urls,
]
