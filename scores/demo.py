"""Demo thresholds, weights and badges (docs/scores.md lists them), official figures for the demo
stores, and 30 days of snapshots computed from the demo's own data. Idempotent.

The demo's minimum samples are small (a handful of parcels, jobs and tickets per store): a real
store's rules should ask for more (the defaults of the model are 30).
"""

from datetime import timedelta

from django.utils import timezone

from portal.models import Store
from scores.models import Badge, Dimension, DimensionWeight, EmbedSettings, Metric, MetricRule, OfficialScore
from scores.services import compute_range, last_full_day

DEMO_MINIMUM = 3

# metric: (weight in its dimension, thresholds [[value, score], ...])
RULES = {
    Metric.PICKUP_48H_RATE: (1.0, [[0.80, 0], [0.90, 3], [0.95, 4], [0.98, 4.6], [1.0, 5]]),
    Metric.DELIVERY_MEDIAN_HOURS: (0.8, [[24, 5], [48, 4.5], [72, 3.5], [96, 2], [144, 0]]),
    Metric.STALL_RATE: (0.8, [[0, 5], [0.01, 4.6], [0.03, 4], [0.06, 3], [0.15, 0]]),
    Metric.ON_TIME_DELIVERY_RATE: (1.0, [[0.80, 0], [0.90, 3], [0.95, 4.2], [0.98, 4.8], [1.0, 5]]),
    Metric.APPOINTMENT_KEPT_RATE: (1.0, [[0.80, 0], [0.90, 3], [0.95, 4.3], [1.0, 5]]),
    Metric.FIRST_VISIT_RATE: (1.0, [[0.70, 0], [0.85, 3], [0.93, 4.3], [1.0, 5]]),
    Metric.INSTALLED_WITHIN_DAYS_RATE: (1.0, [[0.60, 0], [0.80, 3], [0.90, 4.3], [1.0, 5]]),
    Metric.RESPONSE_3MIN_RATE: (1.0, [[0.60, 0], [0.80, 3], [0.90, 4.2], [0.97, 4.8], [1.0, 5]]),
    Metric.RESOLUTION_24H_RATE: (1.0, [[0.60, 0], [0.80, 3], [0.90, 4.3], [1.0, 5]]),
    Metric.FIRST_RESPONSE_MEDIAN_MINUTES: (0.6, [[1, 5], [3, 4.5], [10, 3.5], [30, 1.5], [60, 0]]),
    Metric.SATISFACTION_RATE: (1.2, [[0.80, 0], [0.90, 3], [0.95, 4.4], [0.98, 4.9], [1.0, 5]]),
    Metric.REFUND_HANDLING_HOURS: (0.8, [[6, 5], [24, 4.5], [48, 3.5], [72, 2], [120, 0]]),
    Metric.DISPUTE_RATE: (0.8, [[0, 5], [0.005, 4.6], [0.01, 4], [0.03, 2], [0.05, 0]]),
}
WEIGHTS = {Dimension.LOGISTICS: 0.35, Dimension.INSTALLATION: 0.25, Dimension.SERVICE: 0.40}

BADGES = [
    dict(code="return-90", kind=Badge.Kind.POLICY, name_zh="90天无忧退货", name_en="90-day hassle-free return",
         description_zh="签收后90天内可无忧退货", description_en="Return within 90 days of delivery, no hassle",
         icon="scores/icons/return.svg", order=1, policy_return_days=90),
    dict(code="fast-dispatch", kind=Badge.Kind.EARNED, name_zh="极速发货", name_en="Fast dispatch",
         description_zh="95%以上的包裹48小时内揽收", description_en="95% or more of parcels picked up within 48 hours",
         icon="scores/icons/dispatch.svg", order=2, metric=Metric.PICKUP_48H_RATE, threshold=0.95,
         at_risk_margin=0.01, show_figure=True),
    dict(code="resolution-24h", kind=Badge.Kind.EARNED, name_zh="24小时解决", name_en="Resolved within 24 hours",
         description_zh="90%以上的问题24小时内解决", description_en="90% or more of issues resolved within 24 hours",
         icon="scores/icons/resolution.svg", order=3, metric=Metric.RESOLUTION_24H_RATE, threshold=0.90,
         at_risk_margin=0.02),
    dict(code="on-time-installation", kind=Badge.Kind.EARNED, name_zh="准时安装", name_en="On-time installation",
         description_zh="95%以上的安装按预约时间上门", description_en="95% or more of installations on time for the appointment",
         icon="scores/icons/installation.svg", order=4, metric=Metric.APPOINTMENT_KEPT_RATE, threshold=0.95,
         at_risk_margin=0.01),
    dict(code="delivered-installed", kind=Badge.Kind.EARNED, name_zh="送装一体", name_en="Delivered and installed",
         description_zh="90%以上的订单签收后3天内安装完成",
         description_en="90% or more of orders installed within 3 days of delivery",
         icon="scores/icons/delivered.svg", order=5, metric=Metric.INSTALLED_WITHIN_DAYS_RATE, threshold=0.90,
         at_risk_margin=0.02),
]

EMBED_ORIGINS = "http://127.0.0.1:8001\nhttp://localhost:8001"


def load_configuration():
    """The demo thresholds, weights and badge definitions (created once; admin edits are kept)."""
    for metric, (weight, points) in RULES.items():
        MetricRule.objects.get_or_create(metric=metric, defaults={"weight": weight, "points": points,
                                                                  "minimum_sample": DEMO_MINIMUM})
    for dimension, weight in WEIGHTS.items():
        DimensionWeight.objects.get_or_create(dimension=dimension, defaults={"weight": weight})
    for spec in BADGES:
        spec = dict(spec)
        code = spec.pop("code")
        spec.setdefault("minimum_sample", DEMO_MINIMUM)
        spec.setdefault("grace_days", 7)
        Badge.objects.get_or_create(code=code, defaults=spec)


def load_demo(*, now):
    load_configuration()
    stores = list(Store.objects.order_by("code"))
    if not stores:
        return
    for store in stores:
        EmbedSettings.objects.get_or_create(store=store, defaults={"frame_origins": EMBED_ORIGINS})
    today = timezone.localtime(now).date()
    for n, store in enumerate(stores):
        for days_ago in range(1, 31):
            on = today - timedelta(days=days_ago)
            wobble = ((days_ago * 7 + n * 3) % 10 - 5) / 100  # a deterministic wobble of ±0.05
            OfficialScore.objects.get_or_create(store=store, date=on, defaults={
                "experience_overall": round(4.75 + wobble, 2), "experience_goods": round(4.8 - wobble, 2),
                "experience_logistics": round(4.7 + wobble, 2), "experience_service": round(4.78 + wobble / 2, 2),
                "dsr_description": 4.8, "dsr_service": round(4.79 + wobble / 5, 2), "dsr_logistics": 4.76,
                "source": OfficialScore.Source.API, "recorded_at": now})
    last = last_full_day(now)
    compute_range(last - timedelta(days=29), last, now=now)
