"""The outbox: delivered once, retried with back-off, never lost, never sent twice."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import translation

from portal.models import Notification, Profile
from portal.notifications import CLAIM_TIMEOUT, MAX_ATTEMPTS, dispatch_notifications, queue_notification
from portal.roles import ensure_roles
from tests.factories import make_user
from tests.portal.gateway import FakeSmsGateway

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def recipient(db):
    user = make_user("lead1", email="lead1@example.com")
    Profile.objects.create(user=user, phone="13900000000")
    return user


def sms(recipient, subject="Ticket #1 breached"):
    return queue_notification(
        recipient=recipient, channel=Notification.Channel.SMS, subject=subject, body="please act", now=NOW
    )


def test_in_app_message_is_in_the_inbox_at_once(recipient):
    note = queue_notification(recipient=recipient, channel=Notification.Channel.IN_APP, subject="hello", now=NOW)
    assert note.status == Notification.Status.SENT
    assert Notification.objects.unread_inbox(recipient).count() == 1
    assert dispatch_notifications(now=NOW) == {"sent": 0, "retry": 0, "failed": 0}


def test_email_is_sent_once(recipient):
    queue_notification(recipient=recipient, channel=Notification.Channel.EMAIL, subject="Escalation", body="x", now=NOW)
    assert dispatch_notifications(now=NOW)["sent"] == 1
    assert dispatch_notifications(now=NOW + timedelta(minutes=5))["sent"] == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["lead1@example.com"]


def test_sms_reaches_the_gateway_with_a_stable_key(recipient, settings):
    with FakeSmsGateway() as gateway:
        settings.SMS_GATEWAY_URL = gateway.url
        note = sms(recipient)
        assert dispatch_notifications(now=NOW)["sent"] == 1
    note.refresh_from_db()
    assert note.status == Notification.Status.SENT
    assert gateway.requests == [{"key": str(note.idempotency_key), "to": "13900000000", "text": "Ticket #1 breached\nplease act"}]


def test_crash_between_send_and_mark_resends_with_the_same_key_and_the_gateway_delivers_once(recipient, settings):
    with FakeSmsGateway() as gateway:
        settings.SMS_GATEWAY_URL = gateway.url
        note = sms(recipient)

        def crash(*args):
            raise SystemExit("dispatcher killed after sending")

        with pytest.raises(SystemExit):
            dispatch_notifications(now=NOW, mark_sent=crash)
        note.refresh_from_db()
        assert note.status == Notification.Status.SENDING  # not lost, not marked

        # A dispatcher running before the claim is stale leaves it alone.
        assert dispatch_notifications(now=NOW + timedelta(minutes=1))["sent"] == 0
        # After the claim timeout the row is taken up again and resent with the same key.
        assert dispatch_notifications(now=NOW + CLAIM_TIMEOUT + timedelta(seconds=1))["sent"] == 1
    note.refresh_from_db()
    assert note.status == Notification.Status.SENT
    assert [r["key"] for r in gateway.requests] == [str(note.idempotency_key)] * 2
    assert len(gateway.delivered) == 1  # the gateway honoured the key: one SMS on the phone


def test_email_left_in_sending_by_a_crash_is_marked_unknown_not_resent(recipient):
    note = queue_notification(recipient=recipient, channel=Notification.Channel.EMAIL, subject="x", now=NOW)

    def crash(*args):
        raise SystemExit

    with pytest.raises(SystemExit):
        dispatch_notifications(now=NOW, mark_sent=crash)
    dispatch_notifications(now=NOW + CLAIM_TIMEOUT + timedelta(seconds=1))
    note.refresh_from_db()
    assert note.status == Notification.Status.UNKNOWN
    assert len(mail.outbox) == 1


def test_failing_gateway_is_retried_with_backoff_then_marked_failed_and_shown_in_admin(recipient, settings, client):
    with FakeSmsGateway(fail_with=503) as gateway:
        settings.SMS_GATEWAY_URL = gateway.url
        note = sms(recipient)
        now = NOW
        waits = []
        for _attempt in range(MAX_ATTEMPTS):
            dispatch_notifications(now=now)
            note.refresh_from_db()
            if note.status == Notification.Status.FAILED:
                break
            assert note.status == Notification.Status.PENDING
            # Not retried before its back-off has passed.
            assert dispatch_notifications(now=now + timedelta(seconds=30))["retry"] == 0
            waits.append(note.next_attempt_at - now)
            now = note.next_attempt_at
    assert note.status == Notification.Status.FAILED
    assert note.attempts == MAX_ATTEMPTS == len(gateway.requests)
    assert "503" in note.last_error
    assert waits == sorted(waits) and waits[0] < waits[-1]  # backing off

    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get("/admin/portal/notification/?status__exact=failed")
    assert page.status_code == 200
    assert "Ticket #1 breached" in page.content.decode()


def test_recipient_without_phone_fails_clearly(db):
    user = make_user("nophone")
    note = queue_notification(recipient=user, channel=Notification.Channel.SMS, subject="x", now=NOW)
    with translation.override("en"):
        for step in range(MAX_ATTEMPTS):
            dispatch_notifications(now=NOW + timedelta(days=step))
    note.refresh_from_db()
    assert note.status == Notification.Status.FAILED
    assert "no mobile phone" in note.last_error


def test_two_dispatchers_do_not_claim_the_same_row(recipient):
    from portal.notifications import claim_due

    queue_notification(recipient=recipient, channel=Notification.Channel.EMAIL, subject="x", now=NOW)
    _token1, first = claim_due(now=NOW)
    _token2, second = claim_due(now=NOW)
    assert len(first) == 1 and second == []


def test_inbox_page_shows_unread_count_and_marks_read(recipient, client):
    queue_notification(
        recipient=recipient, channel=Notification.Channel.IN_APP, subject="Ticket 7 escalated", link="/inbox/", now=NOW
    )
    from portal.roles import Role
    from portal.services import add_member
    from tests.factories import make_team

    ensure_roles()
    add_member(user=recipient, team=make_team(), role=Role.AGENT)
    client.force_login(recipient)
    page = client.get("/inbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ticket 7 escalated" in page and 'data-testid="unread-count">1<' in page
    client.post("/inbox/read/")
    page = client.get("/inbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The badge stays in the page (hidden) so that the poll can show it again without a reload.
    assert 'hidden data-testid="unread-count">0<' in page


def test_sms_to_a_phone_without_an_account_is_sent_once_and_retried(db, settings):
    with FakeSmsGateway(fail_with=503) as gateway:
        settings.SMS_GATEWAY_URL = gateway.url
        note = queue_notification(recipient=None, to_phone="13711112222", channel=Notification.Channel.SMS,
                                  subject="Your installation appointment is moved", now=NOW)
        assert dispatch_notifications(now=NOW)["retry"] == 1
        gateway.fail_with = None
        assert dispatch_notifications(now=NOW + timedelta(hours=2))["sent"] == 1
        assert dispatch_notifications(now=NOW + timedelta(hours=4))["sent"] == 0
    note.refresh_from_db()
    assert (note.status, note.attempts) == (Notification.Status.SENT, 2)
    assert {(r["key"], r["to"]) for r in gateway.requests} == {(str(note.idempotency_key), "13711112222")}


def test_only_an_sms_may_go_without_a_recipient(db):
    with pytest.raises(ValueError):
        queue_notification(recipient=None, to_phone="13711112222", channel=Notification.Channel.EMAIL,
                           subject="x", now=NOW)
    with pytest.raises(ValueError):
        queue_notification(recipient=None, channel=Notification.Channel.SMS, subject="x", now=NOW)


def test_a_claimed_row_never_tried_is_sent_by_the_next_run_not_marked_unknown(recipient, settings):
    """A dispatcher that dies after claiming, before trying some rows: those rows are sent by the next
    run once NOTIFICATION_RECLAIM_UNTRIED_AFTER has passed (not after the claim window), and e-mails
    among them never become `unknown`."""
    from portal.notifications import claim_due

    notes = [queue_notification(recipient=recipient, channel=Notification.Channel.EMAIL, subject=f"m{i}", now=NOW)
             for i in range(3)]
    _token, claimed = claim_due(now=NOW)  # ... and the process is killed here
    assert len(claimed) == 3
    assert dispatch_notifications(now=NOW + timedelta(seconds=5))["sent"] == 0  # its claim is too fresh
    later = NOW + timedelta(seconds=settings.NOTIFICATION_RECLAIM_UNTRIED_AFTER + 1)
    assert dispatch_notifications(now=later)["sent"] == 3
    assert {n.status for n in Notification.objects.filter(pk__in=[n.pk for n in notes])} == {"sent"}
    assert sorted(m.subject for m in mail.outbox) == ["m0", "m1", "m2"]


def test_dispatch_claims_small_batches_one_after_the_other(recipient, settings):
    from portal import notifications

    settings.NOTIFICATION_BATCH = 4
    for i in range(10):
        queue_notification(recipient=recipient, channel=Notification.Channel.EMAIL, subject=f"b{i}", now=NOW)
    sizes = []
    real = notifications.claim_due

    def recording(**kwargs):
        token, claimed = real(**kwargs)
        sizes.append(len(claimed))
        return token, claimed

    notifications.claim_due = recording
    try:
        assert dispatch_notifications(now=NOW)["sent"] == 10
    finally:
        notifications.claim_due = real
    assert sizes == [4, 4, 2, 0]


def test_a_row_reclaimed_by_another_dispatcher_is_not_sent_twice(recipient, settings):
    """The send starts only under the claim that holds the row: a slow dispatcher whose untried rows
    were taken over does not send them too."""
    from portal.notifications import claim_due, dispatch_batch

    queue_notification(recipient=recipient, channel=Notification.Channel.EMAIL, subject="once", now=NOW)
    _slow_token, _slow_rows = claim_due(now=NOW)
    later = NOW + timedelta(seconds=settings.NOTIFICATION_RECLAIM_UNTRIED_AFTER + 1)
    assert dispatch_batch(now=later)["sent"] == 1
    # The slow dispatcher gets to its row now: its claim no longer holds it.
    from portal.notifications import _start_send

    assert _start_send(_slow_rows[0], _slow_token, later) is False
    assert [m.subject for m in mail.outbox] == ["once"]
