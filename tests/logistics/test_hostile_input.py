"""The outside probe's hostile inputs to the logistics API, each reproduced: a 4xx with a clear field
error and nothing written (before the fix each answered 500 or was stored as garbage)."""

import io
import json
import time
import zipfile

import pytest

from logistics.imports import INLINE_MAX_BYTES
from logistics.models import Shipment, TrackingEvent, TrackingImport
from tests.logistics.factories import upload
from tests.logistics.test_alert_work import (
    alert,  # noqa: F401  (fixture)
    url,
)

EVENTS = "/api/v1/logistics/events/"
GOOD = {"waybill": "SF9000000000001", "order_number": "T1", "time": "2026-11-18T10:00:00+08:00", "code": "50"}


def post_events(api, *events, key="k"):
    return api.post(EVENTS, {"carrier": "SF", "store": "clouddry-tmall", "events": list(events)},
                    HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.parametrize("field, value", [
    ("waybill", ["a", "b"]), ("waybill", {"a": 1}), ("waybill", "SF\x00123"), ("waybill", 12345),
    ("order_number", ["T1", "T2"]), ("product_skus", {"sku": "A"}), ("is_anomaly", "no"), ("is_anomaly", 1),
    ("consignee_phone", "1" * 1000), ("description", "SF\ud800X"), ("city", {"x": 1}), ("time", 1100829337),
    ("time", "0001-01-01T00:00:00+14:00"), ("outlet", "o" * 101),
])
def test_a_bad_event_field_is_a_field_error_and_nothing_is_stored(portal, api, field, value):
    api.as_user(portal["carrier-feed"])
    event = {**GOOD, field: value, "status": "in_transit"} if field == "is_anomaly" else {**GOOD, field: value}
    started = time.monotonic()
    response = post_events(api, event)
    assert time.monotonic() - started < 2
    assert response.status_code == 400, response.content
    assert field in response.json()["events"]["0"]
    assert not TrackingEvent.objects.exists() and not Shipment.objects.exists()


def test_is_anomaly_true_is_an_anomaly(portal, api):
    api.as_user(portal["carrier-feed"])
    assert post_events(api, {**GOOD, "status": "in_transit", "is_anomaly": True}).status_code == 200
    assert TrackingEvent.objects.get().is_anomaly


@pytest.mark.parametrize("path", [EVENTS, "/api/v1/chat/conversations/"])
def test_json_nested_50000_deep_is_refused_before_parsing(portal, api, path):
    api.as_user(portal["carrier-feed"] if path == EVENTS else portal["integration"])
    body = "[" * 50000 + "]" * 50000
    response = api.raw.post(path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="deep")
    assert response.status_code in (400, 403) and response.status_code != 500
    if path == EVENTS:
        assert response.status_code == 400 and "nested deeper" in response.json()["detail"]


def test_a_body_that_is_not_an_object(portal, api):
    api.as_user(portal["carrier-feed"])
    response = api.raw.post(EVENTS, "[]", content_type="application/json", HTTP_IDEMPOTENCY_KEY="list")
    assert response.status_code == 400


def test_stuck_hours_out_of_range(portal, api):
    api.as_user(portal["logistics"])
    for value in ("1e9", "-1", "nan", "inf"):
        response = api.get(f"/api/v1/logistics/shipments/?stuck_hours={value}")
        assert response.status_code == 400 and "stuck_hours" in response.json(), value


def test_metrics_from_year_one(portal, api):
    api.as_user(portal["manager"])
    response = api.get("/api/v1/metrics/logistics/?from=0001-01-01")
    assert response.status_code == 400 and "from" in response.json()


# --- Alert actions: the body must be an object of scalar values -----------------------------------


@pytest.mark.parametrize("action, body, field", [
    ("contact_carrier", {"contact_name": "x", "promise": "y", "contacted_at": 1100829337}, "contacted_at"),
    ("contact_carrier", {"contact_name": "x", "promise": "y", "contacted_at": "0001-01-01T00:00:00+14:00"},
     "contacted_at"),
    ("resolve", {"resolution": {"a": 1}}, "resolution"),
    ("resolve", {"resolution": ["done"]}, "resolution"),
    ("compensate", {"kind": "cash", "amount": True}, "amount"),
    ("acknowledge", {"note": "a\x00b"}, "note"),
])
def test_alert_actions_refuse_non_scalar_json(portal, api, alert, action, body, field):  # noqa: F811
    api.as_user(portal["logistics"])
    entries = alert.entries.count()
    response = api.post(url(alert, action), body)
    assert response.status_code == 400 and field in response.json(), response.content
    assert alert.entries.count() == entries


def test_alert_action_with_a_list_body(portal, api, alert):  # noqa: F811
    api.as_user(portal["logistics"])
    response = api.raw.post(url(alert, "acknowledge"), "[]", content_type="application/json")
    assert response.status_code == 400 and "non_field_errors" in response.json()


# --- Uploads ----------------------------------------------------------------------------------------

HEADER = "运单号,订单号,扫描时间,操作码,操作描述,网点,城市\n"


def test_a_csv_with_duplicate_headers_is_refused(portal, api):
    api.as_user(portal["logistics"])
    content = ("运单号,运单号,订单号,扫描时间,操作码,操作描述,网点,城市\n"
               "SF1,SF2,T1,2026-11-15 18:02:11,50,已揽收,广州番禺营业部,广州\n").encode()
    response = api.raw.post("/api/v1/logistics/imports/", {"file": upload(content), "carrier": "SF"})
    assert response.status_code == 201
    assert response.json()["status"] == "failed" and "more than once" in response.json()["message"]
    assert not TrackingEvent.objects.exists()


def test_a_nul_byte_in_a_csv_waybill_rejects_the_row(portal, api):
    api.as_user(portal["logistics"])
    content = (HEADER + "SF1\x0099,T1,2026-11-15 18:02:11,50,已揽收,广州番禺营业部,广州\n"
               + "SF2,T2,2026-11-15 18:02:11,50,已揽收,广州番禺营业部,广州\n").encode()
    response = api.raw.post("/api/v1/logistics/imports/", {"file": upload(content), "carrier": "SF",
                                                               "store": "clouddry-tmall"})
    assert response.status_code == 201, response.content
    assert list(Shipment.objects.values_list("waybill_number", flat=True)) == ["SF2"]
    assert "NUL" in json.dumps(TrackingImport.objects.get().rejected_rows)


def _xlsx(rows):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER.strip().split(","))
    for n in range(rows):
        sheet.append([f"SF{n % 50:010d}", "T1", "2026-11-15 18:02:11", "50", "已揽收", "广州番禺营业部", "广州"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_a_small_xlsx_that_expands_is_queued_not_imported_in_the_request(portal, api, django_capture_on_commit_callbacks):
    content = _xlsx(8000)
    assert len(content) < INLINE_MAX_BYTES  # by its compressed size it would have run inline
    api.as_user(portal["logistics"])
    with django_capture_on_commit_callbacks(execute=False):
        response = api.raw.post("/api/v1/logistics/imports/", {"file": upload(content, "big.xlsx"),
                                                                   "carrier": "SF"})
    assert response.status_code == 202, response.content
    assert not TrackingEvent.objects.exists()


def test_a_zip_bomb_is_refused_with_a_clear_message(portal, api):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(310):
                member.write(chunk)
    api.as_user(portal["logistics"])
    response = api.raw.post("/api/v1/logistics/imports/", {"file": upload(out.getvalue(), "bomb.xlsx"),
                                                               "carrier": "SF"})
    assert response.status_code == 400
    assert "zip bomb" in response.json()["file"][0]
    assert not TrackingImport.objects.exists()
