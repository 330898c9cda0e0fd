"""Compensation approval limits per role (CNY).

An offer at or below the offerer's own limit is approved at once; above it, the offer waits for
someone whose limit covers the amount (a manager up to 500 CNY, above that a director). A user's
limit is the highest limit among their roles; `None` means no limit. Change the limits here.
"""

from decimal import Decimal

from portal.permissions import user_roles
from portal.roles import Role

APPROVAL_LIMITS: dict[str, Decimal | None] = {
    Role.LOGISTICS_COORDINATOR: Decimal("50"),
    Role.MANAGER: Decimal("500"),
    Role.DIRECTOR: None,
    Role.ADMIN: None,
}

UNLIMITED = None


def approval_limit(user) -> Decimal | None:
    """The largest amount `user` may grant on their own: Decimal, None for no limit, Decimal(0) for none."""
    if user.is_superuser:
        return UNLIMITED
    limits = [APPROVAL_LIMITS[role] for role in user_roles(user) if role in APPROVAL_LIMITS]
    if not limits:
        return Decimal("0")
    if any(limit is UNLIMITED for limit in limits):
        return UNLIMITED
    return max(limits)


def within_limit(user, amount: Decimal) -> bool:
    limit = approval_limit(user)
    return limit is UNLIMITED or amount <= limit
