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
Four queries whatever the number of requests, all aggregated by the database (the median reads
the one or two middle rows of the decided requests ordered by their seconds to decision).
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from refunds.models import RefundRequest

Decision = RefundRequest.Decision
Ruling = RefundRequest.Ruling
ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=12, decimal_places=2))
# The refund in force: after a ruling the ruled amount, else the decision's.
FINAL = Case(When(~Q(ruling=""), then=Coalesce(F("ruling_amount"), ZERO)), default=Coalesce(F("refund_amount"), ZERO),
             output_field=DecimalField(max_digits=12, decimal_places=2))
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
    decided = period.filter(DECIDED)
    totals = period.aggregate(
        requests=Count("pk"),
        decided=Count("pk", filter=DECIDED),
        on_time=Count("pk", filter=DECIDED & Q(decided_at__lte=F("respond_by"))),
        approve=Count("pk", filter=DECIDED & Q(decision=Decision.APPROVE)),
        partial=Count("pk", filter=DECIDED & Q(decision=Decision.PARTIAL)),
        reject=Count("pk", filter=DECIDED & Q(decision=Decision.REJECT)),
        exchange=Count("pk", filter=DECIDED & Q(decision=Decision.EXCHANGE)),
        disputes=Count("pk", filter=DECIDED & Q(dispute_submitted_on__isnull=False)),
        ruled=Count("pk", filter=DECIDED & Q(dispute_submitted_on__isnull=False) & ~Q(ruling="")),
        won=Count("pk", filter=DECIDED & Q(dispute_submitted_on__isnull=False, ruling=Ruling.MERCHANT)),
        split=Count("pk", filter=DECIDED & Q(dispute_submitted_on__isnull=False, ruling=Ruling.SPLIT)),
        refunded=Sum(FINAL, filter=DECIDED),
        saved=Sum(F("amount") - FINAL, filter=DECIDED & Q(decision__in=[Decision.PARTIAL, Decision.REJECT])),
    )
    by_reason = {
        code: _share(refunded, count) for code, count, refunded in decided.values("reason__code").annotate(
            count=Count("pk"), refunded=Count("pk", filter=REFUNDED)).values_list("reason__code", "count", "refunded")
    }
    n = totals["decided"]
    median = None
    if n:
        timed = decided.filter(decision_seconds__isnull=False).order_by("decision_seconds")
        middle = list(timed.values_list("decision_seconds", flat=True)[(n - 1) // 2: n // 2 + 1])
        if middle:
            median = round(sum(middle) / len(middle) / 3600, 2)
    ruled = totals["ruled"]
    return {
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "requests": totals["requests"],
        "decided": n,
        "median_hours_to_decision": median,
        "decided_before_deadline_share": _share(totals["on_time"], n),
        "approval_share": _share(totals["approve"], n),
        "partial_share": _share(totals["partial"], n),
        "reject_share": _share(totals["reject"], n),
        "exchange_share": _share(totals["exchange"], n),
        "disputes": totals["disputes"],
        "disputes_ruled": ruled,
        "dispute_win_rate": round((totals["won"] + totals["split"] / 2) / ruled, 4) if ruled else None,
        "refund_rate_by_reason": dict(sorted(by_reason.items())),
        "amount_refunded": _money(totals["refunded"]),
        "amount_saved": _money(totals["saved"]),
    }
