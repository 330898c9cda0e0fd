"""The tickets app's entries in the portal's navigation and home page. Call `register()` from
TicketsConfig.ready(); it touches no database and imports no views."""

from django.utils.translation import gettext_lazy as _

NAV_ENTRIES = [
    (_("Tickets"), "tickets:ticket_list", "tickets.ticket"),
    (_("My tickets"), "tickets:my_tickets", "tickets.ticket"),
]


def metrics_widget(request):
    """Home page: service metrics of the last 30 days for managers and above (see tickets.views)."""
    from tickets.views import metrics_widget as widget

    return widget(request)


def register():
    from portal.context_processors import NAVIGATION
    from portal.views import HOME_WIDGETS

    known = {url_name for _label, url_name, _model in NAVIGATION}
    # Right after the portal's own entries (Home, Inbox): the queues are the staff's main page.
    position = next((i + 1 for i, entry in enumerate(NAVIGATION) if entry[1] == "inbox"), len(NAVIGATION))
    NAVIGATION[position:position] = [entry for entry in NAV_ENTRIES if entry[1] not in known]
    if metrics_widget not in HOME_WIDGETS:
        HOME_WIDGETS.append(metrics_widget)
