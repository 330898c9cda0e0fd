"""Scores API routes (mounted under /api/v1/ by portal/urls.py)."""

from django.urls import path

from scores import public
from scores.api import views

urlpatterns = [
    path("scores/", views.ScoreSnapshotsView.as_view(), name="scores-list"),
    path("scores/today/", views.ScoreTodayView.as_view(), name="scores-today"),
    path("scores/official/", views.OfficialScoreView.as_view(), name="scores-official"),
    # Public, no login (scores/public.py).
    path("public/stores/<str:code>/badges/", public.badges_api, name="scores_public_badges"),
]
