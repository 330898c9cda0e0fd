from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RefundsConfig(AppConfig):
    """The refund desk, above tickets, logistics and installation: it plugs into their pages and
    events through `portal.registry`; they never import it."""

    name = "refunds"
    verbose_name = _("Refund desk")

    def ready(self):
        # Rules and registry entries only; nothing here touches the database.
        from portal import registry
        from refunds.panels import refund_approvals, ticket_refunds
        from refunds.permissions import register_rules
        from refunds.services import release_holds

        register_rules()
        registry.register_nav("refunds:request_list", _("Refund desk"), "refunds.refundrequest", order=70)
        registry.register_ticket_panel(ticket_refunds)  # the linked ticket shows the request
        registry.register_delivery_hook(release_holds)  # a delivered return parcel releases its hold
        # Decisions above a specialist's limit wait in the approvals inbox.
        registry.register_approval_source(refund_approvals, permission="refunds.approve_refundrequest")
