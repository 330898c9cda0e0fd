"""In a real browser: the header's unread count follows new messages without a reload, and one
notification row reads in English for an English reader and in Chinese for a Chinese one."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser import log_in, page  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _reader(username, language):
    from portal.models import Profile
    from portal.roles import Role
    from tests.factories import make_team, make_user

    user = make_user(username, role=Role.AGENT, team=make_team())
    Profile.objects.create(user=user, language=language)
    return user


def _assigned(user):
    from portal.models import Notification
    from portal.notifications import queue_notification

    return queue_notification(recipient=user, channel=Notification.Channel.IN_APP, message_key="tickets.assigned",
                              params={"id": 5, "subject": "遥控器无法配对"}, link="/inbox/", now=NOW)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_unread_count_changes_without_a_reload(page, settings):  # noqa: F811
    settings.INBOX_POLL_SECONDS = 1
    user = _reader("poller", "zh-hans")
    log_in(page, "poller", "pw-test-123")
    page.wait_for_url("**/")
    badge = page.locator("[data-testid=unread-count]")
    assert badge.is_hidden()
    page.evaluate("window.__marker = 'same page'")
    _assigned(user)
    _assigned(user)
    # expect() polls from outside the page: the portal's CSP forbids the eval that wait_for_function needs.
    expect(page.locator("[data-testid=unread-count]")).to_have_text("2", timeout=60_000)
    assert badge.is_visible()
    assert page.evaluate("window.__marker") == "same page"  # no reload happened

    # Opening the message from the inbox marks it read; the count follows.
    page.goto("/inbox/")
    page.locator("[data-testid=notification-link]").first.click()
    page.wait_for_load_state()
    expect(page.locator("[data-testid=unread-count]")).to_have_text("1", timeout=60_000)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_one_row_in_each_readers_language(page):  # noqa: F811
    from portal.models import Notification

    english = _reader("reader_en", "en")
    note = _assigned(english)
    # The same row, shown to a Chinese reader (the row is copied to them unchanged).
    chinese = _reader("reader_zh", "zh-hans")
    Notification.objects.filter(pk=note.pk).update(recipient=chinese)

    log_in(page, "reader_zh", "pw-test-123")
    page.goto("/inbox/")
    chinese_text = page.locator("[data-testid=notification-link]").inner_text()
    assert chinese_text == "工单 #5 已分配给您"

    Notification.objects.filter(pk=note.pk).update(recipient=english)
    page.context.clear_cookies()
    log_in(page, "reader_en", "pw-test-123")
    page.goto("/settings/")
    page.select_option("#id_language", "en")
    page.locator("form button[type=submit].primary").click()
    page.goto("/inbox/")
    assert page.locator("[data-testid=notification-link]").inner_text() == "Ticket #5 was assigned to you"
