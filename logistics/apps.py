from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    name = "logistics"
    verbose_name = _("Logistics")

    def ready(self):
        # Rules and navigation only; nothing here touches the database.
        from logistics.permissions import register_rules
        from portal.context_processors import NAVIGATION

        register_rules()
        from logistics.installation_permissions import register as register_installation

        register_installation()
        entries = [
            (_("Shipments"), "logistics:shipment_list", "logistics.shipment"),
            (_("Logistics alerts"), "logistics:alert_list", "logistics.alert"),
            (_("Tracking imports"), "logistics:import_list", "logistics.trackingimport"),
        ]
        for entry in entries:
            if entry[1] not in {item[1] for item in NAVIGATION}:
                NAVIGATION.append(entry)
