"""Logistics scope rules: a shipment (and its events and alerts) belongs to its store.

Org-wide roles see every store; others see the stores of the teams in their scope
(`visible_store_ids`). The integration role feeds tracking data for every store, so ingest is not
narrowed for it. Registered from LogisticsConfig.ready().
"""

from django.db.models import Q

from portal.permissions import is_org_wide, scope_rule, user_roles, visible_store_ids
from portal.roles import Role


def ingest_store_ids(user) -> set[int] | None:
    """Stores whose parcels `user` may feed events for: None means every store."""
    if is_org_wide(user) or Role.INTEGRATION in user_roles(user):
        return None
    return visible_store_ids(user)


def can_see_consignee(user) -> bool:
    """Consignee name, phone and address are PII: unmasked only for roles that call customers."""
    return user.has_perm("logistics.view_consignee_shipment")


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def mask_name(name: str) -> str:
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def register_rules():
    from logistics.models import (
        Alert,
        AlertEntry,
        Compensation,
        Dispatch,
        Shipment,
        TrackingEvent,
        TrackingImport,
    )

    def by_store(prefix):
        def rule(queryset, user, action):
            if is_org_wide(user):
                return queryset
            return queryset.filter(**{f"{prefix}store_id__in": visible_store_ids(user)})

        return rule

    scope_rule(Shipment)(by_store(""))
    scope_rule(TrackingEvent)(by_store("shipment__"))
    scope_rule(Alert)(by_store("shipment__"))
    scope_rule(AlertEntry)(by_store("alert__shipment__"))
    scope_rule(Compensation)(by_store("alert__shipment__"))
    scope_rule(Dispatch)(by_store("shipment__"))

    @scope_rule(TrackingImport)
    def import_scope(queryset, user, action):
        if is_org_wide(user):
            return queryset
        mine = Q(uploaded_by=user)
        if Role.LOGISTICS_COORDINATOR in user_roles(user):
            return queryset.filter(mine | Q(store__isnull=True) | Q(store_id__in=visible_store_ids(user)))
        return queryset.filter(mine)
