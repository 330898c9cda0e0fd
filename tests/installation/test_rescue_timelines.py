"""Move-in day rescue, the choices' records: moving the appointment from the at-risk alert (job and
parcel timelines, technician and customer told through the outbox), and every step of an own
delivery on the job's timeline, the parcel's alert timeline and the order's ticket. Time is pinned."""

import pytest

from installation.models import InstallationEvent
from installation.services import move_appointment, stepper
from logistics import appointments
from logistics.models import Alert, AlertEntry, Shipment
from portal.models import Notification, Team
from tests.factories import make_team
from tests.installation.factories import make_installation_coordinator, make_partner, make_partner_user
from tests.installation.test_appointment_at_risk import _at_risk, _dispatch, photo
from tests.logistics.factories import at, make_coordinator
from tests.tickets.factories import make_queue

NEW_START, NEW_END = at("2026-11-21 14:00"), at("2026-11-21 16:00")


@pytest.fixture(autouse=True)
def _private_in_tmp(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def order_ticket(store):
    from tickets.services import create_ticket

    queue = make_queue(make_team("Service", kind=Team.Kind.CUSTOMER_SERVICE, stores=[store]))
    return create_ticket(store=store, actor=None, now=at("2026-11-20 10:00"), queue=queue, order_no="T1",
                         subject="晾衣架什么时候到", description="搬家当天要安装")


def link_lines(ticket):
    return list(ticket.timeline.filter(kind="link").order_by("at", "id").values_list("body", flat=True))


def test_moving_the_appointment_records_it_and_tells_technician_and_customer(carrier, store):
    job, alert = _at_risk(carrier, store)
    Shipment.objects.filter(pk=alert.shipment_id).update(consignee_phone="13900001111")
    partner = make_partner([store])
    partner_user = make_partner_user(partner)
    job.partner, job.technician_name, job.technician_phone = partner, "王师傅", "13800002222"
    job.save(update_fields=["partner", "technician_name", "technician_phone"])
    ticket = order_ticket(store)
    coordinator = make_installation_coordinator([store])

    event = move_appointment(job, actor=coordinator, now=at("2026-11-20 18:40"), start=NEW_START, end=NEW_END,
                             note="客户同意改到明天下午")

    job.refresh_from_db()
    assert (job.node, job.appointment_start, job.appointment_end) == ("rescheduled", NEW_START, NEW_END)
    assert (event.node, event.actor, event.appointment_start) == ("rescheduled", coordinator, NEW_START)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.CLOSED
    moved = alert.entries.get(kind=AlertEntry.Kind.APPOINTMENT_MOVED)  # one entry, with who and the new window
    assert (moved.actor, moved.note, moved.data["start"]) == (coordinator, "客户同意改到明天下午", NEW_START.isoformat())
    sent = Notification.objects.filter(source=f"installation-moved:{event.pk}")
    assert set(sent.values_list("recipient", "to_phone", "channel")) == {
        (partner_user.pk, "", "in_app"), (None, "13800002222", "sms"), (None, "13900001111", "sms")}
    assert "21 Nov 2026 14:00" in sent.get(to_phone="13900001111").subject  # in the reader's format
    assert link_lines(ticket) == [f"Installation #{job.pk} moved to 2026-11-21 14:00 – 16:00"]


def test_a_refused_move_changes_nothing(carrier, store):
    from django.core.exceptions import ValidationError

    job, alert = _at_risk(carrier, store)
    with pytest.raises(ValidationError):
        move_appointment(job, actor=None, now=at("2026-11-20 18:40"), start=NEW_END, end=NEW_START)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN and not alert.entries.filter(kind="appointment_moved").exists()
    assert not Notification.objects.filter(source__startswith="installation-moved").exists()


def test_the_alert_page_offers_the_move_and_the_form_moves_it(carrier, store, client, monkeypatch):
    job, alert = _at_risk(carrier, store)
    monkeypatch.setattr("django.utils.timezone.now", lambda: at("2026-11-20 18:40"))
    coordinator = make_installation_coordinator([store])
    client.force_login(coordinator)
    page = client.get(f"/logistics/alerts/{alert.pk}/").content.decode()
    assert 'data-testid="form-move-appointment"' in page
    client.force_login(make_coordinator([store]))  # logistics may not progress installation jobs
    assert 'data-testid="form-move-appointment"' not in client.get(f"/logistics/alerts/{alert.pk}/").content.decode()
    assert client.post(f"/logistics/installations/{job.pk}/move/", {
        "appointment_start": "2026-11-21T14:00", "appointment_end": "2026-11-21T16:00"}).status_code == 403

    client.force_login(coordinator)
    bad = client.post(f"/logistics/installations/{job.pk}/move/", {
        "appointment_start": "2026-11-21T16:00", "appointment_end": "2026-11-21T14:00", "alert": alert.pk})
    assert bad.status_code == 302 and bad["Location"] == f"/logistics/alerts/{alert.pk}/"
    job.refresh_from_db()
    assert job.node == "scheduled"
    done = client.post(f"/logistics/installations/{job.pk}/move/", {
        "appointment_start": "2026-11-21T14:00", "appointment_end": "2026-11-21T16:00", "alert": alert.pk})
    assert done["Location"] == f"/logistics/alerts/{alert.pk}/"
    job.refresh_from_db()
    assert (job.node, job.appointment_start) == ("rescheduled", NEW_START)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.CLOSED
    # The customer's SMS goes to the job's phone when the parcel has none.
    assert Notification.objects.filter(to_phone="13711112222", recipient=None, channel="sms").count() == 1


def test_every_dispatch_step_is_on_the_job_the_alert_and_the_ticket(carrier, store):
    job, alert = _at_risk(carrier, store)
    ticket = order_ticket(store)
    driver = make_coordinator([store])
    dispatch = _dispatch(alert, driver)
    appointments.mark_picked_up(dispatch, actor=driver, now=at("2026-11-20 18:55"))
    appointments.mark_delivered(dispatch, actor=driver, now=at("2026-11-20 19:35"), photo=photo(),
                                recipient="刘洋", delivered_at=at("2026-11-20 19:30"))

    notes = list(InstallationEvent.objects.filter(job=job, source=InstallationEvent.Source.LOGISTICS)
                 .order_by("at", "id").values_list("at", "actor", "note"))
    assert [(when, who) for when, who, _note in notes] == [
        (at("2026-11-20 18:35"), driver.pk), (at("2026-11-20 18:55"), driver.pk), (at("2026-11-20 19:35"), driver.pk)]
    assert "dispatched" in notes[0][2] and "picked up" in notes[1][2] and "received by 刘洋" in notes[2][2]
    assert list(alert.entries.filter(kind__startswith="dispatch").values_list("kind", flat=True)) == [
        "dispatched", "dispatch_picked_up", "dispatch_delivered"]
    assert link_lines(ticket) == [note for _when, _who, note in notes]
    # Notes do not move the job nor its stepper's times.
    job.refresh_from_db()
    events = list(InstallationEvent.objects.filter(job=job).order_by("at", "id"))
    scheduled = next(step for step in stepper(job, events)["steps"] if step["node"] == "scheduled")
    assert job.node == "scheduled" and scheduled["at"] == "2026-11-19 20:00"


def test_a_failed_dispatch_is_on_the_job_timeline(carrier, store):
    job, alert = _at_risk(carrier, store)
    driver = make_coordinator([store])
    dispatch = _dispatch(alert, driver)
    appointments.mark_failed(dispatch, actor=driver, now=at("2026-11-20 19:00"), reason="车坏了")
    last = InstallationEvent.objects.filter(job=job).order_by("-at", "-id").first()
    assert (last.source, last.node, last.at) == ("logistics", "scheduled", at("2026-11-20 19:00"))
    assert "车坏了" in last.note
