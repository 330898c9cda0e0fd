"""Refund desk API routes (mounted under /api/v1/ by portal/urls.py). The outbound feed and the
metrics come before the router so that `refunds/outbound/` is not read as a request id; the
evidence pack keeps its file-like address without a trailing slash."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from refunds.api import views

router = SimpleRouter()
router.register("refunds", views.RefundRequestViewSet, basename="refund")


def _pack(action):
    method = getattr(views.RefundRequestViewSet, action)
    return views.RefundRequestViewSet.as_view({"get": action}, basename="refund", detail=True, **method.kwargs)


urlpatterns = [
    path("refunds/outbound/", views.RefundOutboundView.as_view(), name="refund-outbound"),
    path("metrics/refunds/", views.RefundMetricsView.as_view(), name="refund-metrics"),
    re_path(r"^refunds/(?P<pk>[0-9]+)/evidence-pack\.pdf$", _pack("evidence_pack_pdf"), name="refund-pack-pdf"),
    re_path(r"^refunds/(?P<pk>[0-9]+)/evidence-pack\.zip$", _pack("evidence_pack_zip"), name="refund-pack-zip"),
    *router.urls,
]
