"""The drill-down lists exactly the rows its metric counts as misses (scores/drilldown.py filters by
the metric's own rule, scores/metrics.py): misses == sample - hits."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.roles import Role
from scores.drilldown import misses
from scores.metrics import metric_values, window_days
from scores.models import Metric
from tests.factories import make_team, make_user
from tests.scores.factories import parcel
from tests.scores.test_metrics import _buyer_message, _service_store, _ticket

pytestmark = pytest.mark.django_db


def _misses_match(store, user, now, metric):
    value = metric_values([store.pk], start=now - timedelta(days=window_days()), end=now, now=now)[store.pk][metric]
    hits = round(value.value * value.sample) if value.value is not None else 0
    _kind, items = misses(metric, store, user=user, now=now)
    return len(items), value.sample - hits


def test_misses_are_the_metrics_own():
    now = timezone.now()
    store = _service_store()
    director = make_user(role=Role.DIRECTOR, team=make_team())
    old, hour = now - timedelta(days=10), timedelta(hours=1)
    # 48-hour pickup: a hit, a late one, one never picked up, a young one (undecided), a return parcel.
    parcel(store, created=old, picked=old + hour, delivered=old + 20 * hour, promised=old + 24 * hour)
    parcel(store, created=old, picked=old + 50 * hour, delivered=old + 80 * hour, promised=old + 70 * hour)
    parcel(store, created=old, promised=old + 24 * hour)  # never picked up (never shipped: not in on-time)
    parcel(store, created=old, picked=old + hour, promised=old + 24 * hour)  # shipped, overdue, undelivered
    parcel(store, created=now - hour)
    parcel(store, created=old, picked=old + 60 * hour, delivered=old + 90 * hour, promised=old + 24 * hour,
           direction="return")  # a buyer's return: in no metric
    parcel(store, created=old, picked=old + hour, promised=old + 24 * hour, status="returning")  # sent back
    # 3-minute response: answered fast, answered late, never answered, and a merged ticket's messages.
    first = _ticket(store, old)
    merged = _ticket(store, old, merged_into=first)
    _buyer_message(first, old, answered=old + timedelta(minutes=2))
    _buyer_message(first, old + hour, answered=old + 2 * hour)
    _buyer_message(merged, old)  # a day passed unanswered: a miss, merged or not
    _buyer_message(merged, now - hour)  # not decided yet
    # 24-hour resolution: a hit, a late one, a merged one (left out); `first` above is unresolved.
    _ticket(store, old, first_resolved_at=old + hour, first_resolution_seconds=3600)
    _ticket(store, old, first_resolved_at=old + 30 * hour, first_resolution_seconds=30 * 3600)
    _ticket(store, old, merged_into=first)
    for metric, expected in ((Metric.PICKUP_48H_RATE, 2), (Metric.ON_TIME_DELIVERY_RATE, 2),
                             (Metric.RESPONSE_3MIN_RATE, 2), (Metric.RESOLUTION_24H_RATE, 2)):
        listed, counted = _misses_match(store, director, now, metric)
        assert (listed, counted) == (expected, expected), metric
