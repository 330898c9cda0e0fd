from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    name = "logistics"
    verbose_name = _("Logistics")

    def ready(self):
        # Rules and navigation only; nothing here touches the database.
        from logistics.panels import ticket_parcels, ticket_waybill
        from logistics.permissions import register_rules
        from portal import registry

        register_rules()
        from logistics import notification_texts  # noqa: F401  (registers the notification texts)
        from logistics.approvals import compensation_approvals

        registry.register_approval_source(compensation_approvals, permission="logistics.approve_alert")
        registry.register_nav("logistics:shipment_list", _("Shipments"), "logistics.shipment", order=50)
        registry.register_nav("logistics:alert_list", _("Logistics alerts"), "logistics.alert", order=51)
        registry.register_nav("logistics:import_list", _("Tracking imports"), "logistics.trackingimport", order=52)
        registry.register_ticket_panel(ticket_parcels)  # the order's parcels, as customer context
        registry.register_macro_values(ticket_waybill)  # {waybill} in a ticket's macros
