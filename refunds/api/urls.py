"""Refund desk API routes (mounted under /api/v1/ by portal/urls.py). The outbound feed and the
metrics come before the router so that `refunds/outbound/` is not read as a request id."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from refunds.api import views

router = SimpleRouter()
router.register("refunds", views.RefundRequestViewSet, basename="refund")

urlpatterns = [
    path("refunds/outbound/", views.RefundOutboundView.as_view(), name="refund-outbound"),
    path("metrics/refunds/", views.RefundMetricsView.as_view(), name="refund-metrics"),
    *router.urls,
]
