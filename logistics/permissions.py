"""Logistics scope rules: a shipment (and its events and alerts) belongs to its store.

Org-wide roles see every store; others see the stores of the teams in their scope
(`visible_store_ids`). An integration client (a carrier feed) feeds tracking data for the stores it serves. Consignee name, phone and address are personal data (`portal.pii`), revealed only
to roles that call customers. Registered from LogisticsConfig.ready().
"""

from django.db.models import Q

from portal import pii
from portal.permissions import (
    by_store,
    has_action,
    is_org_wide,
    scope_rule,
    unscoped,
    user_roles,
    visible_store_ids,
)
from portal.roles import Role


def ingest_store_ids(user) -> set[int] | None:
    """Stores whose parcels `user` may feed events for: None means every store. An integration
    client feeds its own stores (`portal.integrations`)."""
    if is_org_wide(user):
        return None
    return visible_store_ids(user)


def may_see_consignee(user, shipment) -> bool:
    """The PII rule of a shipment (registered with `portal.pii`): consignee name, phone and address
    are revealed only to roles that call customers (`logistics.view_consignee_shipment`)."""
    return has_action(user, type(shipment), "view_consignee")


def register_rules():
    from logistics.models import (
        Alert,
        AlertEntry,
        Carrier,
        CarrierContact,
        CarrierOutlet,
        Compensation,
        CustomerContact,
        Dispatch,
        IngestRequest,
        ReportColumns,
        Shipment,
        StatusMapping,
        TrackingEvent,
        TrackingImport,
    )

    scope_rule(Shipment)(by_store(""))
    pii.register(Shipment, fields={"consignee_name": pii.NAME, "consignee_phone": pii.PHONE,
                                   "consignee_address": pii.ADDRESS}, may_see=may_see_consignee)
    scope_rule(TrackingEvent)(by_store("shipment__"))
    scope_rule(Alert)(by_store("shipment__"))
    scope_rule(AlertEntry)(by_store("alert__shipment__"))
    scope_rule(Compensation)(by_store("alert__shipment__"))
    scope_rule(CarrierContact)(by_store("alert__shipment__"))
    scope_rule(CustomerContact)(by_store("alert__shipment__"))
    for model in (Carrier, CarrierOutlet, StatusMapping, ReportColumns):
        unscoped(model, reason="Carrier configuration (status codes, report columns, outlet directory) is the "
                               "same for every store and holds no customer data.")

    @scope_rule(IngestRequest)
    def ingest_request_scope(queryset, user, action):
        # An idempotency record belongs to the API client that sent the request.
        if Role.ADMIN in user_roles(user):
            return queryset
        return queryset.filter(user=user)
    scope_rule(Dispatch)(by_store("shipment__"))

    @scope_rule(TrackingImport)
    def import_scope(queryset, user, action):
        if is_org_wide(user):
            return queryset
        mine = Q(uploaded_by=user)
        if Role.LOGISTICS_COORDINATOR in user_roles(user):
            return queryset.filter(mine | Q(store__isnull=True) | Q(store_id__in=visible_store_ids(user)))
        return queryset.filter(mine)
