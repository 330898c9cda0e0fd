"""Refund desk scope rules, registered from RefundsConfig.ready().

A refund request (and its timeline, decisions and evidence files) belongs to its store: org-wide
roles see every store; the integration role the stores its own scope of stores allows (the store
rule of `portal.permissions`, which another rule may narrow per client); everyone else the stores
of the teams in their scope. A store's refund desk settings and return policies follow the store.
Reason codes and the responsibility rulebook are configuration shared by every store.
"""

from portal.permissions import (
    has_action,
    is_org_wide,
    restrict,
    scope_rule,
    unscoped,
    user_roles,
    visible_store_ids,
)
from portal.roles import Role


def refund_store_ids(user) -> set[int] | None:
    """The stores whose refund requests `user` may see (None: every store). Cached on the user."""
    if is_org_wide(user):
        return None
    cached = getattr(user, "_refund_store_ids", None)
    if cached is None:
        if Role.INTEGRATION in user_roles(user):
            from portal.models import Store

            cached = set(restrict(Store.objects.all(), user, "view").values_list("id", flat=True))
        else:
            cached = set(visible_store_ids(user))
        user._refund_store_ids = cached
    return cached


def can_decide(user) -> bool:
    from refunds.models import RefundRequest

    return has_action(user, RefundRequest, "decide")


def can_approve(user) -> bool:
    from refunds.models import RefundRequest

    return has_action(user, RefundRequest, "approve")


def register_rules():
    from refunds.models import (
        EvidenceFile,
        ReasonCode,
        RefundDecision,
        RefundDeskSettings,
        RefundEvent,
        RefundRequest,
        ResponsibilityRule,
        ReturnPolicy,
    )

    def by_store(prefix):
        def rule(queryset, user, action):
            store_ids = refund_store_ids(user)
            return queryset if store_ids is None else queryset.filter(**{f"{prefix}store_id__in": store_ids})

        return rule

    scope_rule(RefundRequest)(by_store(""))
    scope_rule(RefundEvent)(by_store("request__"))
    scope_rule(RefundDecision)(by_store("request__"))
    scope_rule(EvidenceFile)(by_store("request__"))
    scope_rule(RefundDeskSettings)(by_store(""))
    scope_rule(ReturnPolicy)(by_store(""))
    unscoped(ReasonCode, reason="Refund reason codes are the marketplace integration's shared vocabulary.")
    unscoped(ResponsibilityRule, reason="The responsibility rulebook is agreed per product line with the "
                                        "platform, the same for every store; it holds no customer data.")
