"""The tickets demo loads on top of the portal demo, idempotently, with tickets in many states."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Count

from tickets.demo import load_demo
from tickets.models import Queue, RoutingRule, SLAPolicy, Ticket

NOW = datetime(2026, 3, 6, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_demo_loads_idempotently(demo):
    load_demo(now=NOW)
    counts = (Ticket.objects.count(), Queue.objects.count(), SLAPolicy.objects.count(), RoutingRule.objects.count())
    load_demo(now=NOW)
    assert (Ticket.objects.count(), Queue.objects.count(), SLAPolicy.objects.count(),
            RoutingRule.objects.count()) == counts
    assert 25 <= counts[0] <= 40
    statuses = dict(Ticket.objects.values_list("status").annotate(n=Count("id")))
    assert {"new", "open", "pending_customer", "resolved", "closed"} <= set(statuses)
    categories = set(Ticket.objects.values_list("category", flat=True))
    assert {"logistics", "installation", "refund", "dispute"} <= categories
    assert Ticket.objects.filter(queue__name__startswith="退款", category="refund").exists()
    assert Ticket.objects.filter(rating__isnull=False).exists()
    assert Ticket.objects.filter(is_major=True).exists()
