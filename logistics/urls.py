from django.urls import path

from logistics import views

app_name = "logistics"
urlpatterns = [
    path("shipments/", views.ShipmentListView.as_view(), name="shipment_list"),
    path("shipments/<int:pk>/", views.ShipmentDetailView.as_view(), name="shipment"),
    path("alerts/", views.AlertListView.as_view(), name="alert_list"),
    path("alerts/<int:pk>/", views.AlertDetailView.as_view(), name="alert"),
    path("alerts/<int:pk>/dispatch/", views.DispatchCreateView.as_view(), name="alert_dispatch"),
    path("alerts/<int:pk>/<slug:action>/", views.AlertActionView.as_view(), name="alert_action"),
    path("compensations/<int:pk>/<str:decision>/", views.CompensationDecisionView.as_view(),
         name="compensation_decide"),
    path("dispatches/<int:pk>/", views.DispatchView.as_view(), name="dispatch"),
    path("dispatches/<int:pk>/photo/", views.DispatchPhotoView.as_view(), name="dispatch_photo"),
    path("dispatches/<int:pk>/<slug:step>/", views.DispatchStepView.as_view(), name="dispatch_step"),
    path("imports/", views.ImportListView.as_view(), name="import_list"),
    path("imports/<int:pk>/", views.ImportDetailView.as_view(), name="import"),
    path("imports/<int:pk>/status/", views.ImportStatusView.as_view(), name="import_status"),
]
