"""Refund desk scope rules, registered from RefundsConfig.ready().

A refund request (and its timeline, decisions and evidence files) belongs to its store: org-wide
roles see every store; everyone else the stores of `portal.permissions.visible_store_ids` (for an
integration account, the stores its client serves; for staff, those of the teams in their scope).
A store's refund desk settings and return policies follow the store.
Reason codes and the responsibility rulebook are configuration shared by every store.
"""

from portal.permissions import by_store, has_action, scope_rule, unscoped


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

    scope_rule(RefundRequest)(by_store(""))
    scope_rule(RefundEvent)(by_store("request__"))
    scope_rule(RefundDecision)(by_store("request__"))
    scope_rule(EvidenceFile)(by_store("request__"))
    scope_rule(RefundDeskSettings)(by_store(""))
    scope_rule(ReturnPolicy)(by_store(""))
    unscoped(ReasonCode, reason="Refund reason codes are the marketplace integration's shared vocabulary.")
    unscoped(ResponsibilityRule, reason="The responsibility rulebook is agreed per product line with the "
                                        "platform, the same for every store; it holds no customer data.")
