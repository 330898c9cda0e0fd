from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        # Registers scope rules only; never touches the database.
        from tickets.permissions import register

        register()
        from tickets.escalation import permissions as escalation_permissions  # escalation scope rules
        from tickets.navigation import register as register_navigation  # pages, home metrics widget

        escalation_permissions.register()

        register_navigation()
        from tickets import notification_texts  # noqa: F401  (registers the notification texts)
