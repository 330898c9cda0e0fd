from django.urls import path
from rest_framework.routers import DefaultRouter

from portal.api import views

router = DefaultRouter()
router.register("stores", views.StoreViewSet)
router.register("teams", views.TeamViewSet)
router.register("notifications", views.NotificationViewSet)
urlpatterns = [*router.urls, path("pii/reveal/", views.PiiRevealView.as_view(), name="api_pii_reveal")]
