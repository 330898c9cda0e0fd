"""The alert scan: rules, one open alert per parcel and kind, auto-close, follow-ups, notifications,
and a query count that does not grow with the number of parcels."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from logistics.alerts import scan_logistics
from logistics.models import Alert, AlertEntry, AlertKind, Shipment
from logistics.services import record_carrier_contact, resolve_alert
from portal.models import Notification
from tests.logistics.factories import REPORT_TIME as NOW
from tests.logistics.factories import event, ingest, make_coordinator, make_logistics_team, shipment

H = timedelta(hours=1)


def iso(moment):
    return moment.isoformat()


def stalled_parcel(carrier, store, waybill, order=None):
    ingest(carrier, store, [
        event(waybill, iso(NOW - 80 * H), "50", "已揽收", order or waybill),
        event(waybill, iso(NOW - 60 * H), "31", "已到达 武汉中转场", order or waybill),
    ])
    return shipment(waybill)


def kinds(parcel, status=Alert.Status.OPEN):
    return sorted(Alert.objects.filter(shipment=parcel, status=status).values_list("kind", flat=True))


def test_each_rule(carrier, store):
    stalled = stalled_parcel(carrier, store, "W-STALL")
    ingest(carrier, store, [event("W-ANOM", iso(NOW - 5 * H), "99", "中转异常：破损")])
    ingest(carrier, store, [event("W-OUTLET", iso(NOW - 30 * H), "33", "已到达 营业点")])
    ingest(carrier, store, [event("W-OUT", iso(NOW - 25 * H), "44", "派送中")])
    ingest(carrier, store, [event("W-FRESH-OUT", iso(NOW - 3 * H), "44", "派送中")])
    ingest(carrier, store, [event("W-INFO", iso(NOW - 30 * H), "10", "已下单")])
    ingest(carrier, store, [event("W-PROMISED", iso(NOW - 10 * H), "31", "到达",
                                  promised_by=iso(NOW - 1 * H))])
    ingest(carrier, store, [event("W-DONE", iso(NOW - 90 * H), "80", "已签收")])

    result = scan_logistics(now=NOW)

    assert kinds(stalled) == [AlertKind.STALLED]
    assert kinds(shipment("W-ANOM")) == [AlertKind.TRANSIT_ANOMALY]
    assert kinds(shipment("W-OUTLET")) == [AlertKind.LAST_MILE_DELAY]
    assert kinds(shipment("W-OUT")) == [AlertKind.LAST_MILE_DELAY]
    assert kinds(shipment("W-FRESH-OUT")) == []
    assert kinds(shipment("W-INFO")) == [AlertKind.PICKUP_OVERDUE]  # not a stall: never picked up
    promised = Alert.objects.get(shipment__waybill_number="W-PROMISED")
    assert (promised.kind, promised.cause) == (AlertKind.LAST_MILE_DELAY, Alert.Cause.PROMISE_MISSED)
    assert kinds(shipment("W-DONE")) == []
    assert result["opened"] == 6
    assert AlertEntry.objects.filter(kind=AlertEntry.Kind.OPENED).count() == 6


def test_thresholds_are_per_carrier(carrier, store):
    carrier.stall_hours = 72
    carrier.save()
    parcel = stalled_parcel(carrier, store, "W-1")  # 60 h without a scan
    scan_logistics(now=NOW)
    assert kinds(parcel) == []
    scan_logistics(now=NOW + 13 * H)
    assert kinds(parcel) == [AlertKind.STALLED]
    carrier.detect_stalled = False
    carrier.save()
    other = stalled_parcel(carrier, store, "W-2")
    scan_logistics(now=NOW + 20 * H)
    assert kinds(other) == []


def test_one_open_alert_per_parcel_and_kind(carrier, store):
    parcel = stalled_parcel(carrier, store, "W-1")
    scan_logistics(now=NOW)
    scan_logistics(now=NOW + H)
    scan_logistics(now=NOW + 2 * H)
    assert Alert.objects.filter(shipment=parcel).count() == 1
    # The database itself refuses a second open alert of the same kind (partial unique index) ...
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(shipment=parcel, kind=AlertKind.STALLED, cause=Alert.Cause.NO_SCAN, trigger_at=NOW,
                             opened_at=NOW)
    # ... but not an open alert of another kind, nor a closed one of the same kind.
    Alert.objects.create(shipment=parcel, kind=AlertKind.TRANSIT_ANOMALY, cause=Alert.Cause.ANOMALOUS_EVENT,
                         trigger_at=NOW, opened_at=NOW)
    Alert.objects.create(shipment=parcel, kind=AlertKind.STALLED, cause=Alert.Cause.NO_SCAN, trigger_at=NOW,
                         opened_at=NOW, status=Alert.Status.RESOLVED)


def test_a_resolved_alert_comes_back_only_for_a_new_stall(carrier, store):
    user = make_coordinator([store])
    parcel = stalled_parcel(carrier, store, "W-1")
    scan_logistics(now=NOW)
    resolve_alert(Alert.objects.get(), actor=user, now=NOW, resolution="Outlet will scan it today")
    scan_logistics(now=NOW + H)
    assert kinds(parcel) == []  # same stall, already handled
    ingest(carrier, store, [event("W-1", iso(NOW + 2 * H), "31", "已到达 长沙中转场", "W-1")])
    scan_logistics(now=NOW + 10 * H)
    assert kinds(parcel) == []
    scan_logistics(now=NOW + 51 * H)
    assert kinds(parcel) == [AlertKind.STALLED]
    assert Alert.objects.filter(shipment=parcel).count() == 2


def test_alerts_close_themselves_when_the_parcel_is_delivered(carrier, store):
    parcel = stalled_parcel(carrier, store, "W-1")
    scan_logistics(now=NOW)
    alert = Alert.objects.get()

    ingest(carrier, store, [event("W-1", iso(NOW + H), "80", "已签收", "W-1")], now=NOW + H)

    alert.refresh_from_db()
    assert alert.status == Alert.Status.CLOSED and alert.closed_at == NOW + H  # kept, in history
    assert list(alert.entries.values_list("kind", flat=True)) == [AlertEntry.Kind.OPENED, AlertEntry.Kind.CLOSED]
    assert shipment("W-1").delivered_at == NOW + H
    scan_logistics(now=NOW + 100 * H)
    assert kinds(parcel) == []
    assert Alert.objects.filter(shipment=parcel).count() == 1


def test_the_scan_closes_alerts_of_parcels_delivered_another_way(carrier, store):
    stalled_parcel(carrier, store, "W-1")
    scan_logistics(now=NOW)
    Shipment.objects.update(status="delivered")
    assert scan_logistics(now=NOW + H)["closed"] == 1
    assert Alert.objects.get().status == Alert.Status.CLOSED


def test_follow_up_time_rechecks_the_parcel(carrier, store):
    team = make_logistics_team([store])
    user = make_coordinator([store], team=team)
    stalled_parcel(carrier, store, "W-1")
    scan_logistics(now=NOW)
    alert = Alert.objects.get()
    record_carrier_contact(alert, actor=user, now=NOW, outlet="武汉中转场", contact_name="调度 小李",
                           contacted_at=NOW - H, promise="今天下午发出", follow_up_at=NOW + 4 * H)
    earlier = set(Notification.objects.values_list("pk", flat=True))

    assert scan_logistics(now=NOW + 3 * H)["follow_ups_due"] == 0
    assert scan_logistics(now=NOW + 5 * H)["follow_ups_due"] == 1
    assert scan_logistics(now=NOW + 6 * H)["follow_ups_due"] == 0  # once
    assert alert.entries.filter(kind=AlertEntry.Kind.FOLLOW_UP_DUE).count() == 1
    message = Notification.objects.exclude(pk__in=earlier).get(recipient=user)
    assert "follow-up" in message.subject and "W-1" in message.body


def test_one_message_per_recipient_per_scan_listing_the_new_alerts(carrier, store, other_store):
    both = make_logistics_team([store, other_store])
    first = make_coordinator([], team=both)
    second = make_coordinator([], team=both)
    only_other = make_coordinator([other_store])
    for n in range(3):
        stalled_parcel(carrier, store, f"W-{n}")

    scan_logistics(now=NOW)

    for user in (first, second):
        message = Notification.objects.get(recipient=user)
        assert message.subject == "3 new logistics alerts"
        assert all(f"W-{n}" in message.body for n in range(3))
        assert message.link == "/logistics/alerts/"
    assert not Notification.objects.filter(recipient=only_other).exists()
    scan_logistics(now=NOW + H)  # nothing new: no message
    assert Notification.objects.count() == 2


def scenario(carrier, store, n):
    """n parcels for every rule, and n delivered parcels whose alert the scan closes."""
    rows = []
    for i in range(n):
        rows += [
            event(f"S{i}", iso(NOW - 80 * H), "50", "已揽收", f"S{i}"),
            event(f"S{i}", iso(NOW - 60 * H), "31", "到达", f"S{i}"),
            event(f"A{i}", iso(NOW - 5 * H), "99", "异常", f"A{i}"),
            event(f"L{i}", iso(NOW - 30 * H), "33", "到达营业点", f"L{i}"),
            event(f"P{i}", iso(NOW - 30 * H), "10", "已下单", f"P{i}"),
            event(f"M{i}", iso(NOW - 2 * H), "31", "到达", f"M{i}", promised_by=iso(NOW - H)),
            event(f"D{i}", iso(NOW - 80 * H), "31", "到达", f"D{i}"),
        ]
    ingest(carrier, store, rows)
    scan_logistics(now=NOW - 10 * H)  # opens the D parcels' stalled alerts (and others)
    Alert.objects.exclude(shipment__waybill_number__startswith="D").delete()
    Shipment.objects.filter(waybill_number__startswith="D").update(status="delivered")


@pytest.mark.parametrize("n", [10, 50])
def test_scan_query_count_does_not_grow_with_parcels(carrier, store, n, django_assert_num_queries):
    team = make_logistics_team([store])
    make_coordinator([store], team=team)
    make_coordinator([store], team=team)
    scenario(carrier, store, n)
    with django_assert_num_queries(SCAN_QUERIES):
        result = scan_logistics(now=NOW)
    assert result == {"opened": 5 * n, "closed": n, "follow_ups_due": 0, "messages": 2}


# carriers 1 + close 2 + follow-ups 1 + 5 rules + opened entries 1 + notify (counts, list, members,
# users) 4 + one message per recipient 2 + savepoint and release 2.
SCAN_QUERIES = 18


def test_the_scan_is_a_django_q_schedule_every_10_minutes(db):
    from django_q.models import Schedule

    from portal.schedules import declared_schedules, sync_schedules

    spec = next(s for s in declared_schedules() if s.name == "logistics.scan_logistics")
    assert (spec.func, spec.minutes) == ("logistics.tasks.scan_logistics", 10)
    sync_schedules()
    assert Schedule.objects.get(name="logistics.scan_logistics").minutes == 10


def test_the_task_wrapper_scans_now(carrier, store):
    from logistics.tasks import scan_logistics as task

    stalled_parcel(carrier, store, "W-1")  # 60 h before the report time, long before the real now
    assert task()["opened"] == 1
