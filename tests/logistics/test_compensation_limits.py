"""Compensation limits cannot be split: the limit covers the running total per alert and per order
(waiting + approved), and each person's day has a configurable total (logistics/compensation.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from logistics import services
from logistics.alerts import scan_logistics
from logistics.models import Alert, Compensation
from tests.logistics.factories import event, ingest
from tests.logistics.test_alert_work import NOW, offer, url

APPROVED, PENDING = Compensation.Status.APPROVED, Compensation.Status.PENDING_APPROVAL


def _alerts(portal, carrier, *waybills, order="T-1"):
    store = portal.stores["clouddry-tmall"]
    for waybill in waybills:
        ingest(carrier, store, [
            event(waybill, "2026-11-16 10:00:00", "50", "已揽收", order),
            event(waybill, "2026-11-17 09:55:12", "31", "已到达 武汉中转场", order),
        ])
    scan_logistics(now=NOW)
    return [Alert.objects.get(shipment__waybill_number=w) for w in waybills]


def statuses(alert):
    return list(alert.compensations.order_by("pk").values_list("status", flat=True))


def test_twenty_one_offers_of_50_on_one_alert_approve_only_the_first(portal, api, carrier):
    """The probe's case: a coordinator (limit 50 CNY) sent 21 offers of 50 CNY on one alert, all
    approved at once (1,050 CNY). Now the first is approved and the other twenty wait."""
    (alert,) = _alerts(portal, carrier, "SF1")
    api.as_user(portal["logistics"])
    for _ in range(21):
        offer(api, alert, 50)
    assert statuses(alert) == [APPROVED] + [PENDING] * 20
    approved = sum(c.amount for c in alert.compensations.filter(status=APPROVED))
    assert approved == Decimal("50")
    # A manager (500 CNY) approves until the alert's approved total reaches 500, then must refuse.
    api.as_user(portal["manager"])
    answers = [api.post(url(alert, "approve_compensation"), {"compensation": c.pk, "decision": "approve"})
               for c in alert.compensations.filter(status=PENDING).order_by("pk")]
    assert [a.status_code for a in answers] == [200] * 9 + [400] * 11
    assert "above your approval limit of 500" in answers[9].json()["compensation"][0]
    assert sum(c.amount for c in alert.compensations.filter(status=APPROVED)) == Decimal("500")
    # A director (no limit) approves the rest.
    api.as_user(portal["director"])
    for c in alert.compensations.filter(status=PENDING):
        assert api.post(url(alert, "approve_compensation"), {"compensation": c.pk, "decision": "approve"}
                        ).status_code == 200


def test_a_pending_offer_counts_toward_the_next_offer(portal, carrier):
    (alert,) = _alerts(portal, carrier, "SF1")
    coordinator = portal["logistics"]
    first = services.offer_compensation(alert, actor=coordinator, now=NOW, kind="cash", amount="60")
    second = services.offer_compensation(alert, actor=coordinator, now=NOW, kind="cash", amount="10")
    assert (first.status, second.status) == (PENDING, PENDING)  # 60 waiting + 10 is above 50


def test_the_order_total_spans_its_alerts(portal, carrier):
    """Two parcels of one order, one alert each: 30 + 30 is above the coordinator's 50 on the order."""
    one, two = _alerts(portal, carrier, "SF1", "SF2", order="T-9")
    coordinator = portal["logistics"]
    assert services.offer_compensation(one, actor=coordinator, now=NOW, kind="cash", amount="30").status == APPROVED
    assert services.offer_compensation(two, actor=coordinator, now=NOW, kind="cash", amount="30").status == PENDING


def test_the_daily_total_per_person_is_configurable(portal, carrier, settings):
    alerts = _alerts(portal, carrier, "SF1", "SF2", "SF3", "SF4", order="")
    coordinator = portal["logistics"]
    settings.COMPENSATION_DAILY_LIMITS = {"logistics_coordinator": "100"}
    got = [services.offer_compensation(a, actor=coordinator, now=NOW, kind="cash", amount="40").status
           for a in alerts[:3]]
    assert got == [APPROVED, APPROVED, PENDING]  # 80 approved today; 120 would be above 100
    # The next day starts afresh.
    assert services.offer_compensation(alerts[3], actor=coordinator, now=NOW + timedelta(days=1), kind="cash",
                                       amount="40").status == APPROVED


def test_an_approver_is_held_to_the_daily_total_too(portal, carrier, settings):
    alerts = _alerts(portal, carrier, "SF1", "SF2", order="")
    settings.COMPENSATION_DAILY_LIMITS = {"manager": "300"}
    waiting = [services.offer_compensation(a, actor=portal["logistics"], now=NOW, kind="cash", amount="200")
               for a in alerts]
    manager = portal["manager"]
    services.decide_compensation(waiting[0], actor=manager, now=NOW, approve=True)
    with pytest.raises(Exception, match="daily total of 300"):
        services.decide_compensation(waiting[1], actor=manager, now=NOW, approve=True)
