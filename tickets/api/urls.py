from django.urls import path
from rest_framework.routers import DefaultRouter

from tickets.api import escalation, views

router = DefaultRouter()
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("queues", views.QueueViewSet, basename="queue")
router.register("macros", views.MacroViewSet, basename="macro")
router.register("escalation-policies", escalation.EscalationPolicyViewSet, basename="escalation-policy")
router.register("escalations", escalation.EscalationViewSet, basename="escalation")

urlpatterns = router.urls + [
    path("chat/conversations/", views.ChatConversationView.as_view(), name="chat_conversations"),
    path("chat/outbound/", views.ChatOutboundView.as_view(), name="chat_outbound"),
    path("metrics/tickets/", views.TicketMetricsView.as_view(), name="ticket_metrics"),
]
