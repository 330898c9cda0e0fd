"""Logistics permissions per role (merged into the role groups by portal.roles.ensure_roles).

- logistics coordinator: shipments, events, imports, alerts and all alert work; compensation up to
  its limit (logistics/compensation.py);
- manager: sees shipments and alerts, approves compensation above the coordinator's limit;
- director: everything read, and approves compensation above the manager's limit;
- executive: read only;
- installation coordinator: sees alerts and parcels, dispatches own deliveries (appointment at risk);
- integration: posts tracking events and report files (and reads back its own imports);
- agent, team lead: see the shipments (and their tracking) of their stores;
- admin: everything, including carrier configuration (status maps, column mappings).
Scope (which stores) is applied by logistics/permissions.py.
"""

from portal.roles import Role

_CONFIG_MODELS = ["carrier", "carrieroutlet", "statusmapping", "reportcolumns"]
_WORK_MODELS = ["alertentry", "carriercontact", "customercontact", "compensation", "dispatch"]

_VIEW_SHIPMENTS = ["logistics.view_carrier", "logistics.view_carrieroutlet", "logistics.view_shipment",
                   "logistics.view_trackingevent"]
_VIEW_ALERTS = ["logistics.view_alert"] + [f"logistics.view_{m}" for m in _WORK_MODELS]
_VIEW_ALL = _VIEW_SHIPMENTS + _VIEW_ALERTS + ["logistics.view_trackingimport"]
# Own-vehicle deliveries: dispatch one from an alert, move it on (picked up, delivered, failed).
_DISPATCH = ["logistics.dispatch_alert", "logistics.add_dispatch", "logistics.change_dispatch"]
_INGEST = ["logistics.add_trackingevent", "logistics.add_trackingimport", "logistics.view_trackingimport"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.AGENT: _VIEW_SHIPMENTS,
    Role.TEAM_LEAD: _VIEW_SHIPMENTS,
    Role.MANAGER: _VIEW_ALL + ["logistics.approve_alert"],
    Role.DIRECTOR: _VIEW_ALL + ["logistics.approve_alert", "logistics.view_consignee_shipment"],
    Role.EXECUTIVE: _VIEW_ALL,
    Role.LOGISTICS_COORDINATOR: _VIEW_ALL
    + _INGEST
    + _DISPATCH
    + ["logistics.add_shipment", "logistics.change_shipment", "logistics.view_consignee_shipment",
       "logistics.work_alert"],
    # Appointment-at-risk alerts go to the installation coordinator too: they see the alert and its
    # parcel and may dispatch an own delivery (the other alert work stays with logistics).
    Role.INSTALLATION_COORDINATOR: _VIEW_SHIPMENTS + _VIEW_ALERTS + _DISPATCH,
    Role.INTEGRATION: _INGEST + ["logistics.view_carrier"],
    Role.ADMIN: _VIEW_ALL
    + _INGEST
    + [f"logistics.{verb}_{model}" for model in _CONFIG_MODELS for verb in ("add", "change", "delete")]
    + ["logistics.add_shipment", "logistics.change_shipment", "logistics.delete_shipment",
       "logistics.view_consignee_shipment", "logistics.work_alert", "logistics.approve_alert",
       "logistics.change_alert", *_DISPATCH],
}
