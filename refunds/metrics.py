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
Three queries whatever the number of requests: the requests grouped by reason, decision, ruling,
on time and disputed (a few dozen groups with counts and sums), the reason codes, and the one or
two middle rows of the decided requests ordered by their seconds to decision (the median).
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from refunds.models import ReasonCode, RefundRequest

Decision = RefundRequest.Decision
Ruling = RefundRequest.Ruling
DECIDED = Q(decided_at__isnull=False) & ~Q(decision="")
REFUNDED = (~Q(ruling="") & Q(ruling_amount__gt=0)) | (Q(ruling="") & Q(refund_amount__gt=0))


def _share(part, whole):
    return round(part / whole, 4) if whole else None


def _money(value) -> str:
    return str((value or Decimal("0")).quantize(Decimal("0.01")))


def refund_metrics(requests, *, date_from, date_to, now) -> dict:
    """`requests`: an already restricted queryset; dates inclusive, in the portal's time zone."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(date_from, time.min, tzinfo=zone)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)
    period = requests.filter(requested_at__gte=start, requested_at__lt=end).order_by()
    # One pass: the period's requests grouped by what the figures tell apart (a few dozen groups),
    # with their counts and sums; every figure but the median is arithmetic over these groups.
    groups = period.values(
        "reason_id", "decision", "ruling",
        decided=ExpressionWrapper(DECIDED, output_field=BooleanField()),
        on_time=ExpressionWrapper(Q(decided_at__lte=F("respond_by")), output_field=BooleanField()),
        disputed=ExpressionWrapper(Q(dispute_submitted_on__isnull=False), output_field=BooleanField()),
    ).annotate(n=Count("pk"), refunded_n=Count("pk", filter=REFUNDED), requested=Sum("amount"),
               refund=Sum("refund_amount"), ruled_amount=Sum("ruling_amount"))
    reasons = dict(ReasonCode.objects.values_list("pk", "code"))
    count = decided = on_time = disputes = ruled = 0
    wins = 0.0
    by_decision = dict.fromkeys(Decision.values, 0)
    per_reason: dict[str, list[int]] = {}
    refunded = saved = Decimal("0")
    for group in groups:
        n = group["n"]
        count += n
        if not group["decided"]:
            continue
        decided += n
        on_time += n if group["on_time"] else 0
        by_decision[group["decision"]] = by_decision.get(group["decision"], 0) + n
        final = (group["ruled_amount"] if group["ruling"] else group["refund"]) or Decimal("0")
        refunded += final
        if group["decision"] in (Decision.PARTIAL, Decision.REJECT):
            saved += (group["requested"] or Decimal("0")) - final
        if group["disputed"]:
            disputes += n
            if group["ruling"]:
                ruled += n
                wins += n * {Ruling.MERCHANT: 1.0, Ruling.SPLIT: 0.5}.get(group["ruling"], 0.0)
        tally = per_reason.setdefault(reasons.get(group["reason_id"], ""), [0, 0])
        tally[0] += n
        tally[1] += group["refunded_n"]
    median = None
    if decided:
        timed = period.filter(DECIDED, decision_seconds__isnull=False).order_by("decision_seconds")
        middle = list(timed.values_list("decision_seconds", flat=True)[(decided - 1) // 2: decided // 2 + 1])
        if middle:
            median = round(sum(middle) / len(middle) / 3600, 2)
    return {
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "requests": count,
        "decided": decided,
        "median_hours_to_decision": median,
        "decided_before_deadline_share": _share(on_time, decided),
        "approval_share": _share(by_decision[Decision.APPROVE], decided),
        "partial_share": _share(by_decision[Decision.PARTIAL], decided),
        "reject_share": _share(by_decision[Decision.REJECT], decided),
        "exchange_share": _share(by_decision[Decision.EXCHANGE], decided),
        "disputes": disputes,
        "disputes_ruled": ruled,
        "dispute_win_rate": round(wins / ruled, 4) if ruled else None,
        "refund_rate_by_reason": {code: _share(tally[1], tally[0]) for code, tally in sorted(per_reason.items())},
        "amount_refunded": _money(refunded),
        "amount_saved": _money(saved),
    }
