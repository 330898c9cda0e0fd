from logistics.demo import load_demo
from logistics.models import Alert, AlertKind, Shipment, TrackingImport
from tests.logistics.factories import REPORT_TIME


def test_demo_is_idempotent_and_shows_every_alert_kind(demo):
    load_demo(now=REPORT_TIME)
    load_demo(now=REPORT_TIME)
    assert TrackingImport.objects.count() == 1
    assert Shipment.objects.count() == 9
    # Appointment-at-risk alerts come from the installation demo's scan (tests/installation/test_demo.py).
    assert set(Alert.objects.values_list("kind", flat=True)) == set(AlertKind.values) - {AlertKind.APPOINTMENT_AT_RISK}


def test_demo_relative_to_today(demo):
    from datetime import timedelta

    later = REPORT_TIME + timedelta(days=40)
    load_demo(now=later)
    stalled = Alert.objects.get(kind=AlertKind.STALLED)
    assert stalled.shipment.waybill_number == "SF1400000000202"
