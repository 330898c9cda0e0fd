from django.urls import path

from scores import views

app_name = "scores"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("export/<str:view>/<str:chart>.<str:fmt>", views.ChartExportView.as_view(), name="export"),
    path("official/", views.OfficialScoreView.as_view(), name="official"),
    path("stores/<str:code>/", views.StoreScoreView.as_view(), name="store"),
    path("stores/<str:code>/misses/<str:metric>/", views.MissesView.as_view(), name="misses"),
    path("stores/<str:code>/embed/", views.EmbedView.as_view(), name="embed"),
]
