"""Logistics metrics per store, carrier and period (definitions in docs/logistics.md).

The cohort is the outbound parcels shipped within [date_from, date_to] (local dates, both
inclusive; return parcels are left out):

- on-time delivery rate: of the cohort's parcels that are due (delivered, or their deadline has
  passed by `now`) and not sent back undelivered, the share delivered by the deadline. The
  deadline is the promised delivery time, else shipping time + the carrier's default delivery hours;
- median hours from shipment to delivery, over the delivered parcels;
- stall rate: the share of parcels that had at least one stalled alert;
- alerts per 1,000 parcels: all alerts of the cohort's parcels (any kind, any status);
- compensation paid: the approved compensation on the cohort's parcels, CNY (coupons at face value).

A handful of queries whatever the cohort size; the per-parcel arithmetic is done in Python over
a single narrow row set.
"""

import statistics
from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from logistics.models import Alert, AlertKind, Carrier, Compensation, Dispatch, Shipment, ShipmentStatus

PERIODS = ("day", "week", "month")
SENT_BACK = {ShipmentStatus.RETURNING, ShipmentStatus.RETURNED}


def _period_key(moment, period):
    local = timezone.localtime(moment).date()
    if period == "week":
        return (local - timedelta(days=local.weekday())).isoformat()
    if period == "month":
        return local.strftime("%Y-%m")
    return local.isoformat()


class _Bucket:
    def __init__(self):
        self.parcels = 0
        self.delivered = 0
        self.due = 0
        self.on_time = 0
        self.hours = []
        self.stalled = 0
        self.alerts = 0
        self.compensation = Decimal("0")

    def as_dict(self):
        return {
            "parcels": self.parcels,
            "delivered": self.delivered,
            "on_time_delivery_rate": round(self.on_time / self.due, 4) if self.due else None,
            "median_hours_to_delivery": round(statistics.median(self.hours), 1) if self.hours else None,
            "stall_rate": round(self.stalled / self.parcels, 4) if self.parcels else None,
            "alerts_per_1000_parcels": round(1000 * self.alerts / self.parcels, 1) if self.parcels else None,
            "compensation_paid": str(self.compensation.quantize(Decimal("0.01"))),
        }


def logistics_metrics(shipments, *, date_from, date_to, now, period="day") -> dict:
    """Metrics over `shipments` (already narrowed to the user's scope and filters) shipped in the dates."""
    if period not in PERIODS:
        raise ValueError(period)
    zone = timezone.get_current_timezone()
    start = datetime.combine(date_from, time.min, tzinfo=zone)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)
    # Return parcels (goods sent back to the store) are not deliveries to customers.
    cohort = shipments.filter(shipped_at__gte=start, shipped_at__lt=end, direction=Shipment.Direction.OUTBOUND)
    default_hours = dict(Carrier.objects.values_list("pk", "default_delivery_hours"))
    carriers = dict(Carrier.objects.values_list("pk", "code"))
    rows = list(cohort.values_list("pk", "store_id", "store__code", "carrier_id", "shipped_at", "delivered_at",
                                   "promised_by", "status"))
    alerts = defaultdict(int)
    stalled = set()
    for shipment_id, kind, n in (
        Alert.objects.filter(shipment__in=cohort.values("pk")).values_list("shipment_id", "kind")
        .annotate(n=Count("id")).order_by()
    ):
        alerts[shipment_id] += n
        if kind == AlertKind.STALLED:
            stalled.add(shipment_id)
    paid = dict(
        Compensation.objects.filter(alert__shipment__in=cohort.values("pk"), status=Compensation.Status.APPROVED)
        .values_list("alert__shipment_id").annotate(total=Sum("amount")).order_by()
    )
    totals = _Bucket()
    by_store, by_carrier, by_period = defaultdict(_Bucket), defaultdict(_Bucket), defaultdict(_Bucket)
    for pk, _store_id, store_code, carrier_id, shipped_at, delivered_at, promised_by, status in rows:
        deadline = promised_by or shipped_at + timedelta(hours=default_hours.get(carrier_id, 72))
        delivered = delivered_at is not None
        due = delivered or (deadline < now and status not in SENT_BACK)
        on_time = delivered and delivered_at <= deadline
        hours = (delivered_at - shipped_at).total_seconds() / 3600 if delivered else None
        for bucket in (totals, by_store[store_code], by_carrier[carriers.get(carrier_id, "")],
                       by_period[_period_key(shipped_at, period)]):
            bucket.parcels += 1
            bucket.delivered += delivered
            bucket.due += due
            bucket.on_time += on_time
            if hours is not None:
                bucket.hours.append(hours)
            bucket.stalled += pk in stalled
            bucket.alerts += alerts.get(pk, 0)
            bucket.compensation += paid.get(pk, Decimal("0"))
    return {
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "period": period,
        "totals": totals.as_dict(),
        "by_store": [{"store": key, **bucket.as_dict()} for key, bucket in sorted(by_store.items())],
        "by_carrier": [{"carrier": key, **bucket.as_dict()} for key, bucket in sorted(by_carrier.items())],
        "by_period": [{"period": key, **bucket.as_dict()} for key, bucket in sorted(by_period.items())],
        "own_deliveries": own_deliveries(shipments, start=start, end=end),
    }


def own_deliveries(shipments, *, start, end) -> dict:
    """Dispatches (own-vehicle deliveries) created in [start, end) for these parcels: their count, how
    many delivered, and their total cost (their own ledger, apart from compensation). One query."""
    totals = Dispatch.objects.filter(shipment__in=shipments.values("pk"), created_at__gte=start,
                                     created_at__lt=end).aggregate(
        count=Count("id"), delivered=Count("id", filter=Q(status=Dispatch.Status.DELIVERED)), cost=Sum("cost"))
    return {"count": totals["count"], "delivered": totals["delivered"],
            "total_cost": str((totals["cost"] or Decimal("0")).quantize(Decimal("0.01")))}

