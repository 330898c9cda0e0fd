"""The sample carrier report (tests/logistics/data, a copy of data/) end to end: import, then scan
at the report time 2026-11-20 09:00 +08:00, with every expectation of its README.

Row numbers are those a spreadsheet shows: the header is row 1, the first data row is row 2.
"""

import pytest
from django.core.management import call_command

from logistics.alerts import scan_logistics
from logistics.imports import create_import, run_import
from logistics.models import Alert, AlertKind, Shipment, ShipmentStatus, TrackingEvent, TrackingImport
from tests.logistics.factories import REPORT_TIME, SAMPLE, at, sample_bytes, upload

W = "SF1400000000"


def import_sample(carrier, store, content=None, name="carrier_daily_report_sample.csv"):
    tracking_import = create_import(carrier=carrier, store=store, uploaded_file=upload(content or sample_bytes(), name),
                                    actor=None, now=REPORT_TIME)
    return run_import(tracking_import.pk, now=REPORT_TIME)


def alert_kinds(waybill):
    return set(Alert.objects.filter(shipment__waybill_number=waybill, status=Alert.Status.OPEN)
               .values_list("kind", flat=True))


def test_sample_report_import_and_scan(carrier, store):
    result = import_sample(carrier, store)

    assert result.status == TrackingImport.Status.DONE
    assert result.rows_read == 25
    assert result.duplicates == 1  # the repeated signing row of 101
    assert result.events_added == 22
    assert result.shipments_created == 6  # 606 had only a bad row, the empty waybill none
    assert result.rejected_count == 2
    rejected = {item["row"]: item["reason"] for item in result.rejected_rows}
    assert set(rejected) == {22, 23}
    assert "impossible timestamp" in rejected[22] and "2026-13-45 25:61:00" in rejected[22]
    assert "waybill number is missing" in rejected[23]
    assert not Shipment.objects.filter(waybill_number=W + "606").exists()

    parcel = {s.waybill_number[-3:]: s for s in Shipment.objects.all()}
    assert parcel["101"].status == ShipmentStatus.DELIVERED
    assert parcel["101"].delivered_at == at("2026-11-17 14:47:02")
    assert TrackingEvent.objects.filter(shipment=parcel["101"]).count() == 6
    assert parcel["202"].status == ShipmentStatus.IN_TRANSIT
    assert parcel["505"].status == ShipmentStatus.DELIVERY_FAILED  # rows out of order: the latest event wins
    assert parcel["505"].last_event_at == at("2026-11-19 16:20:40")
    assert parcel["707"].status == ShipmentStatus.RETURNING
    assert all(s.store == store for s in parcel.values())
    assert parcel["101"].order_number == "T20261115001"

    outcome = scan_logistics(now=REPORT_TIME)

    assert alert_kinds(W + "101") == set()
    assert alert_kinds(W + "202") == {AlertKind.STALLED}
    assert alert_kinds(W + "303") == {AlertKind.TRANSIT_ANOMALY}
    assert alert_kinds(W + "404") == {AlertKind.LAST_MILE_DELAY}
    assert alert_kinds(W + "505") == set()
    assert alert_kinds(W + "707") == set()
    assert outcome["opened"] == 3
    stalled = Alert.objects.get(shipment__waybill_number=W + "202")
    assert stalled.trigger_at == at("2026-11-17 09:55:12")  # about 71 h before the report time
    assert 70 < (REPORT_TIME - stalled.trigger_at).total_seconds() / 3600 < 72


def test_replaying_the_report_adds_nothing(carrier, store):
    import_sample(carrier, store)
    scan_logistics(now=REPORT_TIME)
    before = (TrackingEvent.objects.count(), Shipment.objects.count(), Alert.objects.count())
    statuses = dict(Shipment.objects.values_list("waybill_number", "status"))

    again = import_sample(carrier, store)
    scan_logistics(now=REPORT_TIME)

    assert again.events_added == 0
    assert again.duplicates == 23  # every good row, the in-file duplicate included
    assert again.shipments_created == 0
    assert (TrackingEvent.objects.count(), Shipment.objects.count(), Alert.objects.count()) == before
    assert dict(Shipment.objects.values_list("waybill_number", "status")) == statuses


def test_import_tracking_command(carrier, store, capsys):
    call_command("import_tracking", str(SAMPLE), "--carrier", "SF", "--store", store.code)
    out = capsys.readouterr().out
    assert "Rows read: 25; events added: 22; duplicates skipped: 1" in out
    assert "row 22: impossible timestamp" in out
    assert "row 23: the waybill number is missing" in out


def test_scan_logistics_command(carrier, store, capsys):
    import_sample(carrier, store)
    call_command("scan_logistics", "--now", "2026-11-20T09:00:00+08:00")
    assert "Opened 3 alert(s)" in capsys.readouterr().out


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_encodings(carrier, store, encoding):
    result = import_sample(carrier, store, sample_bytes(encoding))
    assert result.status == TrackingImport.Status.DONE, result.message
    assert (result.rows_read, result.events_added, result.duplicates, result.rejected_count) == (25, 22, 1, 2)
    assert Shipment.objects.get(waybill_number=W + "404").last_description.startswith("已到达 杭州西湖文新营业点")


def test_xlsx(carrier, store):
    from tests.logistics.factories import sample_xlsx

    result = import_sample(carrier, store, sample_xlsx(), name="report.xlsx")
    assert result.status == TrackingImport.Status.DONE, result.message
    assert result.file_format == "xlsx"
    assert (result.rows_read, result.events_added, result.duplicates, result.rejected_count) == (25, 22, 1, 2)
    assert {item["row"] for item in result.rejected_rows} == {22, 23}
    assert Shipment.objects.get(waybill_number=W + "505").status == ShipmentStatus.DELIVERY_FAILED
