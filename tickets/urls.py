from django.urls import path

from tickets import escalation_views, views

app_name = "tickets"


def queue(key):
    return views.TicketListView.as_view(page_key=key)


urlpatterns = [
    # The main queue page is the user's team queue; the other pages narrow it differently.
    path("", queue("team"), name="ticket_list"),
    path("", queue("team"), name="team_queue"),
    path("mine/", queue("mine"), name="my_tickets"),
    path("at-risk/", queue("at_risk"), name="at_risk"),
    path("breached/", queue("breached"), name="breached"),
    path("all/", queue("all"), name="all_tickets"),
    path("bulk/", views.TicketBulkView.as_view(), name="ticket_bulk"),
    path("columns/", views.TicketColumnsView.as_view(), name="ticket_columns"),
    path("export.csv", views.TicketExportView.as_view(), name="ticket_export"),
    path("add/", views.TicketCreateView.as_view(), name="ticket_add"),
    path("<int:pk>/", views.TicketDetailView.as_view(), name="ticket"),
    path("<int:pk>/reply/", views.ReplyView.as_view(), name="ticket_reply"),
    path("<int:pk>/note/", views.NoteView.as_view(), name="ticket_note"),
    path("<int:pk>/assign/", views.AssignView.as_view(), name="ticket_assign"),
    path("<int:pk>/transfer/", views.TransferView.as_view(), name="ticket_transfer"),
    path("<int:pk>/status/", views.StatusView.as_view(), name="ticket_status"),
    path("<int:pk>/reopen/", views.ReopenView.as_view(), name="ticket_reopen"),
    path("<int:pk>/close/", views.CloseView.as_view(), name="ticket_close"),
    path("<int:pk>/merge/", views.MergeView.as_view(), name="ticket_merge"),
    path("<int:pk>/rate/", views.RateView.as_view(), name="ticket_rate"),
    path("<int:pk>/edit/", views.EditView.as_view(), name="ticket_edit"),
]

# The escalation ladder's pages (tickets/escalation_views.py).
urlpatterns += [
    path("escalations/", escalation_views.EscalationListView.as_view(), name="escalation_list"),
    path("escalations/<int:pk>/acknowledge/", escalation_views.EscalationAcknowledgeView.as_view(),
         name="escalation_acknowledge"),
]
