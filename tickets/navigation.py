"""The tickets app's entries in the portal's navigation and home page. Call `register()` from
TicketsConfig.ready(); it touches no database and imports no views."""

from django.utils.translation import gettext_lazy as _


def metrics_widget(request):
    """Home page: service metrics of the last 30 days for managers and above (see tickets.views.metrics)."""
    from tickets.views.metrics import metrics_widget as widget

    return widget(request)


def register():
    from portal import registry

    # Right after the portal's own entries (Home, Inbox): the queues are the staff's main page.
    registry.register_nav("tickets:ticket_list", _("Tickets"), "tickets.ticket", order=10)
    registry.register_nav("tickets:my_tickets", _("My tickets"), "tickets.ticket", order=11)
    registry.register_nav("tickets:escalation_list", _("Escalations"), "tickets.escalation", order=40)
    registry.register_home_widget(metrics_widget)
