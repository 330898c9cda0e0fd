from django.urls import path
from rest_framework.routers import DefaultRouter

from tickets.api import views

router = DefaultRouter()
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("queues", views.QueueViewSet, basename="queue")
router.register("macros", views.MacroViewSet, basename="macro")

urlpatterns = router.urls + [
    path("chat/conversations/", views.ChatConversationView.as_view(), name="chat_conversations"),
    path("metrics/tickets/", views.TicketMetricsView.as_view(), name="ticket_metrics"),
]
