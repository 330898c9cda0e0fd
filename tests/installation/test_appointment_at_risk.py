"""Move-in day rescue: appointment-at-risk alerts raised by the installation scan, and own-vehicle
deliveries (dispatches) that deliver the parcel. Time is pinned: every call gets `now`."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from installation.models import Product
from installation.services import record_event, scan_installations
from logistics import appointments
from logistics.ingest import Ingestor
from logistics.models import Alert, AlertEntry, AlertKind, Dispatch, EventSource, Shipment, ShipmentStatus
from portal.models import Notification
from tests.installation.factories import make_installation_coordinator, make_job, make_product
from tests.logistics.factories import at, make_coordinator

AAR = AlertKind.APPOINTMENT_AT_RISK


@pytest.fixture(autouse=True)
def _private_in_tmp(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def ingest(carrier, store, rows, now):
    return Ingestor(carrier, now=now, store=store).ingest(list(enumerate(rows)))


def scan_at_outlet(when, order="T1", waybill="SF900"):
    return {"waybill": waybill, "order_number": order, "time": when, "code": "33",
            "description": "已到达 上海浦东张江营业点", "outlet": "上海浦东张江营业点", "city": "上海"}


def png_bytes():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def photo(name="proof.png", content=None):
    return SimpleUploadedFile(name, png_bytes() if content is None else content, content_type="image/png")


def booked_job(store, *, start, order="T1", booked=None, parcel=True):
    """A job scheduled for the window [start, start + 2 h], booked the day before, linked to its parcel."""
    booked = booked or start - timedelta(days=1)
    product = Product.objects.filter(store=store, sku="RACK-X1").first() or make_product(store)
    job = make_job(store, product=product, order=order, now=booked - timedelta(hours=1))
    record_event(job, node="scheduled", actor=None, now=booked, appointment_start=start,
                 appointment_end=start + timedelta(hours=2))
    if parcel:
        job.shipment = Shipment.objects.get(order_number=order)
        job.save(update_fields=["shipment"])
    return job


def open_aar():
    return Alert.objects.filter(kind=AAR, status=Alert.Status.OPEN)


# --- Raising ----------------------------------------------------------------------------------


def test_raised_at_the_lead_time_and_not_before(carrier, store):
    start = at("2026-11-20 14:00")
    ingest(carrier, store, [{"waybill": "SF900", "order_number": "T1", "time": at("2026-11-19 20:00"),
                             "code": "31", "description": "已到达 上海中转场", "outlet": "上海中转场"}],
           at("2026-11-19 21:00"))
    job = booked_job(store, start=start)
    just_before = start - timedelta(hours=4, minutes=1)
    assert scan_installations(now=just_before)["appointments_at_risk"] == 0
    assert not open_aar().exists()
    result = scan_installations(now=start - timedelta(hours=4))
    assert result["appointments_at_risk"] == 1
    alert = open_aar().get()
    assert (alert.installation_job_id, alert.cause, alert.trigger_at) == (job.pk, Alert.Cause.NOT_OUT_FOR_DELIVERY, start)
    assert alert.shipment.order_number == "T1"
    assert alert.entries.filter(kind=AlertEntry.Kind.OPENED).count() == 1
    # One open alert per job: the next scan adds nothing.
    assert scan_installations(now=start - timedelta(hours=3))["appointments_at_risk"] == 0
    assert Alert.objects.filter(kind=AAR).count() == 1


def test_out_for_delivery_in_time_raises_nothing(carrier, store):
    start = at("2026-11-20 14:00")
    ingest(carrier, store, [{"waybill": "SF900", "order_number": "T1", "time": at("2026-11-20 08:00"),
                             "status": "out_for_delivery", "outlet": "上海浦东张江营业点"}], at("2026-11-20 08:10"))
    booked_job(store, start=start)
    assert scan_installations(now=start - timedelta(hours=3))["appointments_at_risk"] == 0


def test_closed_for_the_day_rule(carrier, store):
    """The last scan is at the outlet after the carrier's 18:00 cut-off, the appointment is later that
    day: at risk at once, long before the lead time."""
    assert carrier.delivery_cutoff_hour == 18
    ingest(carrier, store, [scan_at_outlet(at("2026-11-20 18:20"))], at("2026-11-20 18:25"))
    booked_job(store, start=at("2026-11-20 23:00"))  # more than 4 h ahead
    now = at("2026-11-20 18:30")
    assert scan_installations(now=now)["appointments_at_risk"] == 1
    assert open_aar().get().cause == Alert.Cause.OUTLET_CLOSED


def test_closed_for_the_day_needs_the_cut_off_and_the_same_day(carrier, store, other_store):
    ingest(carrier, store, [scan_at_outlet(at("2026-11-20 17:50"))], at("2026-11-20 17:55"))
    booked_job(store, start=at("2026-11-20 23:00"))
    ingest(carrier, store, [scan_at_outlet(at("2026-11-20 18:20"), order="T2", waybill="SF901")],
           at("2026-11-20 18:25"))
    booked_job(store, start=at("2026-11-21 15:00"), order="T2")  # tomorrow afternoon: the carrier delivers in the morning
    assert scan_installations(now=at("2026-11-20 18:30"))["appointments_at_risk"] == 0
    carrier.delivery_cutoff_hour = 17
    carrier.save()
    assert scan_installations(now=at("2026-11-20 18:31"))["appointments_at_risk"] == 1
    assert open_aar().get().shipment.order_number == "T1"


def test_stalled_last_mile_and_jobs_found_by_order(carrier, store):
    """No parcel link on the job: the order's parcel is found by order number."""
    ingest(carrier, store, [scan_at_outlet(at("2026-11-18 10:00"))], at("2026-11-18 10:05"))
    job = booked_job(store, start=at("2026-11-22 10:00"), parcel=False)
    assert scan_installations(now=at("2026-11-20 09:00"))["appointments_at_risk"] == 1
    alert = open_aar().get()
    assert (alert.cause, alert.installation_job_id) == (Alert.Cause.LAST_MILE_STALLED, job.pk)


def test_notified_to_installation_and_logistics_coordinators(carrier, store, other_store):
    installer = make_installation_coordinator([store])
    logistics = make_coordinator([store])
    elsewhere = make_coordinator([other_store])
    ingest(carrier, store, [scan_at_outlet(at("2026-11-20 18:20"))], at("2026-11-20 18:25"))
    booked_job(store, start=at("2026-11-20 20:00"))
    scan_installations(now=at("2026-11-20 18:30"))
    rows = Notification.objects.filter(source__startswith="appointment-at-risk:")
    assert sorted(rows.values_list("recipient__username", "channel")) == sorted(
        [(installer.username, "email"), (installer.username, "in_app"),
         (logistics.username, "email"), (logistics.username, "in_app")])
    assert not rows.filter(recipient=elsewhere).exists()
    assert "SF900" in rows.first().body


# --- Closing ----------------------------------------------------------------------------------


def _at_risk(carrier, store):
    ingest(carrier, store, [scan_at_outlet(at("2026-11-20 18:20"))], at("2026-11-20 18:25"))
    job = booked_job(store, start=at("2026-11-20 20:00"))
    scan_installations(now=at("2026-11-20 18:30"))
    return job, open_aar().get()


def test_closes_itself_on_delivery(carrier, store):
    _job, alert = _at_risk(carrier, store)
    ingest(carrier, store, [{"waybill": "SF900", "order_number": "T1", "time": at("2026-11-20 19:00"),
                             "code": "80", "description": "已签收，签收人：本人"}], at("2026-11-20 19:05"))
    alert.refresh_from_db()
    assert alert.status == Alert.Status.CLOSED


def test_closes_itself_when_the_appointment_moves(carrier, store):
    job, alert = _at_risk(carrier, store)
    record_event(job, node="rescheduled", actor=None, now=at("2026-11-20 18:40"),
                 appointment_start=at("2026-11-21 14:00"), appointment_end=at("2026-11-21 16:00"))
    alert.refresh_from_db()
    assert alert.status == Alert.Status.CLOSED
    assert alert.entries.filter(kind=AlertEntry.Kind.APPOINTMENT_MOVED).exists()
    # The new window is tomorrow afternoon: not at risk now.
    assert scan_installations(now=at("2026-11-20 18:50"))["appointments_at_risk"] == 0


def test_resolved_alert_is_not_raised_again_for_the_same_window(carrier, store):
    from logistics.services import resolve_alert

    _job, alert = _at_risk(carrier, store)
    resolve_alert(alert, actor=None, now=at("2026-11-20 18:35"), resolution="Customer will collect it")
    assert scan_installations(now=at("2026-11-20 18:40"))["appointments_at_risk"] == 0


# --- Dispatch ---------------------------------------------------------------------------------


def _dispatch(alert, driver):
    return appointments.create_dispatch(
        alert, actor=driver, now=at("2026-11-20 18:35"), driver=driver,
        planned_pickup=at("2026-11-20 18:50"), planned_dropoff=at("2026-11-20 19:40"), cost="80.00")


def test_dispatch_delivers_the_parcel_and_the_carrier_signed_scan_is_the_same_delivery(carrier, store):
    job, alert = _at_risk(carrier, store)
    driver = make_coordinator([store])
    dispatch = _dispatch(alert, driver)
    appointments.mark_picked_up(dispatch, actor=driver, now=at("2026-11-20 18:55"))
    appointments.mark_delivered(dispatch, actor=driver, now=at("2026-11-20 19:35"), photo=photo(),
                                recipient="刘洋", delivered_at=at("2026-11-20 19:30"))
    parcel = Shipment.objects.get(order_number="T1")
    assert (parcel.status, parcel.delivered_at) == (ShipmentStatus.DELIVERED, at("2026-11-20 19:30"))
    delivered = parcel.events.filter(status=ShipmentStatus.DELIVERED)
    assert list(delivered.values_list("source", flat=True)) == [EventSource.MERCHANT_DELIVERY]
    alert.refresh_from_db()
    assert alert.status == Alert.Status.CLOSED
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.DELIVERED and dispatch.photo.name.endswith(".png")
    # The carrier's own "signed" scan arrives the next morning: the same delivery, not a second one.
    signed = {"waybill": "SF900", "order_number": "T1", "time": at("2026-11-21 08:10"), "code": "80",
              "description": "已签收，签收人：本人"}
    result = ingest(carrier, store, [signed], at("2026-11-21 09:00"))
    assert (result.added, result.duplicates) == (0, 1)
    parcel.refresh_from_db()
    assert parcel.delivered_at == at("2026-11-20 19:30")
    assert parcel.events.filter(status=ShipmentStatus.DELIVERED).count() == 1
    # Replaying the carrier's report adds nothing either.
    again = ingest(carrier, store, [scan_at_outlet(at("2026-11-20 18:20")), signed], at("2026-11-21 10:00"))
    assert again.added == 0
    assert parcel.events.count() == 3  # outlet scan, own pick-up, own delivery


def test_dispatch_refuses_bad_input(carrier, store):
    _job, alert = _at_risk(carrier, store)
    with pytest.raises(ValidationError) as error:
        appointments.create_dispatch(alert, actor=None, now=at("2026-11-20 18:35"), driver_name="王师傅",
                                     planned_pickup=at("2026-11-20 19:00"), planned_dropoff=at("2026-11-20 18:50"),
                                     cost="-1")
    assert set(error.value.message_dict) == {"driver", "planned_dropoff", "cost"}
    dispatch = appointments.create_dispatch(
        alert, actor=None, now=at("2026-11-20 18:35"), driver_name="王师傅", driver_phone="13900001111",
        planned_pickup=at("2026-11-20 18:50"), planned_dropoff=at("2026-11-20 19:40"), cost="60")
    with pytest.raises(ValidationError) as error:
        appointments.mark_delivered(dispatch, actor=None, now=at("2026-11-20 19:35"), photo=photo(), recipient="刘洋")
    assert "status" in error.value.message_dict
    appointments.mark_picked_up(dispatch, actor=None, now=at("2026-11-20 18:55"))
    with pytest.raises(ValidationError) as error:
        appointments.mark_delivered(dispatch, actor=None, now=at("2026-11-20 19:35"),
                                    photo=photo("proof.png", b"%PDF-1.4 not an image"), recipient="刘洋")
    assert "photo" in error.value.message_dict
    assert Shipment.objects.get(order_number="T1").status != ShipmentStatus.DELIVERED


def test_the_check_is_set_based(carrier, store):
    """The scan's appointment check runs a fixed number of queries, whatever the number of jobs."""
    from installation import appointments as check

    def queries(n):
        for i in range(n):
            order = f"Q{n}-{i}"
            ingest(carrier, store, [scan_at_outlet(at("2026-11-20 18:20"), order=order, waybill=f"SF{n}{i:03}")],
                   at("2026-11-20 18:25"))
            booked_job(store, start=at("2026-11-20 20:00"), order=order)
        with CaptureQueriesContext(connection) as captured:
            check.scan(now=at("2026-11-20 18:30"), token=f"t{n}")
        return len(captured)

    assert queries(2) == queries(6)
    assert open_aar().count() == 8


# --- API --------------------------------------------------------------------------------------


def _api_alert(carrier, store):
    _job, alert = _at_risk(carrier, store)
    return alert


def test_api_lists_dispatches_and_delivers(carrier, store, client, monkeypatch):
    alert = _api_alert(carrier, store)
    clock = [at("2026-11-20 18:40")]
    monkeypatch.setattr("django.utils.timezone.now", lambda: clock[0])
    coordinator = make_coordinator([store])
    client.force_login(coordinator)
    listed = client.get("/api/v1/logistics/alerts/", {"kind": "appointment_at_risk"}).json()
    assert [row["id"] for row in listed["results"]] == [alert.pk]
    assert listed["results"][0]["installation_job"] == alert.installation_job_id
    url = f"/api/v1/logistics/alerts/{alert.pk}/dispatch/"
    body = {"driver": coordinator.username, "planned_pickup": "2026-11-20T19:00:00+08:00",
            "planned_dropoff": "2026-11-20T19:45:00+08:00", "cost": "80.00"}
    bad = client.post(url, {**body, "planned_dropoff": "2026-11-20T18:00:00+08:00"}, content_type="application/json")
    assert bad.status_code == 400 and "planned_dropoff" in bad.json()
    bad = client.post(url, {**body, "driver": "nobody"}, content_type="application/json")
    assert bad.status_code == 400 and "driver" in bad.json()
    bad = client.post(url, {**body, "cost": {"x": 1}, "planned_pickup": ["2026"]}, content_type="application/json")
    assert bad.status_code == 400 and set(bad.json()) == {"cost", "planned_pickup"}
    created = client.post(url, body, content_type="application/json")
    assert created.status_code == 201, created.content
    dispatch = created.json()
    assert (dispatch["status"], dispatch["driver"], dispatch["cost"]) == ("planned", coordinator.username, "80.00")
    base = f"/api/v1/logistics/dispatches/{dispatch['id']}"
    clock[0] = at("2026-11-20 19:02")
    assert client.post(f"{base}/picked_up/").json()["status"] == "picked_up"
    clock[0] = at("2026-11-20 19:35")
    not_image = client.post(f"{base}/delivered/", {"photo": photo("x.png", b"GIF89a but not really"),
                                                    "recipient": "刘洋"})
    assert not_image.status_code == 400 and "photo" in not_image.json()
    done = client.post(f"{base}/delivered/", {"photo": photo(), "recipient": "刘洋",
                                              "delivered_at": "2026-11-20T19:30:00+08:00"})
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "delivered"
    parcel = client.get(f"/api/v1/logistics/shipments/{alert.shipment_id}/").json()
    assert parcel["status"] == "delivered"
    assert parcel["delivered_at"].startswith("2026-11-20T19:30")
    assert [e["source"] for e in parcel["events"] if e["status"] == "delivered"] == ["merchant_delivery"]
    proof = client.get(done.json()["photo_url"])
    assert proof.status_code == 200 and proof["Content-Type"] == "image/png"
    assert b"".join(proof.streaming_content) == png_bytes()


def test_technician_driver_and_scoping(carrier, store, other_store, client, monkeypatch):
    alert = _api_alert(carrier, store)
    monkeypatch.setattr("django.utils.timezone.now", lambda: at("2026-11-20 18:40"))
    outsider = make_coordinator([other_store])
    client.force_login(outsider)
    body = {"driver_name": "周师傅", "driver_phone": "13900001111", "planned_pickup": "2026-11-20T19:00:00+08:00",
            "planned_dropoff": "2026-11-20T19:45:00+08:00", "cost": "50"}
    assert client.get(f"/api/v1/logistics/alerts/{alert.pk}/").status_code == 404
    assert client.post(f"/api/v1/logistics/alerts/{alert.pk}/dispatch/", body,
                       content_type="application/json").status_code == 404
    client.force_login(make_installation_coordinator([store]))
    created = client.post(f"/api/v1/logistics/alerts/{alert.pk}/dispatch/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert (created.json()["driver"], created.json()["driver_name"]) == (None, "周师傅")
    client.force_login(outsider)
    assert client.post(f"/api/v1/logistics/dispatches/{created.json()['id']}/picked_up/").status_code == 404
    assert client.get(f"/logistics/dispatches/{created.json()['id']}/photo/").status_code == 404


def test_alert_page_shows_the_job_with_the_customer_phone_masked(carrier, store, client):
    alert = _api_alert(carrier, store)
    client.force_login(make_coordinator([store]))  # a logistics coordinator: job customer details masked
    page = client.get(f"/logistics/alerts/{alert.pk}/").content.decode()
    assert 'data-testid="alert-installation"' in page
    assert "137****2222" in page and "13711112222" not in page.split('data-testid="alert-customer"')[1][:200]
    assert 'data-testid="form-dispatch"' in page


def test_metrics_count_own_deliveries_and_appointments_saved(carrier, store):
    from datetime import date

    from installation.metrics import installation_metrics
    from installation.models import InstallationJob
    from logistics.metrics import logistics_metrics

    job, alert = _at_risk(carrier, store)
    driver = make_coordinator([store])
    dispatch = _dispatch(alert, driver)
    appointments.mark_picked_up(dispatch, actor=driver, now=at("2026-11-20 18:55"))
    appointments.mark_delivered(dispatch, actor=driver, now=at("2026-11-20 19:35"), photo=photo(), recipient="刘洋")
    for node, when in (("dispatched", "19:40"), ("on_site", "20:05"), ("completed", "21:10")):
        record_event(job, node=node, actor=None, now=at(f"2026-11-20 {when}"), technician_name="周师傅",
                     photos=["https://img.example.com/done.jpg"] if node == "completed" else ())
    day = date(2026, 11, 20)
    report = logistics_metrics(Shipment.objects.all(), date_from=day, date_to=day, now=at("2026-11-20 22:00"))
    assert report["own_deliveries"] == {"count": 1, "delivered": 1, "total_cost": "80.00"}
    saved = installation_metrics(InstallationJob.objects.all(), date_from=day, date_to=day)["appointments_saved"]
    assert saved == 1
