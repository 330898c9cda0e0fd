"""Installation API routes (mounted under /api/v1/ by portal/urls.py).

A SimpleRouter: the API root is the portal's. The ticket transfer action keeps the address the
ticket API's router gave it when tickets served it (`tickets/{id}/transfer_to_installation/`, with
the router's `.json` suffix variant and URL name)."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from installation.api import views

router = SimpleRouter()
router.register("installations", views.InstallationJobViewSet, basename="installation")

transfer = views.TicketInstallationViewSet.as_view(
    {"post": "transfer_to_installation"}, basename="ticket", detail=True,
    **views.TicketInstallationViewSet.transfer_to_installation.kwargs,
)
urlpatterns = [
    path("metrics/installations/", views.InstallationMetricsView.as_view(), name="installation-metrics"),
    *router.urls,
    *format_suffix_patterns([
        re_path(r"^tickets/(?P<pk>[^/.]+)/transfer_to_installation/$", transfer,
                name="ticket-transfer-to-installation"),
    ]),
]
