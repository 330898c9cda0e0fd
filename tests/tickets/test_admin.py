"""Admin: configuration pages render; tickets are read-only; a calendar saved in admin applies to
open tickets without giving back time already used."""

from datetime import date, time
from unittest import mock

import pytest
from django.contrib.auth import get_user_model

from tests.tickets.factories import sh
from tickets.models import BusinessCalendar, CalendarInterval, SLAPolicy
from tickets.sla import SpecCache


@pytest.fixture
def admin_client(client, world):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-test-123")
    client.force_login(admin)
    return client


@pytest.mark.parametrize(
    "model", ["queue", "businesscalendar", "slapolicy", "routingrule", "macro", "ticket"],
)
def test_changelists_and_add_pages_render(admin_client, world, model):
    world.ticket()
    assert admin_client.get(f"/admin/tickets/{model}/").status_code == 200
    expected = 403 if model == "ticket" else 200
    assert admin_client.get(f"/admin/tickets/{model}/add/").status_code == expected


def test_ticket_admin_is_read_only(admin_client, world):
    ticket = world.ticket()
    page = admin_client.get(f"/admin/tickets/ticket/{ticket.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    response = admin_client.post(f"/admin/tickets/ticket/{ticket.pk}/change/", {"status": "closed"})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "new"
    assert admin_client.get(f"/admin/tickets/ticket/{ticket.pk}/delete/").status_code == 403


def test_calendar_change_in_admin_applies_to_open_tickets(admin_client, world):
    calendar = BusinessCalendar.objects.create(name="Mornings", time_zone="Asia/Shanghai")
    interval = CalendarInterval.objects.create(calendar=calendar, weekday=0, start=time(9), end=time(12))
    SLAPolicy.objects.filter(pk=world.policy.pk).update(calendar=calendar)
    ticket = world.ticket(now=sh(2026, 3, 2, 9, 0))  # Monday; 480 minutes of mornings-only Mondays
    form = {
        "name": "Mornings", "time_zone": "Asia/Shanghai", "always_open": "on",
        "intervals-TOTAL_FORMS": "1", "intervals-INITIAL_FORMS": "1",
        "intervals-0-id": str(interval.pk), "intervals-0-calendar": str(calendar.pk), "intervals-0-weekday": "0",
        "intervals-0-start": "09:00", "intervals-0-end": "12:00",
        "holidays-TOTAL_FORMS": "0", "holidays-INITIAL_FORMS": "0",
        "makeup_days-TOTAL_FORMS": "0", "makeup_days-INITIAL_FORMS": "0",
    }
    with mock.patch("django.utils.timezone.now", return_value=sh(2026, 3, 2, 11, 0)):
        response = admin_client.post(f"/admin/tickets/businesscalendar/{calendar.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    ticket.refresh_from_db()
    assert ticket.resolution_used == 120  # 9:00-11:00 under the old hours
    assert ticket.resolution_due == sh(2026, 3, 2, 17, 0)  # 360 more minutes around the clock
    assert ticket.timeline.filter(kind="sla").exists()


def test_agent_has_no_admin(client, world):
    client.force_login(world.agent)
    assert client.get("/admin/tickets/ticket/").status_code == 302


def _calendar_form(name="Never", *, always_open=False, intervals=(), makeup=(), calendar=None):
    form = {
        "name": name, "time_zone": "Asia/Shanghai",
        "intervals-TOTAL_FORMS": str(len(intervals)), "intervals-INITIAL_FORMS": "0",
        "holidays-TOTAL_FORMS": "0", "holidays-INITIAL_FORMS": "0",
        "makeup_days-TOTAL_FORMS": str(len(makeup)), "makeup_days-INITIAL_FORMS": "0",
    }
    if always_open:
        form["always_open"] = "on"
    for n, (weekday, start, end) in enumerate(intervals):
        form.update({f"intervals-{n}-weekday": str(weekday), f"intervals-{n}-start": start, f"intervals-{n}-end": end})
    for n, (day, works_like) in enumerate(makeup):
        form.update({f"makeup_days-{n}-date": day, f"makeup_days-{n}-works_like": works_like})
    return form


def test_calendar_that_can_never_work_is_refused(admin_client, world):
    # No weekday hours and not 24x7: holidays and make-up days alone cannot keep a clock going.
    response = admin_client.post("/admin/tickets/businesscalendar/add/",
                                 _calendar_form(makeup=[("2026-02-14", "")]))
    assert response.status_code == 200
    assert "needs working hours on at least one weekday" in response.content.decode()
    assert not BusinessCalendar.objects.filter(name="Never").exists()
    # 24x7 needs no hours; hours on one weekday are enough.
    assert admin_client.post("/admin/tickets/businesscalendar/add/",
                             _calendar_form("Always", always_open=True)).status_code == 302
    assert admin_client.post("/admin/tickets/businesscalendar/add/",
                             _calendar_form("Mondays", intervals=[(0, "09:00", "12:00")])).status_code == 302


def test_removing_the_last_working_hours_is_refused(admin_client, world):
    calendar = BusinessCalendar.objects.create(name="Mornings", time_zone="Asia/Shanghai")
    interval = CalendarInterval.objects.create(calendar=calendar, weekday=0, start=time(9), end=time(12))
    form = _calendar_form("Mornings")
    form.update({
        "intervals-TOTAL_FORMS": "1", "intervals-INITIAL_FORMS": "1", "intervals-0-id": str(interval.pk),
        "intervals-0-calendar": str(calendar.pk), "intervals-0-weekday": "0", "intervals-0-start": "09:00",
        "intervals-0-end": "12:00", "intervals-0-DELETE": "on",
    })
    response = admin_client.post(f"/admin/tickets/businesscalendar/{calendar.pk}/change/", form)
    assert response.status_code == 200
    assert "needs working hours on at least one weekday" in response.content.decode()
    assert calendar.intervals.count() == 1


def test_makeup_day_must_work_like_a_day_with_hours(admin_client, world):
    form = _calendar_form("Weekdays", intervals=[(0, "09:00", "12:00")], makeup=[("2026-02-14", "5")])
    response = admin_client.post("/admin/tickets/businesscalendar/add/", form)
    assert response.status_code == 200
    assert "works like Saturday, which has no working hours" in response.content.decode()
    # "Works like" empty: the first weekday with working hours (Monday here) lends its hours.
    form = _calendar_form("Weekdays", intervals=[(0, "09:00", "12:00")], makeup=[("2026-02-14", "")])
    assert admin_client.post("/admin/tickets/businesscalendar/add/", form).status_code == 302
    spec = SpecCache().get(BusinessCalendar.objects.get(name="Weekdays").pk)
    assert spec.intervals_on(date(2026, 2, 14)) == ((540, 720),)
