"""Helpers for the scores tests: small hand-made data sets in one store, and the demo rules."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from logistics.models import Carrier, Shipment
from refunds.models import ReasonCode, RefundRequest
from scores.models import Badge, Comparator, Metric, MetricRule

SH = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 20)  # the data date of the tests
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=SH)  # long after it: everything is decided


def sh(*args):
    return datetime(*args, tzinfo=SH)


def carrier():
    return Carrier.objects.get_or_create(code="sf", defaults={"name": "SF"})[0]


_n = iter(range(1, 10**6))


def parcel(store, *, created, picked=None, shipped=None, delivered=None, promised=None, direction="outbound",
           status="in_transit"):
    n = next(_n)
    return Shipment.objects.create(store=store, carrier=carrier(), waybill_number=f"W{n}", order_number=f"O{n}",
                                   created_at=created, picked_up_at=picked, shipped_at=shipped or picked,
                                   delivered_at=delivered, promised_by=promised, direction=direction, status=status)


def refund(store, *, requested, decided=None, ruling="", status=RefundRequest.Status.OPEN):
    n = next(_n)
    return RefundRequest.objects.create(
        store=store, platform_request_id=f"R{n}", order_no=f"O{n}", kind=RefundRequest.Kind.REFUND_ONLY,
        amount=Decimal("10.00"), reason=ReasonCode.objects.first(), requested_at=requested,
        respond_by=requested + timedelta(days=2), decided_at=decided, ruling=ruling, status=status,
        created_at=requested, updated_at=decided or requested)


def rule(metric, points, *, weight=1.0, minimum=1):
    return MetricRule.objects.create(metric=metric, points=points, weight=weight, minimum_sample=minimum)


def earned_badge(code="fast", *, metric=Metric.PICKUP_48H_RATE, threshold=0.95, margin=0.01, grace=3, minimum=4,
                 window=30, show_figure=False):
    return Badge.objects.create(code=code, kind=Badge.Kind.EARNED, name_zh="极速发货", name_en="Fast dispatch",
                                description_zh="48小时揽收", description_en="Picked up within 48 hours",
                                icon="scores/icons/dispatch.svg", metric=metric, comparator=Comparator.AT_LEAST,
                                threshold=threshold, at_risk_margin=margin, grace_days=grace, minimum_sample=minimum,
                                window_days=window, show_figure=show_figure)


def policy_badge(days=90):
    return Badge.objects.create(code=f"return-{days}", kind=Badge.Kind.POLICY, name_zh="90天无忧退货",
                                name_en="90-day hassle-free return", description_zh="签收后90天内可退",
                                description_en="Return within 90 days", icon="scores/icons/return.svg",
                                policy_return_days=days)
