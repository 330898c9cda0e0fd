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
