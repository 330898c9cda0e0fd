"""What the scores read from the refund desk (the `refunds` app, below scores).

- refund handling hours: the mean hours from a request's arrival (`requested_at`) to its decision
  in force (`decided_at`), over the requests decided in the window (cancelled ones left out);
- dispute rate: of the requests that arrived in the window (cancelled ones left out), the share the
  platform ruled for the buyer (`ruling = buyer`; a split ruling is not counted against the store);
- policy badges: the stores whose return policy with a given window is active on a day (active,
  `active_from <= day <= active_to`, and covering the whole store or marked as backing a badge).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Count, Q


def refund_values(store_ids, *, start, end, ref) -> dict:
    """{store_id: {metric: (value, sample)}} for the two refund metrics."""
    from refunds.models import RefundRequest
    from scores.models import Metric

    requests = RefundRequest.objects.filter(store_id__in=store_ids).exclude(status=RefundRequest.Status.CANCELLED)
    hours = defaultdict(list)
    for store_id, requested_at, decided_at in requests.filter(
            decided_at__gte=start, decided_at__lt=end, decided_at__lte=ref).values_list(
            "store_id", "requested_at", "decided_at").iterator(chunk_size=5000):
        hours[store_id].append(max(0.0, (decided_at - requested_at).total_seconds() / 3600))
    disputes = {
        row["store_id"]: row for row in requests.filter(requested_at__gte=start, requested_at__lt=end)
        .values("store_id").annotate(total=Count("id"), lost=Count("id", filter=Q(ruling=RefundRequest.Ruling.BUYER)))
        .order_by()
    }
    out = defaultdict(dict)
    for store_id in store_ids:
        values = hours.get(store_id, [])
        out[store_id][Metric.REFUND_HANDLING_HOURS] = (round(sum(values) / len(values), 2) if values else None,
                                                       len(values))
        row = disputes.get(store_id, {"total": 0, "lost": 0})
        out[store_id][Metric.DISPUTE_RATE] = (round(row["lost"] / row["total"], 4) if row["total"] else None,
                                              row["total"])
    return out


def stores_with_return_window(store_ids, days_set, on: date) -> dict[int, set[int]]:
    """{store_id: {window days of its return policies active on `on`}} (one query)."""
    from refunds.models import ReturnPolicy

    policies = ReturnPolicy.objects.filter(
        store_id__in=store_ids, window_days__in=list(days_set), is_active=True, active_from__lte=on,
    ).filter(Q(active_to__isnull=True) | Q(active_to__gte=on)).filter(
        Q(backs_badge=True) | Q(product_line__isnull=True, product_category=""))
    result = defaultdict(set)
    for store_id, days in policies.values_list("store_id", "window_days"):
        result[store_id].add(days)
    return result
