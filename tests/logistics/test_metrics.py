"""GET /api/v1/metrics/logistics/ and logistics/metrics.py."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from logistics.alerts import scan_logistics
from logistics.metrics import logistics_metrics
from logistics.models import Alert, Compensation, Shipment
from tests.logistics.factories import REPORT_TIME, event, ingest

NOW = REPORT_TIME


@pytest.fixture
def history(portal, carrier):
    dry, bike = portal.stores["clouddry-tmall"], portal.stores["swiftride-tmall"]
    ingest(carrier, dry, [
        # on time: 24 h (the default deadline is 72 h)
        event("M1", "2026-11-10 10:00:00", "50", "已揽收", "O1"), event("M1", "2026-11-11 10:00:00", "80", "签收", "O1"),
        # late against its promise: 48 h
        event("M2", "2026-11-10 12:00:00", "50", "已揽收", "O2", promised_by="2026-11-11 12:00:00"),
        event("M2", "2026-11-12 12:00:00", "80", "签收", "O2"),
        # stalled, never delivered, deadline passed: due and late
        event("M3", "2026-11-11 09:00:00", "50", "已揽收", "O3"), event("M3", "2026-11-12 09:00:00", "31", "到达", "O3"),
        # refused and returning: not due
        event("M4", "2026-11-11 09:00:00", "50", "已揽收", "O4"), event("M4", "2026-11-12 09:00:00", "72", "拒收", "O4"),
    ])
    ingest(carrier, bike, [
        event("M5", "2026-11-12 09:00:00", "50", "已揽收", "O5"), event("M5", "2026-11-13 21:00:00", "80", "签收", "O5"),
    ])
    scan_logistics(now=NOW)
    alert = Alert.objects.get(shipment__waybill_number="M3")
    Compensation.objects.create(alert=alert, kind="cash", amount=Decimal("30"), status="approved", offered_at=NOW)
    Compensation.objects.create(alert=alert, kind="coupon", amount=Decimal("99"), status="rejected", offered_at=NOW)


def test_definitions(history):
    result = logistics_metrics(Shipment.objects.all(), date_from=date(2026, 11, 10), date_to=date(2026, 11, 12),
                               now=NOW)
    totals = result["totals"]
    assert totals["parcels"] == 5 and totals["delivered"] == 3
    assert totals["on_time_delivery_rate"] == 0.5  # M1, M5 on time; M2 late; M3 overdue; M4 not due
    assert totals["median_hours_to_delivery"] == 36.0  # 24, 36, 48
    assert totals["stall_rate"] == 0.2  # M3
    assert totals["alerts_per_1000_parcels"] == 200.0
    assert totals["compensation_paid"] == "30.00"
    assert [(row["store"], row["parcels"]) for row in result["by_store"]] == [("clouddry-tmall", 4),
                                                                            ("swiftride-tmall", 1)]
    assert [row["period"] for row in result["by_period"]] == ["2026-11-10", "2026-11-11", "2026-11-12"]
    week = logistics_metrics(Shipment.objects.all(), date_from=date(2026, 11, 10), date_to=date(2026, 11, 12),
                             now=NOW, period="week")
    assert [row["period"] for row in week["by_period"]] == ["2026-11-09"]


def test_api_filters_scope_and_errors(portal, api, history):
    api.as_user(portal["chairman"])
    body = api.get("/api/v1/metrics/logistics/", **{"from": "2026-11-10", "to": "2026-11-12"}).json()
    assert body["totals"]["parcels"] == 5
    body = api.get("/api/v1/metrics/logistics/", **{"from": "2026-11-10", "to": "2026-11-12",
                                                    "store": "swiftride-tmall"}).json()
    assert body["totals"]["parcels"] == 1 and body["totals"]["on_time_delivery_rate"] == 1.0
    body = api.get("/api/v1/metrics/logistics/", **{"from": "2026-11-10", "to": "2026-11-12", "carrier": "XX"}).json()
    assert body["totals"]["parcels"] == 0 and body["totals"]["stall_rate"] is None
    response = api.get("/api/v1/metrics/logistics/", **{"from": "11/10/2026", "period": "year"})
    assert response.status_code == 400 and set(response.json()) == {"from", "period"}

    api.as_user(portal["agent2"])  # only the e-bike store
    body = api.get("/api/v1/metrics/logistics/", **{"from": "2026-11-10", "to": "2026-11-12"}).json()
    assert body["totals"]["parcels"] == 1
    api.as_user(portal["carrier-feed"])
    assert api.get("/api/v1/metrics/logistics/").status_code == 403


def test_default_period_is_the_last_30_days(portal, api, carrier):
    ingest(carrier, portal.stores["clouddry-tmall"], [
        event("RECENT", (timezone.now() - timedelta(days=2)).isoformat(), "50", "已揽收", "R1"),
        event("OLD", (timezone.now() - timedelta(days=40)).isoformat(), "50", "已揽收", "R2"),
    ], now=timezone.now())
    api.as_user(portal["director"])
    body = api.get("/api/v1/metrics/logistics/").json()
    assert body["totals"]["parcels"] == 1
    assert body["to"] == timezone.localdate().isoformat()
    assert isinstance(datetime.fromisoformat(body["from"]), datetime)
