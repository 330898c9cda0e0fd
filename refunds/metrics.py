"""Refund desk metrics over the requests received in a period (definitions, also in docs/refunds.md):

- requests: requests received (`requested_at`) in the period, cancelled ones included;
- decided: of them, those with a decision in force (decided, disputed or closed after a decision);
- median hours to decision: from receipt (`requested_at`) to the decision in force, over the decided;
- decided before the deadline: the share of the decided whose decision came by `respond_by`;
- approval / partial / reject / exchange shares: of the decided, by decision;
- disputes: decided requests submitted to the platform's arbitration; win rate: of the disputes
  with a ruling, the share ruled for the merchant (a split counts half);
- refund rate by reason: per reason code, the share of its decided requests that refunded money
  (approve or partial, or a ruling that granted a refund);
- amount refunded: the refunds in force (after a ruling, the ruled amount);
- amount saved: requested minus refunded over partial and contested (rejected) decisions.
A fixed number of queries (two) whatever the number of requests; the arithmetic is in Python over
one narrow row set.
"""

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal
from statistics import median

from django.utils import timezone

from refunds.models import ReasonCode, RefundRequest

Decision = RefundRequest.Decision
Ruling = RefundRequest.Ruling


def _share(part, whole):
    return round(part / whole, 4) if whole else None


def refund_metrics(requests, *, date_from, date_to, now) -> dict:
    """`requests`: an already restricted queryset; dates inclusive, in the portal's time zone."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(date_from, time.min, tzinfo=zone)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)
    rows = list(requests.filter(requested_at__gte=start, requested_at__lt=end).values_list(
        "reason_id", "amount", "requested_at", "respond_by", "decision", "refund_amount", "decided_at",
        "dispute_submitted_on", "ruling", "ruling_amount").order_by())
    reasons = dict(ReasonCode.objects.values_list("pk", "code"))
    hours, on_time, by_decision = [], 0, defaultdict(int)
    disputes = ruled = 0
    wins = 0.0
    refunded = saved = Decimal("0")
    per_reason = defaultdict(lambda: [0, 0])  # decided, refunded
    for reason_id, amount, requested_at, respond_by, decision, refund, decided_at, disputed_on, ruling, ruled_amount \
            in rows:
        if not decision or decided_at is None:
            continue
        hours.append((decided_at - requested_at).total_seconds() / 3600)
        on_time += decided_at <= respond_by
        by_decision[decision] += 1
        final = ruled_amount if ruling else (refund or Decimal("0"))
        refunded += final
        if decision in (Decision.PARTIAL, Decision.REJECT):
            saved += amount - final
        if disputed_on is not None:
            disputes += 1
            if ruling:
                ruled += 1
                wins += 1.0 if ruling == Ruling.MERCHANT else 0.5 if ruling == Ruling.SPLIT else 0.0
        counts = per_reason[reasons.get(reason_id, "")]
        counts[0] += 1
        counts[1] += final > 0
    decided = sum(by_decision.values())
    return {
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "requests": len(rows),
        "decided": decided,
        "median_hours_to_decision": round(median(hours), 2) if hours else None,
        "decided_before_deadline_share": _share(on_time, decided),
        "approval_share": _share(by_decision[Decision.APPROVE], decided),
        "partial_share": _share(by_decision[Decision.PARTIAL], decided),
        "reject_share": _share(by_decision[Decision.REJECT], decided),
        "exchange_share": _share(by_decision[Decision.EXCHANGE], decided),
        "disputes": disputes,
        "disputes_ruled": ruled,
        "dispute_win_rate": round(wins / ruled, 4) if ruled else None,
        "refund_rate_by_reason": {code: _share(counts[1], counts[0]) for code, counts in sorted(per_reason.items())},
        "amount_refunded": str(refunded.quantize(Decimal("0.01"))),
        "amount_saved": str(saved.quantize(Decimal("0.01"))),
    }
