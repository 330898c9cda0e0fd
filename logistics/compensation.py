"""Compensation approval limits (CNY): per role, and they cannot be split.

An offer is approved at once only if the offerer's own limit covers the running total it makes:

- on the alert: every compensation on it waiting for approval or approved, plus this one;
- on the order (the parcel's store and order number, across all its alerts and parcels): the same;
- the person's own day: what they approved today (their offers approved at once and the offers
  they decided), plus this one, within their daily total (`daily_limit`).

Otherwise the offer waits for someone whose limit covers it (a manager up to 500 CNY, above that a
director). An approver's limit must cover the approved total on the alert and on the order with
this offer, and their own day's total. Twenty-one offers of 50 CNY on one alert are therefore one
offer of 50 approved and twenty waiting, not 1,050 CNY approved at once.

A user's limit is the highest limit among their roles; `None` means no limit. Change the limits
here; the daily totals may be set per role in the `COMPENSATION_DAILY_LIMITS` setting
({"logistics_coordinator": "200", ...}; a missing role keeps its default, `None` is no limit).
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from portal.permissions import user_roles
from portal.roles import Role

APPROVAL_LIMITS: dict[str, Decimal | None] = {
    Role.LOGISTICS_COORDINATOR: Decimal("50"),
    Role.MANAGER: Decimal("500"),
    Role.DIRECTOR: None,
    Role.ADMIN: None,
}

# What one person may approve in one day (local calendar day), all alerts together.
DAILY_LIMITS: dict[str, Decimal | None] = {
    Role.LOGISTICS_COORDINATOR: Decimal("200"),
    Role.MANAGER: Decimal("2000"),
    Role.DIRECTOR: None,
    Role.ADMIN: None,
}

UNLIMITED = None


def _highest(user, limits) -> Decimal | None:
    if user.is_superuser:
        return UNLIMITED
    found = [limits[role] for role in user_roles(user) if role in limits]
    if not found:
        return Decimal("0")
    if any(limit is UNLIMITED for limit in found):
        return UNLIMITED
    return max(found)


def approval_limit(user) -> Decimal | None:
    """The largest total `user` may grant on their own: Decimal, None for no limit, Decimal(0) for none."""
    return _highest(user, APPROVAL_LIMITS)


def daily_limits() -> dict[str, Decimal | None]:
    configured = getattr(settings, "COMPENSATION_DAILY_LIMITS", None) or {}
    return {**DAILY_LIMITS, **{role: None if value is None else Decimal(str(value))
                               for role, value in configured.items()}}


def daily_limit(user) -> Decimal | None:
    """The most `user` may approve in one day (None: no limit)."""
    return _highest(user, daily_limits())


def within_limit(user, amount: Decimal) -> bool:
    limit = approval_limit(user)
    return limit is UNLIMITED or amount <= limit


def _total(queryset) -> Decimal:
    return queryset.aggregate(total=Sum("amount"))["total"] or Decimal("0")


def committed(alert, *, statuses, exclude=None) -> tuple[Decimal, Decimal]:
    """(total on the alert, total on the alert's order) of compensations in `statuses`."""
    from logistics.models import Compensation

    rows = Compensation.objects.filter(status__in=statuses)
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    on_alert = _total(rows.filter(alert_id=alert.pk))
    shipment = alert.shipment
    if shipment.order_number:
        on_order = _total(rows.filter(alert__shipment__store_id=shipment.store_id,
                                      alert__shipment__order_number=shipment.order_number))
    else:
        on_order = _total(rows.filter(alert__shipment_id=shipment.pk))
    return on_alert, on_order


def approved_today(user, *, now) -> Decimal:
    """What `user` approved on the local day of `now` (their own offers approved at once included)."""
    from logistics.models import Compensation

    start = timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))
    return _total(Compensation.objects.filter(status=Compensation.Status.APPROVED, decided_by=user,
                                              decided_at__gte=start, decided_at__lt=start + timedelta(days=1)))


def refusal(user, alert, amount: Decimal, *, now, pending_counts: bool, exclude=None) -> str | None:
    """Why `user` may not approve `amount` on `alert` (None: they may). `pending_counts`: an offer
    (its total includes what waits), or a decision (the approved total)."""
    from django.utils.translation import gettext as _

    from logistics.models import Compensation

    statuses = [Compensation.Status.APPROVED]
    if pending_counts:
        statuses.append(Compensation.Status.PENDING_APPROVAL)
    on_alert, on_order = committed(alert, statuses=statuses, exclude=exclude)
    limit = approval_limit(user)
    if limit is not UNLIMITED:
        if on_alert + amount > limit:
            return _("With this one, compensation on this alert comes to %(total)s CNY, above your "
                     "approval limit of %(limit)s CNY.") % {"total": on_alert + amount, "limit": limit}
        if on_order + amount > limit:
            return _("With this one, compensation on this order comes to %(total)s CNY, above your "
                     "approval limit of %(limit)s CNY.") % {"total": on_order + amount, "limit": limit}
    day = daily_limit(user)
    if day is not UNLIMITED:
        today = approved_today(user, now=now)
        if today + amount > day:
            return _("With this one, %(total)s CNY would be approved by you today, above your daily "
                     "total of %(limit)s CNY.") % {"total": today + amount, "limit": day}
    return None
