"""From a metric to the rows that count against it, in the viewer's scope (window ending now).

Each function reads one narrow row set of the store's window (one query, restricted) and returns at
most LIMIT misses as (url, label, detail) items. The counted rates filter by the metric's own rule in
the database (`decided & ~hit` of scores/metrics.py), so a row is listed exactly when the metric
counts it as a miss.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from portal.permissions import restrict
from scores.metrics import (
    DAY,
    HoursBetween,
    installed_within_days,
    on_time_rule,
    pickup_48h_rule,
    resolution_24h_rule,
    response_3min_rule,
    window_days,
)
from scores.models import Metric

LIMIT = 200


def _at(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _shipments(store, user, start, end, field):
    from logistics.models import Shipment

    queryset = restrict(Shipment.objects.all(), user, "view").filter(
        store=store, **{f"{field}__gte": start, f"{field}__lt": end}).exclude(direction=Shipment.Direction.RETURN)
    return queryset


def _parcel(pk, waybill, detail):
    return (reverse("logistics:shipment", args=[pk]), waybill, detail)


def misses(metric: str, store, *, user, now) -> tuple[str, list[tuple[str, str, str]]]:
    """("parcels" | "jobs" | "tickets" | "refunds", items) for the metric's misses."""
    end = now
    start = now - timedelta(days=window_days())
    ref = now
    if metric == Metric.PICKUP_48H_RATE:
        decided, hit = pickup_48h_rule(ref)
        rows = _shipments(store, user, start, end, "created_at").filter(decided & ~hit).order_by("created_at", "pk")
        return "parcels", [_parcel(pk, waybill, f"{_at(created_at)} → {_at(picked)}") for pk, waybill, created_at, picked
                           in rows.values_list("pk", "waybill_number", "created_at", "picked_up_at")[:LIMIT]]
    if metric == Metric.DELIVERY_MEDIAN_HOURS:
        rows = _shipments(store, user, start, end, "shipped_at").filter(delivered_at__lte=ref).annotate(
            hours=HoursBetween(Coalesce("picked_up_at", "shipped_at"), F("delivered_at"))).order_by("-hours", "-pk")
        return "parcels", [_parcel(pk, waybill, f"{hours:.1f} h") for pk, waybill, hours in
                           rows.values_list("pk", "waybill_number", "hours")[:LIMIT]]
    if metric == Metric.STALL_RATE:
        from logistics.models import AlertKind

        queryset = _shipments(store, user, start, end, "shipped_at").filter(alerts__kind=AlertKind.STALLED).distinct()
        return "parcels", [_parcel(pk, w, _at(s)) for pk, w, s in
                           queryset.values_list("pk", "waybill_number", "shipped_at")[:LIMIT]]
    if metric == Metric.ON_TIME_DELIVERY_RATE:
        decided, hit = on_time_rule(ref)
        rows = _shipments(store, user, start, end, "shipped_at").filter(decided & ~hit).order_by("promised_by", "pk")
        return "parcels", [_parcel(pk, waybill, f"{_at(promised)} → {_at(delivered)}") for pk, waybill, promised, delivered
                           in rows.values_list("pk", "waybill_number", "promised_by", "delivered_at")[:LIMIT]]
    if metric in (Metric.APPOINTMENT_KEPT_RATE, Metric.FIRST_VISIT_RATE, Metric.INSTALLED_WITHIN_DAYS_RATE):
        return "jobs", _job_misses(metric, store, user, start, end, ref)
    if metric in (Metric.REFUND_HANDLING_HOURS, Metric.DISPUTE_RATE):
        return "refunds", _refund_misses(metric, store, user, start, end)
    return "tickets", _ticket_misses(metric, store, user, start, end, ref)


def _job_misses(metric, store, user, start, end, ref):
    from django.db.models import Exists, OuterRef

    from installation.models import InstallationEvent, InstallationJob, InstallationNode

    jobs = restrict(InstallationJob.objects.all(), user, "view").filter(store=store).exclude(
        node=InstallationNode.CANCELLED)
    items = []

    def job(pk, detail):
        return (reverse("installation:job", args=[pk]), f"#{pk}", detail)

    if metric == Metric.APPOINTMENT_KEPT_RATE:
        for pk, appointment_end, on_site, completed in jobs.filter(
                appointment_end__gte=start, appointment_end__lt=end, appointment_end__lte=ref).values_list(
                "pk", "appointment_end", "on_site_at", "completed_at"):
            arrived = on_site or completed
            if arrived is None or arrived > appointment_end:
                items.append(job(pk, f"{_at(appointment_end)} → {_at(arrived)}"))
    elif metric == Metric.FIRST_VISIT_RATE:
        failed = InstallationEvent.objects.filter(job_id=OuterRef("pk"), node=InstallationNode.FAILED)
        for pk, visits, has_failed in jobs.filter(node=InstallationNode.COMPLETED, completed_at__gte=start,
                                                  completed_at__lt=end).annotate(has_failed=Exists(failed)) \
                .values_list("pk", "visits", "has_failed"):
            if visits > 1 or has_failed:
                items.append(job(pk, str(visits)))
    else:
        days = installed_within_days()
        for pk, node, delivered, completed in jobs.filter(delivered_at__gte=start, delivered_at__lt=end).values_list(
                "pk", "node", "delivered_at", "completed_at"):
            hit = node == InstallationNode.COMPLETED and completed is not None and completed - delivered <= days * DAY
            if not hit and (delivered <= ref - days * DAY or completed is not None):
                items.append(job(pk, f"{_at(delivered)} → {_at(completed)}"))
    return items[:LIMIT]


def _ticket_misses(metric, store, user, start, end, ref):
    from tickets.models import ChatMessage, Ticket

    visible = restrict(Ticket.objects.all(), user, "view").filter(store=store)
    tickets = visible.filter(merged_into__isnull=True)

    def ticket(pk, subject, detail):
        return (reverse("tickets:ticket", args=[pk]), f"#{pk} {subject}", detail)

    if metric == Metric.RESPONSE_3MIN_RATE:
        # Every buyer message counts, a merged ticket's too (as in the metric).
        decided, hit = response_3min_rule(ref)
        late = ChatMessage.objects.filter(
            ticket__in=visible, sender=ChatMessage.Sender.BUYER, sent_at__gte=start, sent_at__lt=end,
        ).filter(decided & ~hit).values_list(
            "ticket_id", "ticket__subject", "sent_at", "human_response_seconds").order_by("-sent_at", "-pk")[:LIMIT]
        return [ticket(pk, subject, f"{_at(sent)} · {'—' if secs is None else f'{secs / 60:.1f} min'}")
                for pk, subject, sent, secs in late]
    window = tickets.filter(created_at__gte=start, created_at__lt=end)
    if metric == Metric.RESOLUTION_24H_RATE:
        decided, hit = resolution_24h_rule(ref)
        rows = window.filter(decided & ~hit)
        return [ticket(pk, s, _at(c)) for pk, s, c in rows.values_list("pk", "subject", "created_at")
                .order_by("created_at", "pk")[:LIMIT]]
    if metric == Metric.FIRST_RESPONSE_MEDIAN_MINUTES:
        rows = window.filter(first_response_time__isnull=False).order_by("-first_response_time")
        return [ticket(pk, s, f"{t.total_seconds() / 60:.1f} min") for pk, s, t in
                rows.values_list("pk", "subject", "first_response_time")[:LIMIT]]
    rows = window.filter(rating__lte=3).order_by("rating", "-created_at")
    return [ticket(pk, s, f"{r}/5") for pk, s, r in rows.values_list("pk", "subject", "rating")[:LIMIT]]


def _refund_misses(metric, store, user, start, end):
    from refunds.models import RefundRequest

    requests = restrict(RefundRequest.objects.all(), user, "view").filter(store=store).exclude(
        status=RefundRequest.Status.CANCELLED)
    if metric == Metric.REFUND_HANDLING_HOURS:
        rows = sorted(((d - r).total_seconds() / 3600, pk, order) for pk, order, r, d in requests.filter(
            decided_at__gte=start, decided_at__lt=end).values_list("pk", "order_no", "requested_at", "decided_at"))
        return [("", f"#{pk} {order}", f"{hours:.1f} h") for hours, pk, order in reversed(rows[-LIMIT:])]
    rows = requests.filter(requested_at__gte=start, requested_at__lt=end, ruling=RefundRequest.Ruling.BUYER)
    return [("", f"#{pk} {order}", _at(ruled)) for pk, order, ruled in
            rows.values_list("pk", "order_no", "ruled_at")[:LIMIT]]
