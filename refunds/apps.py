from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RefundsConfig(AppConfig):
    """The refund desk, above tickets, logistics and installation: it plugs into their pages and
    events through `portal.registry`; they never import it."""

    name = "refunds"
    verbose_name = _("Refund desk")

    def ready(self):
        # Rules and registry entries only; nothing here touches the database.
        from refunds.permissions import register_rules

        register_rules()
