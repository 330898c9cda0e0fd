"""Service metrics over tickets. Definitions: docs/metrics.md (Tickets).

The cohort is the tickets *created* in the period [start, end), for one store and/or team (the
team of the ticket's queue), excluding duplicates merged into another ticket. Each metric is a
constant number of queries, whatever the number of tickets.
"""

from __future__ import annotations

import math
import statistics
from datetime import timedelta

from django.db.models import Count, Q, Sum

from tickets.models import Ticket, TicketQuerySet, TimelineEntry

DAY = timedelta(hours=24)


def _rate(part, whole):
    return round(part / whole, 4) if whole else None


def _minutes(seconds):
    """Business seconds reported in minutes, to two decimals (docs/metrics.md)."""
    return None if seconds is None else round(seconds / 60, 2)


def percentile(values: list, share: float):
    """Nearest-rank percentile: the smallest value with at least `share` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def cohort(*, start, end, store=None, team=None, queryset=None):
    queryset = Ticket.objects.all() if queryset is None else queryset
    queryset = queryset.filter(created_at__gte=start, created_at__lt=end, merged_into__isnull=True)
    if store is not None:
        queryset = queryset.filter(store_id=getattr(store, "pk", store))
    if team is not None:
        queryset = queryset.filter(queue__team_id=getattr(team, "pk", team))
    return queryset


def ticket_metrics(*, start, end, now, store=None, team=None, queryset=None) -> dict:
    """Tickets created, 24-hour resolution rate, first-response time (median, p90, business
    minutes computed from the exact business times), average handling time, satisfaction rate and
    SLA breach rate (the clocks' exact breach flags, or past due now) for the period."""
    tickets = cohort(start=start, end=end, store=store, team=team, queryset=queryset)
    # The stored calendar seconds to the first resolution (tickets.services.resolve): a column
    # comparison, not date arithmetic per row.
    within_24h = Q(first_resolution_seconds__lte=DAY.total_seconds())
    counts = tickets.aggregate(
        created=Count("id"),
        resolved_24h=Count("id", filter=within_24h),
        # Decided: resolved within 24 hours, or 24 hours have passed (a miss). Younger open tickets wait.
        decided_24h=Count("id", filter=within_24h | Q(created_at__lte=now - DAY)),
        rated=Count("id", filter=Q(rating__isnull=False)),
        satisfied=Count("id", filter=Q(rating__gte=4)),
        breached=Count("id", filter=Q(sla_breached=True) | TicketQuerySet.breached_q(now)),
        resolved=Count("id", filter=Q(first_resolved_at__isnull=False)),
    )
    # Exact business times (seconds); minutes are only the unit the figures are reported in.
    first_response = [
        time.total_seconds()
        for time in tickets.filter(first_response_time__isnull=False).values_list("first_response_time", flat=True)
    ]
    handling = TimelineEntry.objects.filter(
        ticket__in=tickets.filter(first_resolved_at__isnull=False)
    ).aggregate(total=Sum("handling_seconds"))["total"] or 0
    return {
        "tickets_created": counts["created"],
        "resolution_24h_rate": _rate(counts["resolved_24h"], counts["decided_24h"]),
        "resolved_within_24h": counts["resolved_24h"],
        "resolution_24h_counted": counts["decided_24h"],
        "first_response_median_minutes": _minutes(statistics.median(first_response)) if first_response else None,
        "first_response_p90_minutes": _minutes(percentile(first_response, 0.9)),
        "first_response_counted": len(first_response),
        "average_handling_seconds": round(handling / counts["resolved"], 1) if counts["resolved"] else None,
        "handling_counted": counts["resolved"],
        "satisfaction_rate": _rate(counts["satisfied"], counts["rated"]),
        "ratings_counted": counts["rated"],
        "sla_breach_rate": _rate(counts["breached"], counts["created"]),
        "sla_breached": counts["breached"],
    }
