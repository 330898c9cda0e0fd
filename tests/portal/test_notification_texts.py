"""Notifications read in the reader's language, link where they point, and are marked read when
opened; the header's count is served as JSON for the poll; the user picks their language."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import translation

from portal.models import Notification, Profile
from portal.notifications import dispatch_notifications, queue_notification, render
from portal.roles import Role, ensure_roles
from tests.factories import make_team, make_user

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def reader(db):
    ensure_roles()
    user = make_user("reader1", email="reader1@example.com", role=Role.AGENT, team=make_team())
    Profile.objects.create(user=user, phone="13900000000", language="en")
    return user


def assigned(user, channel=Notification.Channel.IN_APP):
    return queue_notification(recipient=user, channel=channel, message_key="tickets.assigned",
                              params={"id": 5, "subject": "Remote does not pair"}, link="/tickets/5/", now=NOW)


def test_one_row_reads_in_each_readers_language(reader, settings):
    note = assigned(reader)
    assert render(note, language="en").subject == "Ticket #5 was assigned to you"
    assert render(note, language="zh-hans").subject != "Ticket #5 was assigned to you"
    assert "#5" in render(note, language="zh-hans").subject
    # The stored copy is in the site's language (search, admin), whatever the active language was.
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("en"):
        other = assigned(reader)
    assert other.subject == render(note, language="zh-hans").subject


def test_inbox_page_renders_in_the_page_language_with_links_not_paths(reader, client):
    assigned(reader)
    client.force_login(reader)
    english = client.get("/inbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get("/inbox/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Ticket #5 was assigned to you" in english
    assert "Ticket #5 was assigned to you" not in chinese
    note = Notification.objects.get()
    assert f'href="/inbox/{note.pk}/"' in english
    assert ">/tickets/5/<" not in english


def test_legacy_rows_stay_readable_and_their_paths_become_links(reader, client):
    queue_notification(recipient=reader, channel=Notification.Channel.IN_APP, subject="旧消息",
                       body="#12 · 第 2 级\n  /tickets/12/", now=NOW)
    client.force_login(reader)
    page = client.get("/inbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "旧消息" in page
    assert '<a href="/tickets/12/">#12 · 第 2 级</a>' in page
    assert ">/tickets/12/<" not in page


def test_escalation_digest_lists_tickets_as_links(reader):
    from tickets.models import LadderLevel

    level = LadderLevel(position=2, name="Breach: team lead", clock="resolution", offset_minutes=0)
    from tickets.escalation.recipients import _message

    params, link = _message([(7, 1, "Dryer broken"), (8, 1, "")], 2, {1: level}, "abc", "in_app")
    note = queue_notification(recipient=reader, channel=Notification.Channel.IN_APP,
                              message_key="tickets.escalation_digest", params=params, link=link, now=NOW)
    english = render(note, language="en")
    assert english.subject == "Escalation: 2 tickets need attention"
    assert [line.link for line in english.lines] == ["/tickets/7/", "/tickets/8/"]
    assert english.lines[0].text.startswith("#7 · Level 2 Breach: team lead")
    assert all("/tickets/" not in line.text for line in english.lines)
    chinese = render(note, language="zh-hans")
    assert "Breach" not in chinese.lines[0].text and "resolution" not in chinese.lines[0].text


def test_opening_a_message_marks_it_read_and_follows_its_link(reader, client):
    note = assigned(reader)
    client.force_login(reader)
    response = client.get(f"/inbox/{note.pk}/")
    assert response.status_code == 302 and response["Location"] == "/tickets/5/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert client.get("/inbox/unread/").json() == {"unread": 0}


def test_another_users_message_is_not_found(reader, client):
    note = assigned(reader)
    client.force_login(make_user("someone"))
    assert client.get(f"/inbox/{note.pk}/").status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_unread_count_is_json_for_the_poll(reader, client):
    client.force_login(reader)
    assert client.get("/inbox/unread/").json() == {"unread": 0}
    assigned(reader)
    assigned(reader)
    response = client.get("/inbox/unread/")
    assert response.json() == {"unread": 2} and response["Cache-Control"] == "no-store"
    client.logout()
    assert client.get("/inbox/unread/").status_code == 302  # to the login page


def test_email_and_sms_go_out_in_the_recipients_language(reader, settings):
    settings.PORTAL_URL = "https://service.example.com"
    assigned(reader, Notification.Channel.EMAIL)
    chinese_reader = make_user("reader2", email="reader2@example.com")
    Profile.objects.create(user=chinese_reader, language="zh-hans")
    assigned(chinese_reader, Notification.Channel.EMAIL)
    with translation.override("en"):
        assert dispatch_notifications(now=NOW)["sent"] == 2
    by_address = {message.to[0]: message for message in mail.outbox}
    assert by_address["reader1@example.com"].subject == "Ticket #5 was assigned to you"
    assert "https://service.example.com/tickets/5/" in by_address["reader1@example.com"].body
    assert by_address["reader2@example.com"].subject != "Ticket #5 was assigned to you"
    assert "#5" in by_address["reader2@example.com"].subject


def test_amounts_and_times_are_formatted_for_the_reader(reader):
    note = queue_notification(
        recipient=reader, channel=Notification.Channel.IN_APP, message_key="logistics.compensation_pending",
        params={"amount": Decimal("5000.00"), "kind": "coupon", "waybill": "SF1400000001", "note": ""}, now=NOW)
    assert render(note, language="en").subject == "Coupon of ¥5,000 waits for your approval (SF1400000001)"
    note = queue_notification(
        recipient=reader, channel=Notification.Channel.IN_APP, message_key="logistics.dispatch_fetch",
        params={"waybill": "SF1", "outlet": "", "at": datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("UTC"))}, now=NOW)
    assert render(note, language="en").subject == "Own delivery: fetch parcel SF1 at — by 28 Nov 2026 18:00"


def test_unknown_message_key_is_refused(reader):
    with pytest.raises(ValueError):
        queue_notification(recipient=reader, channel=Notification.Channel.IN_APP, message_key="nope", now=NOW)


def test_user_sets_their_language_and_phone(reader, client):
    client.force_login(reader)
    page = client.get("/settings/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and 'name="language"' in page.content.decode()
    response = client.post("/settings/", {"language": "zh-hans", "phone": "13911112222"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "zh-hans"
    reader.profile.refresh_from_db()
    assert (reader.profile.language, reader.profile.phone) == ("zh-hans", "13911112222")
    response = client.post("/settings/", {"language": "fr", "phone": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "errorlist" in response.content.decode()


def test_inbox_query_count_does_not_grow_with_rows(reader, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(reader)
    assigned(reader)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/inbox/").status_code == 200
    for _ in range(30):
        assigned(reader)
    queue_notification(recipient=reader, channel=Notification.Channel.IN_APP, message_key="tickets.escalation_digest",
                       params={"items": [[7, 1, "x"]], "total": 1, "sweep": "s", "channel": "in_app",
                               "levels": {"1": {"position": 1, "name": "Warning", "clock": "resolution",
                                                "offset_minutes": -30, "target_percent": None}}}, now=NOW)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/inbox/").status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_signing_in_applies_the_language_saved_in_the_settings(reader, client):
    reader.set_password("pw-test-123")
    reader.save()
    reader.profile.language = "en"
    reader.profile.save()
    response = client.post("/login/", {"username": reader.username, "password": "pw-test-123"},
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 302 and response.cookies["django_language"].value == "en"
    assert "My settings" in client.get("/settings/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


@pytest.mark.parametrize("role, shown", [(Role.AGENT, False), (Role.TEAM_LEAD, False), (Role.MANAGER, True),
                                         (Role.DIRECTOR, True), (Role.REFUND_SPECIALIST, False)])
def test_the_approvals_link_is_shown_to_those_who_may_approve(db, client, role, shown):
    ensure_roles()
    user = make_user(f"user-{role}", role=role, team=make_team("CS"))
    client.force_login(user)
    html = client.get("/inbox/").content.decode()
    assert ('href="/approvals/"' in html) is shown
