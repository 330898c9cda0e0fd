from django.urls import path

from tickets.views import actions, escalations, export, presence, queues, ticket

app_name = "tickets"


def queue(key):
    return queues.TicketListView.as_view(page_key=key)


urlpatterns = [
    # The main queue page is the user's team queue; the other pages narrow it differently.
    path("", queue("team"), name="ticket_list"),
    path("", queue("team"), name="team_queue"),
    path("mine/", queue("mine"), name="my_tickets"),
    path("at-risk/", queue("at_risk"), name="at_risk"),
    path("breached/", queue("breached"), name="breached"),
    path("all/", queue("all"), name="all_tickets"),
    path("bulk/", queues.TicketBulkView.as_view(), name="ticket_bulk"),
    path("columns/", queues.TicketColumnsView.as_view(), name="ticket_columns"),
    path("counts/", queues.TicketCountsView.as_view(), name="ticket_counts"),
    path("export.csv", export.TicketExportView.as_view(), name="ticket_export"),
    path("add/", actions.TicketCreateView.as_view(), name="ticket_add"),
    path("<int:pk>/", ticket.TicketDetailView.as_view(), name="ticket"),
    path("<int:pk>/send/", actions.ComposeView.as_view(), name="ticket_compose"),
    path("<int:pk>/take/", actions.TakeView.as_view(), name="ticket_take"),
    path("<int:pk>/presence/", presence.TicketPresenceView.as_view(), name="ticket_presence"),
    path("<int:pk>/deliveries/<int:message_id>/retry/", actions.RetryDeliveryView.as_view(),
         name="ticket_delivery_retry"),
    path("<int:pk>/reply/", actions.ReplyView.as_view(), name="ticket_reply"),
    path("<int:pk>/note/", actions.NoteView.as_view(), name="ticket_note"),
    path("<int:pk>/assign/", actions.AssignView.as_view(), name="ticket_assign"),
    path("<int:pk>/transfer/", actions.TransferView.as_view(), name="ticket_transfer"),
    path("<int:pk>/status/", actions.StatusView.as_view(), name="ticket_status"),
    path("<int:pk>/reopen/", actions.ReopenView.as_view(), name="ticket_reopen"),
    path("<int:pk>/close/", actions.CloseView.as_view(), name="ticket_close"),
    path("<int:pk>/merge/", actions.MergeView.as_view(), name="ticket_merge"),
    path("<int:pk>/rate/", actions.RateView.as_view(), name="ticket_rate"),
    path("<int:pk>/edit/", actions.EditView.as_view(), name="ticket_edit"),
    # The escalation ladder's pages.
    path("escalations/", escalations.EscalationListView.as_view(), name="escalation_list"),
    path("escalations/<int:pk>/acknowledge/", escalations.EscalationAcknowledgeView.as_view(),
         name="escalation_acknowledge"),
    path("escalations/<int:pk>/comment/", escalations.EscalationCommentView.as_view(), name="escalation_comment"),
]
