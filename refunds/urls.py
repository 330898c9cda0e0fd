"""Refund desk pages, mounted at /refunds/."""

from django.urls import path

from refunds import views

app_name = "refunds"
urlpatterns = [
    path("", views.RefundRequestListView.as_view(tab="open"), name="request_list"),
    path("awaiting-return/", views.RefundRequestListView.as_view(tab="awaiting_return"), name="awaiting_return"),
    path("awaiting-approval/", views.RefundRequestListView.as_view(tab="awaiting_approval"), name="awaiting_approval"),
    path("disputes/", views.RefundRequestListView.as_view(tab="disputes"), name="disputes"),
    path("all/", views.RefundRequestListView.as_view(tab="all"), name="all"),
    path("<int:pk>/", views.RefundRequestDetailView.as_view(), name="request"),
    path("<int:pk>/<slug:name>/", views.RefundActionView.as_view(), name="request_action"),
    path("<int:pk>/evidence/<int:file_id>/", views.EvidenceFileView.as_view(), name="evidence_file"),
    path("<int:pk>/evidence-pack.pdf", views.EvidencePackView.as_view(), {"fmt": "pdf"}, name="pack_pdf"),
    path("<int:pk>/evidence-pack.zip", views.EvidencePackView.as_view(), {"fmt": "zip"}, name="pack_zip"),
]
