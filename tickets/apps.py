from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        # Registers scope rules only; never touches the database.
        from tickets.permissions import register

        register()
        from portal.context_processors import NAVIGATION
        from tickets import escalation_permissions  # escalation scope rules and navigation

        escalation_permissions.register()
        NAVIGATION.append((_("Escalations"), "tickets:escalation_list", "tickets.escalation"))
        from tickets.navigation import register as register_navigation  # queue pages, home metrics widget

        register_navigation()
