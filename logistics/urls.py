from django.urls import path

from logistics import views

app_name = "logistics"
urlpatterns = [
    path("shipments/", views.ShipmentListView.as_view(), name="shipment_list"),
    path("shipments/<int:pk>/", views.ShipmentDetailView.as_view(), name="shipment"),
    path("alerts/", views.AlertListView.as_view(), name="alert_list"),
    path("alerts/<int:pk>/", views.AlertDetailView.as_view(), name="alert"),
    path("alerts/<int:pk>/<slug:action>/", views.AlertActionView.as_view(), name="alert_action"),
    path("imports/", views.ImportListView.as_view(), name="import_list"),
    path("imports/<int:pk>/", views.ImportDetailView.as_view(), name="import"),
    path("imports/<int:pk>/status/", views.ImportStatusView.as_view(), name="import_status"),
]

# Installation tracking (logistics/installation_views.py).
from logistics import installation_views  # noqa: E402

urlpatterns += [
    path("installations/", installation_views.InstallationJobListView.as_view(), name="installation_list"),
    path("installations/add/", installation_views.InstallationJobCreateView.as_view(), name="installation_add"),
    path("installations/<int:pk>/", installation_views.InstallationJobDetailView.as_view(), name="installation"),
    path("installations/<int:pk>/events/", installation_views.InstallationEventView.as_view(),
         name="installation_event"),
    path("installations/<int:pk>/status/", installation_views.InstallationStatusView.as_view(),
         name="installation_status"),
    path("installations/transfer/<int:ticket_id>/", installation_views.TransferToInstallationView.as_view(),
         name="installation_transfer"),
]
