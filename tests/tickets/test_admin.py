"""Admin: configuration pages render; tickets are read-only; a calendar saved in admin applies to
open tickets without giving back time already used."""

from datetime import time
from unittest import mock

import pytest
from django.contrib.auth import get_user_model

from tests.tickets.factories import sh
from tickets.models import BusinessCalendar, CalendarInterval, SLAPolicy


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
