"""Installation pages, mounted at /logistics/installations/ (their address from before installation
became an app of its own)."""

from django.urls import path

from installation import views

app_name = "installation"
urlpatterns = [
    path("", views.InstallationJobListView.as_view(), name="job_list"),
    path("add/", views.InstallationJobCreateView.as_view(), name="job_add"),
    path("<int:pk>/", views.InstallationJobDetailView.as_view(), name="job"),
    path("<int:pk>/events/", views.InstallationEventView.as_view(), name="job_event"),
    path("<int:pk>/photos/<int:event_pk>/<int:index>/", views.InstallationPhotoView.as_view(), name="job_photo"),
    path("<int:pk>/move/", views.MoveAppointmentView.as_view(), name="job_move"),
    path("<int:pk>/status/", views.InstallationStatusView.as_view(), name="job_status"),
    path("transfer/<int:ticket_id>/", views.TransferToInstallationView.as_view(), name="ticket_transfer"),
]
