"""The mirror of the experience score: metric values per store over a window, and their 0-5 scores.

`metric_values(store_ids, start=, end=, now=)` computes every metric for every store at once over
the window [start, end) (definitions: docs/scores.md). A fixed number of queries whatever the
number of stores and rows: counts are aggregated in the database grouped by store, medians are
taken in Python over one narrow row set per metric. Hits and "decided" moments are both judged as of
`ref = min(now, end)`, so a past window's figures do not change with the moment they are computed.

Scores: `score_of(points, value)` maps a value through the piecewise-linear thresholds;
`combine()` turns metric scores into dimension scores and the overall score, leaving metrics
below their minimum sample out with their weight re-spread; `what_moves()` says what each metric
contributes and what reaching its next threshold would gain.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, FloatField, Func, OuterRef, Q
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from scores import refund_source
from scores.models import METRIC_DIMENSION, Dimension, DimensionWeight, Metric, MetricRule

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def installed_within_days() -> int:
    return getattr(settings, "SCORES_INSTALLED_WITHIN_DAYS", 3)


def window_days() -> int:
    return int(getattr(settings, "SCORES_WINDOW_DAYS", 30))


def window_for(on: date, days: int | None = None) -> tuple[datetime, datetime]:
    """[start, end) of the window of `days` local days ending on `on` (inclusive)."""
    days = days or window_days()
    zone = timezone.get_current_timezone()
    end = datetime.combine(on + timedelta(days=1), time.min, tzinfo=zone)
    return datetime.combine(on - timedelta(days=days - 1), time.min, tzinfo=zone), end


@dataclass(frozen=True)
class Value:
    value: float | None
    sample: int


def _rate(hit, total):
    return round(hit / total, 4) if total else None


def _shipments(store_ids):
    from logistics.models import Shipment

    # Return parcels (a buyer sending goods back) are not the store's dispatch performance.
    return Shipment.objects.filter(store_id__in=store_ids).exclude(direction=Shipment.Direction.RETURN)


class HoursBetween(Func):
    """Hours from the first datetime expression to the second, computed by the database (no row
    comes back to Python for date arithmetic): julianday on SQLite, an epoch difference elsewhere.
    NULL when either is NULL."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):
        (start_sql, start_params), (end_sql, end_params) = (compiler.compile(e) for e in self.source_expressions)
        if connection.vendor == "sqlite":
            sql = f"((julianday({end_sql}) - julianday({start_sql})) * 24.0)"
        else:
            sql = f"(EXTRACT(EPOCH FROM ({end_sql} - {start_sql})) / 3600.0)"
        return sql, (*start_params, *end_params)


class DurationSeconds(Func):
    """A duration column in seconds as a float, computed by the database (no timedelta per row)."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "sqlite":  # durations are stored as integer microseconds
            return f"({sql} / 1000000.0)", params
        return f"EXTRACT(EPOCH FROM {sql})", params


# --- The rules of the counted rates, as (decided, hit) conditions ---------------------------------
#
# One definition serves the metric (conditional counts) and the drill-down (`decided & ~hit`, the
# misses). Everything is judged as of `ref = min(now, end)`: an event after `ref` is neither a hit
# nor a decision yet, so a past day's figures do not depend on when they are computed.


def pickup_48h_rule(ref) -> tuple[Q, Q]:
    """Parcels (created in the window): a hit when first scanned within 48 h (by `ref`); a miss once
    48 h passed without it."""
    hit = Q(picked_up_at__isnull=False, picked_up_at__lte=ref) & Q(
        LessThanOrEqual(HoursBetween(F("created_at"), F("picked_up_at")), 48.0))
    return hit | Q(created_at__lte=ref - 48 * HOUR), hit


def on_time_rule(ref) -> tuple[Q, Q]:
    """Parcels with a promised date (shipped in the window): a hit when delivered by it (and by `ref`);
    a miss once it passed undelivered (parcels being sent back excepted) or delivered late."""
    from logistics.models import ShipmentStatus

    sent_back = [ShipmentStatus.RETURNING, ShipmentStatus.RETURNED]
    promised = Q(promised_by__isnull=False)
    hit = promised & Q(delivered_at__lte=F("promised_by")) & Q(delivered_at__lte=ref)
    decided = promised & (Q(delivered_at__lte=ref) | (Q(promised_by__lt=ref) & ~Q(status__in=sent_back)))
    return decided, hit


def response_3min_rule(ref) -> tuple[Q, Q]:
    """Buyer chat messages (sent in the window): a hit when a person answered within 3 minutes (by
    `ref`); a miss once answered later, or a day passed without a person answering."""
    answered = Q(human_response_at__lte=ref)
    hit = answered & Q(human_response_seconds__lte=RESPONSE_SECONDS)
    return answered | Q(sent_at__lte=ref - DAY), hit


def resolution_24h_rule(ref) -> tuple[Q, Q]:
    """Tickets (created in the window, merged ones left out): a hit when first resolved within 24 h
    (by `ref`); a miss once a day passed without it."""
    hit = Q(first_resolved_at__lte=ref, first_resolution_seconds__lte=DAY.total_seconds())
    return hit | Q(created_at__lte=ref - DAY), hit


def logistics_values(store_ids, *, start, end, ref) -> dict:
    from logistics.models import Alert, AlertKind

    out = defaultdict(dict)
    parcels = _shipments(store_ids)
    # 48-hour pickup: parcels created in the window.
    decided, picked_in_time = pickup_48h_rule(ref)
    pickup = {row["store_id"]: row for row in parcels.filter(created_at__gte=start, created_at__lt=end)
              .values("store_id").annotate(hit=Count("id", filter=picked_in_time),
                                           decided=Count("id", filter=decided)).order_by()}
    # Shipped in the window: median delivery hours, on-time rate, stall rate (all as of `ref`).
    shipped = parcels.filter(shipped_at__gte=start, shipped_at__lt=end)
    due, on_time = on_time_rule(ref)
    shipped_counts = {row["store_id"]: row for row in shipped.values("store_id").annotate(
        sent=Count("id"), due=Count("id", filter=due), on_time=Count("id", filter=on_time),
    ).order_by()}
    hours = defaultdict(list)
    for store_id, value in shipped.filter(delivered_at__lte=ref).values_list(
            "store_id", HoursBetween(Coalesce("picked_up_at", "shipped_at"), F("delivered_at"))).iterator(
            chunk_size=10000):
        hours[store_id].append(value)
    stalled = dict(
        Alert.objects.filter(kind=AlertKind.STALLED, opened_at__lte=ref, shipment__in=shipped.values("pk"))
        .values_list("shipment__store_id").annotate(n=Count("shipment_id", distinct=True)).order_by()
    )
    for store_id in store_ids:
        row = pickup.get(store_id, {"hit": 0, "decided": 0})
        out[store_id][Metric.PICKUP_48H_RATE] = Value(_rate(row["hit"], row["decided"]), row["decided"])
        values = hours.get(store_id, [])
        out[store_id][Metric.DELIVERY_MEDIAN_HOURS] = Value(
            round(statistics.median(values), 2) if values else None, len(values))
        row = shipped_counts.get(store_id, {"sent": 0, "due": 0, "on_time": 0})
        out[store_id][Metric.ON_TIME_DELIVERY_RATE] = Value(_rate(row["on_time"], row["due"]), row["due"])
        out[store_id][Metric.STALL_RATE] = Value(_rate(stalled.get(store_id, 0), row["sent"]), row["sent"])
    return out


def installation_values(store_ids, *, start, end, ref) -> dict:
    from installation.models import InstallationEvent, InstallationJob, InstallationNode

    out = defaultdict(dict)
    jobs = InstallationJob.objects.filter(store_id__in=store_ids).exclude(node=InstallationNode.CANCELLED)
    failed = InstallationEvent.objects.filter(job_id=OuterRef("pk"), node=InstallationNode.FAILED)
    days = installed_within_days()
    kept, first, within = (defaultdict(lambda: [0, 0]) for _ in range(3))
    rows = jobs.filter(
        Q(appointment_end__gte=start, appointment_end__lt=end) | Q(completed_at__gte=start, completed_at__lt=end)
        | Q(delivered_at__gte=start, delivered_at__lt=end)
    ).annotate(has_failed=Exists(failed)).values_list(
        "store_id", "node", "appointment_end", "on_site_at", "completed_at", "delivered_at", "visits", "has_failed")
    for store_id, node, appointment_end, on_site_at, completed_at, delivered_at, visits, has_failed in rows.iterator(
            chunk_size=5000):
        # Appointments kept: appointments that ended in the window (and by `ref`); kept when the
        # technician was on site (or the job completed) by the end of the window.
        if appointment_end is not None and start <= appointment_end < end and appointment_end <= ref:
            arrived = on_site_at or completed_at
            kept[store_id][0] += arrived is not None and arrived <= appointment_end
            kept[store_id][1] += 1
        # First-visit success: jobs completed in the window on the first visit, never failed.
        if node == InstallationNode.COMPLETED and completed_at is not None and start <= completed_at < end:
            first[store_id][0] += visits <= 1 and not has_failed
            first[store_id][1] += 1
        # Installed within N days of delivery: delivered in the window; a miss once N days passed.
        if delivered_at is not None and start <= delivered_at < end:
            hit = completed_at is not None and completed_at <= ref and node == InstallationNode.COMPLETED \
                and completed_at - delivered_at <= days * DAY
            if hit or delivered_at <= ref - days * DAY:
                within[store_id][0] += hit
                within[store_id][1] += 1
    for store_id in store_ids:
        for metric, counts in ((Metric.APPOINTMENT_KEPT_RATE, kept), (Metric.FIRST_VISIT_RATE, first),
                               (Metric.INSTALLED_WITHIN_DAYS_RATE, within)):
            hit, total = counts.get(store_id, (0, 0))
            out[store_id][metric] = Value(_rate(hit, total), total)
    return out


RESPONSE_SECONDS = 180


def service_values(store_ids, *, start, end, ref) -> dict:
    from tickets.models import ChatMessage, Ticket

    out = defaultdict(dict)
    decided, answered_fast = response_3min_rule(ref)
    responses = {
        row["ticket__store_id"]: row for row in ChatMessage.objects.filter(
            ticket__store_id__in=store_ids, sender=ChatMessage.Sender.BUYER, sent_at__gte=start, sent_at__lt=end,
        ).values("ticket__store_id").annotate(
            hit=Count("id", filter=answered_fast), decided=Count("id", filter=decided),
        ).order_by()
    }
    tickets = Ticket.objects.filter(store_id__in=store_ids, created_at__gte=start, created_at__lt=end,
                                    merged_into__isnull=True)
    decided, within_24h = resolution_24h_rule(ref)
    # A rating counts once given by `ref` (a rating without its moment is taken as given).
    rated = Q(rating__isnull=False) & (Q(rated_at__lte=ref) | Q(rated_at__isnull=True))
    counts = {
        row["store_id"]: row for row in tickets.values("store_id").annotate(
            resolved=Count("id", filter=within_24h), decided=Count("id", filter=decided),
            rated=Count("id", filter=rated), satisfied=Count("id", filter=rated & Q(rating__gte=4)),
        ).order_by()
    }
    first = defaultdict(list)
    for store_id, seconds in tickets.filter(first_response_time__isnull=False, first_response_at__lte=ref).values_list(
            "store_id", DurationSeconds("first_response_time")).iterator(chunk_size=10000):
        first[store_id].append(seconds / 60)
    for store_id in store_ids:
        row = responses.get(store_id, {"hit": 0, "decided": 0})
        out[store_id][Metric.RESPONSE_3MIN_RATE] = Value(_rate(row["hit"], row["decided"]), row["decided"])
        row = counts.get(store_id, {"resolved": 0, "decided": 0, "rated": 0, "satisfied": 0})
        out[store_id][Metric.RESOLUTION_24H_RATE] = Value(_rate(row["resolved"], row["decided"]), row["decided"])
        out[store_id][Metric.SATISFACTION_RATE] = Value(_rate(row["satisfied"], row["rated"]), row["rated"])
        values = first.get(store_id, [])
        out[store_id][Metric.FIRST_RESPONSE_MEDIAN_MINUTES] = Value(
            round(statistics.median(values), 2) if values else None, len(values))
    for store_id, metrics in refund_source.refund_values(store_ids, start=start, end=end, ref=ref).items():
        out[store_id].update({metric: Value(*pair) for metric, pair in metrics.items()})
    return out


def metric_values(store_ids, *, start, end, now, metrics=None) -> dict[int, dict[str, Value]]:
    """{store_id: {metric: Value}} over [start, end) for every metric, or only the dimensions that
    `metrics` (a set of metric codes, e.g. a badge's) need; the others stay at value None, sample 0."""
    store_ids = list(store_ids)
    ref = min(now, end)
    result = {store_id: {metric: Value(None, 0) for metric in Metric} for store_id in store_ids}
    if not store_ids:
        return result
    wanted = {METRIC_DIMENSION[Metric(m)] for m in metrics} if metrics is not None else set(Dimension)
    for dimension, part in ((Dimension.LOGISTICS, logistics_values), (Dimension.INSTALLATION, installation_values),
                            (Dimension.SERVICE, service_values)):
        if dimension not in wanted:
            continue
        for store_id, values in part(store_ids, start=start, end=end, ref=ref).items():
            result[store_id].update(values)
    return result


# --- Scores --------------------------------------------------------------------------------------


def score_of(points, value) -> float | None:
    """Piecewise-linear: the score at `value` between the two surrounding [value, score] points;
    below the first point its score, above the last its score."""
    if value is None:
        return None
    points = sorted((float(v), float(s)) for v, s in points)
    if value <= points[0][0]:
        return round(points[0][1], 3)
    for (v0, s0), (v1, s1) in zip(points, points[1:], strict=False):
        if value <= v1:
            return round(s0 + (s1 - s0) * (value - v0) / (v1 - v0), 3)
    return round(points[-1][1], 3)


@dataclass
class Configuration:
    rules: dict  # metric -> MetricRule (active only)
    dimension_weights: dict  # dimension -> weight

    @classmethod
    def load(cls):
        rules = {rule.metric: rule for rule in MetricRule.objects.filter(active=True)}
        weights = {d: 1.0 for d in Dimension}
        weights.update(dict(DimensionWeight.objects.values_list("dimension", "weight")))
        return cls(rules=rules, dimension_weights=weights)


def metric_scores(values: dict[str, Value], config: Configuration) -> dict[str, float | None]:
    """Each configured metric's 0-5 score; None below its minimum sample or without a value."""
    scores = {}
    for metric, rule in config.rules.items():
        value = values.get(metric, Value(None, 0))
        counted = value.value is not None and value.sample >= rule.minimum_sample
        scores[metric] = score_of(rule.points, value.value) if counted else None
    return scores


def _weighted(pairs):
    pairs = [(score, weight) for score, weight in pairs if score is not None and weight > 0]
    total = sum(weight for _, weight in pairs)
    return round(sum(score * weight for score, weight in pairs) / total, 3) if total else None


def combine(scores: dict[str, float | None], config: Configuration) -> dict[str, float | None]:
    """Dimension scores (weighted means of their counted metrics) and `overall` (weighted mean of the
    dimensions that have a score). Metrics without a score are left out, never counted as zero."""
    result = {}
    for dimension in Dimension:
        result[dimension.value] = _weighted(
            (scores.get(metric), rule.weight) for metric, rule in config.rules.items()
            if METRIC_DIMENSION[metric] == dimension)
    result["overall"] = _weighted((result[d.value], config.dimension_weights.get(d, 1.0)) for d in Dimension)
    return result


def what_moves(values: dict[str, Value], config: Configuration) -> list[dict]:
    """Per metric: value, sample, score, its share of the overall score (`contribution`, in points of
    the 0-5 scale) and the overall gain if it reached its next threshold (`next_value`)."""
    scores = metric_scores(values, config)
    combined = combine(scores, config)
    overall = combined["overall"]
    rows = []
    for metric in sorted(Metric, key=lambda m: (list(Dimension).index(METRIC_DIMENSION[m]), m.value)):
        rule = config.rules.get(metric)  # None: the metric is not configured (does not count)
        value, score = values.get(metric, Value(None, 0)), scores.get(metric)
        row = {"metric": metric.value, "label": metric.label, "dimension": METRIC_DIMENSION[metric].value,
               "value": value.value, "sample": value.sample, "configured": rule is not None,
               "minimum_sample": rule.minimum_sample if rule else None, "score": score,
               "contribution": None, "next_value": None, "next_score": None, "gain": None}
        if rule is not None and score is not None and overall is not None:
            without = dict(scores)
            without[metric] = 0.0
            row["contribution"] = round(overall - combine(without, config)["overall"], 3)
            better = _next_point(rule.points, score)
            if better is not None:
                raised = dict(scores)
                raised[metric] = better[1]
                row["next_value"], row["next_score"] = better
                row["gain"] = round(combine(raised, config)["overall"] - overall, 3)
        rows.append(row)
    return rows


def _next_point(points, score):
    """The threshold point with the smallest score above `score` (None at the top)."""
    higher = [(float(v), float(s)) for v, s in points if float(s) > score + 1e-9]
    return min(higher, key=lambda p: p[1]) if higher else None
