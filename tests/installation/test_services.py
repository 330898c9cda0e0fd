"""Installation jobs: the node state machine, automatic creation on delivery, the SLA scan."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from installation.models import InstallationAlert, InstallationEvent, InstallationJob
from installation.services import TRANSITIONS, create_jobs_for_delivered, record_event, scan_installations
from portal.formatting import local_datetime
from portal.models import Notification
from tests.installation.factories import (
    DETAILS,
    NOW,
    WINDOW,
    make_installation_coordinator,
    make_job,
    make_partner,
    make_product,
)
from tests.logistics.factories import event, ingest

pytestmark = pytest.mark.django_db


# --- State machine ----------------------------------------------------------------------------


def test_a_job_walks_the_main_path_with_one_event_per_move(store):
    coordinator = make_installation_coordinator([store])
    job = make_job(store, product=make_product(store), actor=coordinator,
                   path=["scheduled", "dispatched", "on_site", "completed"])
    job.refresh_from_db()
    assert job.node == "completed"
    assert job.completed_at == NOW + timedelta(hours=4)
    assert job.visits == 1 and job.customer_confirmed and job.technician_name == "师傅 王"
    events = list(job.events.values_list("from_node", "node", "actor_id"))
    assert events == [("", "requested", coordinator.pk), ("requested", "scheduled", coordinator.pk),
                      ("scheduled", "dispatched", coordinator.pk), ("dispatched", "on_site", coordinator.pk),
                      ("on_site", "completed", coordinator.pk)]
    assert job.events.last().photos == ["https://img.example.com/1.jpg"]


@pytest.mark.parametrize("path,node", [
    ([], "completed"), ([], "on_site"), ([], "dispatched"), (["scheduled"], "completed"),
    (["scheduled", "dispatched"], "completed"), (["scheduled", "dispatched", "on_site", "completed"], "failed"),
    (["cancelled"], "scheduled"), (["scheduled", "dispatched", "on_site"], "cancelled"),
])
def test_invalid_moves_are_refused_with_a_clear_error_and_write_nothing(store, path, node):
    job = make_job(store, path=path)
    before = (job.node, job.events.count())
    with pytest.raises(ValidationError) as error:
        record_event(job, node=node, actor=None, now=NOW + timedelta(days=1), **DETAILS[node])
    message = error.value.message_dict["node"][0]
    assert f"cannot move to {node.replace('_', ' ')}" in message
    job.refresh_from_db()
    assert (job.node, job.events.count()) == before


def test_every_node_has_its_transitions_and_closed_nodes_have_none():
    assert set(TRANSITIONS) == {"requested", "scheduled", "dispatched", "on_site", "completed", "failed",
                                "rescheduled", "cancelled"}
    assert TRANSITIONS["completed"] == () and TRANSITIONS["cancelled"] == ()
    assert "completed" in TRANSITIONS["on_site"] and "completed" not in TRANSITIONS["dispatched"]


@pytest.mark.parametrize("node,details,field", [
    ("scheduled", {}, "appointment_start"),
    ("scheduled", {"appointment_start": WINDOW[1], "appointment_end": WINDOW[0]}, "appointment_end"),
    ("cancelled", {}, "reason"),
])
def test_a_move_without_its_details_is_refused(store, node, details, field):
    job = make_job(store)
    with pytest.raises(ValidationError) as error:
        record_event(job, node=node, actor=None, now=NOW, **details)
    assert field in error.value.message_dict


def test_completion_needs_proof_and_failure_a_reason(store):
    job = make_job(store, path=["scheduled", "dispatched", "on_site"])
    later = NOW + timedelta(hours=5)
    with pytest.raises(ValidationError) as error:
        record_event(job, node="completed", actor=None, now=later)
    assert "proof" in error.value.message_dict["photos"][0]
    with pytest.raises(ValidationError) as error:
        record_event(job, node="completed", actor=None, now=later, photos=["file:///etc/passwd"])
    assert "photos" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        record_event(job, node="failed", actor=None, now=later)
    assert "reason" in error.value.message_dict
    record_event(job, node="failed", actor=None, now=later, reason="墙体不能打孔")
    job.refresh_from_db()
    assert job.node == "failed" and job.failure_reason == "墙体不能打孔"
    # A failed visit is rebooked: rescheduled, dispatched again (a second visit).
    record_event(job, node="rescheduled", actor=None, now=later + timedelta(hours=1), **DETAILS["rescheduled"])
    record_event(job, node="dispatched", actor=None, now=later + timedelta(hours=2))
    job.refresh_from_db()
    assert job.visits == 2 and job.technician_name == "师傅 王"


def test_event_times_must_not_go_backwards_or_into_the_future(store):
    job = make_job(store, path=["scheduled"])
    with pytest.raises(ValidationError) as error:
        record_event(job, node="dispatched", actor=None, now=NOW + timedelta(hours=3), at=NOW - timedelta(hours=1),
                     technician_name="A")
    last = job.events.order_by("-at").first().at
    with translation.override("en"):
        assert error.value.message_dict["time"] == [
            f"The time is earlier than the job's last event ({local_datetime(last)})."]
    with pytest.raises(ValidationError) as error:
        record_event(job, node="dispatched", actor=None, now=NOW + timedelta(hours=3), at=NOW + timedelta(days=1),
                     technician_name="A")
    assert "future" in error.value.message_dict["time"][0]


def test_a_time_given_to_the_minute_of_the_last_event_is_not_earlier(store):
    """A form gives times to the minute: within the minute of an event a partner reported with
    seconds, the new event is recorded at that event's time (the timeline keeps its order)."""
    job = make_job(store, path=["scheduled"])
    last = job.events.order_by("-at").first().at.replace(second=30, microsecond=0)
    job.events.update(at=last)
    event, _created = record_event(job, node="dispatched", actor=None, now=last + timedelta(seconds=10),
                                   at=last.replace(second=0), technician_name="A")
    assert event.at == last
    with pytest.raises(ValidationError):
        record_event(job, node="on_site", actor=None, now=last + timedelta(minutes=5),
                     at=last.replace(second=0) - timedelta(seconds=1))
    # A time with seconds (a partner's API) earlier than the last event is refused, not moved.
    with pytest.raises(ValidationError) as error:
        record_event(job, node="on_site", actor=None, now=last + timedelta(minutes=5), at=last - timedelta(seconds=5))
    assert "earlier" in error.value.message_dict["time"][0]


def test_a_repeated_client_event_id_is_recorded_once(store):
    partner = make_partner([store])
    job = make_job(store, partner=partner)
    first, created = record_event(job, node="scheduled", actor=None, now=NOW, partner=partner,
                                  client_event_id="evt-1", **DETAILS["scheduled"])
    again, created_again = record_event(job, node="scheduled", actor=None, now=NOW + timedelta(minutes=5),
                                        partner=partner, client_event_id="evt-1", **DETAILS["scheduled"])
    assert created and not created_again and again.pk == first.pk
    assert job.events.filter(node="scheduled").count() == 1


# --- Automatic creation on delivery -----------------------------------------------------------


def test_a_delivered_parcel_with_an_installable_product_opens_one_job(carrier, store):
    rack = make_product(store, "RACK-X1", booking=48)
    make_product(store, "CLIP-01", needs_installation=False)
    partner = make_partner([store])
    rows = [
        event("SF100", "2026-11-18 10:00", "50", "已揽收", order="T100", product_skus="RACK-X1,CLIP-01",
              consignee_name="刘洋", consignee_phone="13711112222", consignee_address="上海市浦东新区"),
        event("SF100", "2026-11-19 15:00", "80", "已签收", order="T100"),
        event("SF200", "2026-11-19 15:00", "80", "已签收", order="T200", product_skus="CLIP-01"),
        event("SF300", "2026-11-18 10:00", "50", "已揽收", order="T300", product_skus="RACK-X1"),
    ]
    ingest(carrier, store, rows)
    job = InstallationJob.objects.get()
    assert (job.order_number, job.product, job.partner, job.node) == ("T100", rack, partner, "requested")
    assert job.shipment.waybill_number == "SF100" and job.customer_phone == "13711112222"
    assert job.booking_due_at == job.delivered_at + timedelta(hours=48)
    assert job.events.get().source == InstallationEvent.Source.SYSTEM
    # The parcel in transit gets its job when its delivery arrives in a later report; replays add nothing.
    ingest(carrier, store, [event("SF300", "2026-11-19 18:00", "80", "已签收", order="T300")])
    ingest(carrier, store, rows)
    assert sorted(InstallationJob.objects.values_list("order_number", flat=True)) == ["T100", "T300"]
    assert create_jobs_for_delivered(InstallationJob.objects.values_list("shipment_id", flat=True), now=NOW) == 0


def test_job_creation_on_delivery_is_set_based(carrier, store, django_assert_max_num_queries):
    from logistics.models import Shipment

    make_product(store, "RACK-X1")
    rows = []
    for n in range(30):
        rows += [event(f"SF9{n:03}", "2026-11-18 10:00", "50", "已揽收", order=f"T9{n:03}", product_skus="RACK-X1"),
                 event(f"SF9{n:03}", "2026-11-19 10:00", "80", "已签收", order=f"T9{n:03}")]
    ingest(carrier, store, rows)
    InstallationJob.objects.all().delete()
    ids = list(Shipment.objects.values_list("pk", flat=True))
    with django_assert_max_num_queries(8):
        assert create_jobs_for_delivered(ids, now=NOW) == 30


# --- SLA scan ---------------------------------------------------------------------------------


def test_the_scan_alerts_each_missed_sla_once_and_notifies_the_coordinators(store, other_store):
    coordinator = make_installation_coordinator([store], username="installer")
    elsewhere = make_installation_coordinator([other_store])
    product = make_product(store, booking=24, completion=24)
    waiting = make_job(store, product=product, order="T-book")  # booking due NOW + 24h
    scheduled = make_job(store, product=product, order="T-window", path=["scheduled"])  # window ends NOW+22h
    on_site = make_job(store, product=product, order="T-done", path=["scheduled", "dispatched", "on_site"])
    make_job(store, product=product, order="T-ok", path=["scheduled", "dispatched", "on_site", "completed"])

    assert scan_installations(now=NOW + timedelta(hours=10))["opened"] == 0
    result = scan_installations(now=NOW + timedelta(hours=25))
    alerts = set(InstallationAlert.objects.values_list("job__order_number", "kind"))
    assert alerts == {("T-book", "booking_overdue"), ("T-window", "not_on_site")}
    assert result == {"opened": 2, "closed": 0, "notified": 1, "appointments_at_risk": 0,
                      "appointment_alerts_closed": 0}
    message = Notification.objects.get(recipient=coordinator)
    assert "2 installation jobs missed their SLA" in message.subject and "T-book" in message.body
    assert not Notification.objects.filter(recipient=elsewhere).exists()

    # Again: nothing new (one open alert per job and kind), no new message.
    assert scan_installations(now=NOW + timedelta(hours=26))["opened"] == 0
    assert Notification.objects.count() == 1
    # Appointment start NOW+20h + 24h: on-site job not completed by NOW+44h.
    scan_installations(now=NOW + timedelta(hours=45))
    assert InstallationAlert.objects.filter(job=on_site, kind="completion_overdue", status="open").exists()
    # Booking the appointment closes the booking alert; it is not raised again.
    record_event(waiting, node="scheduled", actor=coordinator, now=NOW + timedelta(hours=46),
                 appointment_start=NOW + timedelta(hours=50), appointment_end=NOW + timedelta(hours=52))
    assert InstallationAlert.objects.get(job=waiting, kind="booking_overdue").status == "closed"
    scan_installations(now=NOW + timedelta(hours=47))
    assert InstallationAlert.objects.filter(job=waiting).count() == 1
    # Rescheduling moves the window: the not-on-site alert closes, and opens again only if the new one is missed.
    record_event(scheduled, node="rescheduled", actor=coordinator, now=NOW + timedelta(hours=47),
                 appointment_start=NOW + timedelta(hours=60), appointment_end=NOW + timedelta(hours=62))
    assert InstallationAlert.objects.get(job=scheduled, kind="not_on_site").status == "closed"
    scan_installations(now=NOW + timedelta(hours=63))
    assert InstallationAlert.objects.filter(job=scheduled, kind="not_on_site").count() == 2


def test_the_scan_is_set_based(store, django_assert_max_num_queries):
    make_installation_coordinator([store])
    product = make_product(store, booking=1)
    for n in range(15):
        make_job(store, product=product, order=f"T{n}", path=["scheduled"] if n % 2 else [])
    with django_assert_max_num_queries(16):
        result = scan_installations(now=NOW + timedelta(days=3))
    assert result["opened"] == 15 + 7  # all overdue in some way; the scheduled ones twice (window, completion)


def test_the_command_takes_a_pinned_time(store, capsys):
    make_job(store, product=make_product(store, booking=24))
    call_command("scan_installations", "--now", (NOW + timedelta(hours=30)).isoformat())
    assert "Opened 1 installation alert(s)" in capsys.readouterr().out


def test_the_scan_is_a_django_q_schedule(db):
    from portal.schedules import declared_schedules

    spec = next(s for s in declared_schedules() if s.name == "logistics.scan_installations")
    assert spec.func == "installation.tasks.scan_installations" and spec.minutes == 10
    from installation.tasks import scan_installations as task

    assert task() == {"opened": 0, "closed": 0, "notified": 0, "appointments_at_risk": 0,
                      "appointment_alerts_closed": 0}
