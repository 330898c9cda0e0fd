"""Hostile input to the logistics pages and report imports, each reproduced from the audit: before
the fix each answered 500 or stored something other than what was sent (a NUL, a value cut to its
column); now the message at the form's field, or the report row rejected with its reason, and
nothing stored."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from logistics import appointments
from logistics.models import (
    AlertEntry,
    CarrierContact,
    Compensation,
    CustomerContact,
    Dispatch,
    Shipment,
    TrackingEvent,
    TrackingImport,
)
from tests.logistics.factories import upload
from tests.logistics.test_alert_work import (
    alert,  # noqa: F401  (fixture)
    url,
)

YEARS = "Give a time between the years 2000 and 2100."


def page(alert, action):  # noqa: F811
    return f"/logistics/alerts/{alert.pk}/{action}/"


# --- Pages: times outside the years ------------------------------------------------------------------


@pytest.mark.parametrize("action, data, field", [
    # A year-1 time typed on the page was a 500 when saved (it cannot be converted to UTC) ...
    ("contact_carrier", {"contact_name": "x", "promise": "y", "contacted_at": "0001-01-01 00:00"}, "contacted_at"),
    ("contact_customer", {"called_at": "0001-01-01T00:00", "outcome": "informed"}, "called_at"),
    # ... and these were stored (the API refused them, the page did not).
    ("contact_customer", {"called_at": "0001-01-01T00:00:00-14:00", "outcome": "informed"}, "called_at"),
    ("contact_carrier", {"contact_name": "x", "promise": "y", "contacted_at": "2026-11-20 08:00",
                         "follow_up_at": "9999-12-31 23:59"}, "follow_up_at"),
])
def test_alert_page_times_outside_the_years_are_refused_at_the_field(portal, client, alert, action, data,  # noqa: F811
                                                                     field):
    client.force_login(portal["logistics"])
    response = client.post(page(alert, action), {f"{action}-{name}": value for name, value in data.items()})
    assert response.status_code == 400
    form = next(item["form"] for item in response.context["action_forms"] if item["action"].name == action)
    assert form.errors == {field: [YEARS]}
    assert form[field].value() == data[field]  # what was typed stays in the field
    assert not CarrierContact.objects.exists() and not CustomerContact.objects.exists()
    assert list(alert.entries.values_list("kind", flat=True)) == [AlertEntry.Kind.OPENED]


@pytest.mark.parametrize("field, value", [("planned_pickup", "0001-01-01 00:00"), ("planned_dropoff", "9999-12-31 23:59")])
def test_the_dispatch_page_refuses_times_outside_the_years(portal, client, alert, field, value):  # noqa: F811
    """Year 1 was a 500 when saved; 9999 was stored."""
    client.force_login(portal["logistics"])
    data = {"driver": "logistics", "planned_pickup": "2026-11-20 10:00", "planned_dropoff": "2026-11-20 12:00",
            "cost": "80", field: value}
    response = client.post(page(alert, "dispatch"), {f"dispatch-{name}": v for name, v in data.items()})
    assert response.status_code == 400
    assert response.context["dispatch_form"].errors == {field: [YEARS]}
    assert not Dispatch.objects.exists()


def test_the_delivered_form_refuses_a_year_one_time(portal, client, alert):  # noqa: F811
    from PIL import Image

    now = timezone.now()
    dispatch = appointments.create_dispatch(alert, actor=portal["logistics"], now=now, driver=portal["logistics"],
                                            planned_pickup=now, planned_dropoff=now + timezone.timedelta(hours=2),
                                            cost="10")
    appointments.mark_picked_up(dispatch, actor=portal["logistics"], now=now)
    photo = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(photo, format="PNG")
    client.force_login(portal["logistics"])
    prefix = f"d{dispatch.pk}"
    response = client.post(f"/logistics/dispatches/{dispatch.pk}/delivered/", {
        f"{prefix}-photo": SimpleUploadedFile("proof.png", photo.getvalue()), f"{prefix}-recipient": "Wang",
        f"{prefix}-delivered_at": "0001-01-01 00:00"})
    assert response.status_code == 400
    assert response.context["dispatches"][0].forms["delivered"].errors == {"delivered_at": [YEARS]}
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.PICKED_UP and not dispatch.photo


# --- The approvals inbox's note ------------------------------------------------------------------------


@pytest.mark.parametrize("note, error", [
    ("a\x00b", "Null characters are not allowed."),
    ("n" * 2001, "Ensure this value has at most 2000 characters (it has 2001)."),
])
def test_a_bad_note_from_the_inbox_decides_nothing(portal, api, client, alert, note, error):  # noqa: F811
    """The note was cut to 2,000 characters without a word, and a NUL was stored (PostgreSQL: a 500)."""
    api.as_user(portal["logistics"])
    assert api.post(url(alert, "compensate"), {"kind": "cash", "amount": "80"}).status_code == 200
    compensation = Compensation.objects.get()
    assert compensation.status == Compensation.Status.PENDING_APPROVAL
    client.force_login(portal["manager"])
    response = client.post(f"/logistics/compensations/{compensation.pk}/approve/", {"note": note, "next": "/approvals/"},
                           follow=True)
    assert response.redirect_chain[0] == ("/approvals/", 302)
    assert [str(m) for m in response.context["messages"]] == [f"Nothing was decided. Note: {error}"]
    compensation.refresh_from_db()
    assert compensation.status == Compensation.Status.PENDING_APPROVAL and compensation.decided_by is None
    assert not alert.entries.filter(kind=AlertEntry.Kind.COMPENSATION_APPROVED).exists()
    client.post(f"/logistics/compensations/{compensation.pk}/approve/", {"note": "ok"})
    compensation.refresh_from_db()
    assert compensation.status == Compensation.Status.APPROVED


# --- Report files ------------------------------------------------------------------------------------

HEADER = "运单号,订单号,扫描时间,操作码,操作描述,网点,城市,收件人电话\n"
GOOD_ROW = "SF2,T2,2026-11-15 18:02:11,50,已揽收,广州番禺营业部,广州,13800000000\n"


def _row(**cells):
    values = {"waybill": "SF1", "order_number": "T1", "time": "2026-11-15 18:02:11", "code": "50",
              "description": "已揽收", "outlet": "广州番禺营业部", "city": "广州", "consignee_phone": "13900000000",
              **cells}
    return ",".join(values.values()) + "\n"


@pytest.mark.parametrize("field, value, reason", [
    # A NUL anywhere but the waybill and the description was stored (PostgreSQL: the batch failed) ...
    ("order_number", "T\x001", "the cell holds a NUL character"),
    ("outlet", "广州\x00番禺", "the cell holds a NUL character"),
    ("city", "广\x00州", "the cell holds a NUL character"),
    ("code", "5\x000", "the cell holds a NUL character"),
    ("consignee_phone", "139\x0000000000", "the cell holds a NUL character"),
    # ... and a cell longer than its column was cut to fit (a cut order number joins another order).
    ("order_number", "T" * 65, "the cell is longer than 64 characters"),
    ("outlet", "o" * 101, "the cell is longer than 100 characters"),
    ("city", "c" * 51, "the cell is longer than 50 characters"),
    ("code", "5" * 21, "the cell is longer than 20 characters"),
    ("description", "签收" * 151, "the cell is longer than 300 characters"),
    ("consignee_phone", "1" * 31, "the cell is longer than 30 characters"),
])
def test_a_damaged_report_cell_rejects_its_row(portal, api, field, value, reason):
    api.as_user(portal["logistics"])
    content = (HEADER + _row(**{field: value}) + GOOD_ROW).encode()
    response = api.raw.post("/api/v1/logistics/imports/", {"file": upload(content), "carrier": "SF",
                                                           "store": "clouddry-tmall"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "done" and body["rows_rejected"] == 1 and body["events_added"] == 1
    assert body["rejected_rows"] == [{"row": 2, "reason": reason}]
    assert list(Shipment.objects.values_list("waybill_number", flat=True)) == ["SF2"]
    stored = json.dumps(list(TrackingEvent.objects.values()) + list(Shipment.objects.values()), default=str)
    assert "\\u0000" not in stored and value not in stored


def test_a_report_with_a_200_kb_cell_fails_with_a_readable_message(portal, api):
    api.as_user(portal["logistics"])
    content = (HEADER + GOOD_ROW + _row(description="x" * 200_000)).encode()
    response = api.raw.post("/api/v1/logistics/imports/", {"file": upload(content), "carrier": "SF",
                                                           "store": "clouddry-tmall"})
    assert response.status_code == 201
    assert response.json()["status"] == "failed"
    assert response.json()["message"] == (
        "The file is not a readable CSV table: field larger than field limit (131072)")
    assert TrackingImport.objects.get().status == TrackingImport.Status.FAILED
    assert not TrackingEvent.objects.exists() and not Shipment.objects.exists()
