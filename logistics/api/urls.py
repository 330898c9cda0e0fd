from django.urls import path
from rest_framework.routers import DefaultRouter

from logistics.api import views

router = DefaultRouter()
router.register("logistics/shipments", views.ShipmentViewSet, basename="logistics-shipment")
router.register("logistics/alerts", views.AlertViewSet, basename="logistics-alert")
router.register("logistics/imports", views.TrackingImportViewSet, basename="logistics-import")
router.register("logistics/dispatches", views.DispatchViewSet, basename="logistics-dispatch")
urlpatterns = [
    path("logistics/events/", views.TrackingEventIngestView.as_view(), name="logistics-events"),
    path("metrics/logistics/", views.LogisticsMetricsView.as_view(), name="logistics-metrics"),
    *router.urls,
]
