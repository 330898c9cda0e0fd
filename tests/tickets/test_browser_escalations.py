"""In a real browser: the team lead's escalation worklist. Two tickets breached their resolution
time and reached the lead; from the header's "升级" link the lead acknowledges one on its row and
comments on it, and the row shows who took it, until when the ladder halts and the comment, while
the other still waits. The worklist fits a 390 px screen."""

import re

import pytest

from tests.browser import log_in, page  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = "[data-testid=escalation-table] tbody tr[data-escalation]"
HOME = re.compile(r"^https?://[^/]+/$")  # where signing in lands


def _breached():
    """The standard ladder over a team with lead_a; two tickets of Monday 10:00 due Tuesday 10:30:
    the sweep warns at 10:00 and reaches the lead at the breach (11:00), not yet the manager."""
    from tests.tickets.escalation_helpers import Ladder, sh
    from tickets.escalation.sweep import escalate_due_tickets
    from tickets.models import Escalation

    ladder = Ladder()
    fallen = ladder.ticket(subject="晾衣架安装后掉落")
    remote = ladder.ticket(subject="遥控器无法配对", order_no="T1002")
    escalate_due_tickets(now=sh(2026, 3, 3, 10, 0))
    escalate_due_tickets(now=sh(2026, 3, 3, 11, 0))
    top = {ticket.pk: Escalation.objects.get(ticket=ticket, level__position=2) for ticket in (fallen, remote)}
    assert Escalation.objects.filter(level__position__gt=2).count() == 0
    return ladder, top[fallen.pk], top[remote.pk]


def _local(moment):
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _cell(row, column):
    """The row's cell under the header `column` (the worklist's columns, in order)."""
    columns = ["ticket", "level", "overdue", "fired_at", "team", "notified", "acknowledged", "actions"]
    return row.locator("td").nth(columns.index(column))


def test_lead_acknowledges_an_escalation_and_comments_on_it_from_the_worklist(page):  # noqa: F811
    from tickets.models import TimelineEntry

    ladder, fallen, remote = _breached()
    log_in(page, "lead_a", "pw-test-123")
    page.wait_for_url(HOME)
    with page.expect_navigation():
        page.locator("nav.mainnav").get_by_role("link", name="升级", exact=True).click()
    assert page.url.endswith("/tickets/escalations/")

    # One group (level 2, the breach), both tickets in it, neither acknowledged.
    assert page.locator("tr.group-row").all_inner_texts() == ["第 2 级 · 超时：组长"]
    assert [int(row.get_attribute("data-escalation")) for row in page.locator(ROWS).all()] == [fallen.pk, remote.pk]
    row = page.locator(f"tr[data-escalation='{fallen.pk}']")
    other = page.locator(f"tr[data-escalation='{remote.pk}']")
    assert _cell(row, "ticket").inner_text() == f"#{fallen.ticket_id} 晾衣架安装后掉落"
    assert _cell(row, "acknowledged").inner_text() == "未确认接手"

    # Acknowledge: back on the worklist, the row says who took it and that the ladder halts.
    with page.expect_navigation():
        row.locator(f"[data-testid=acknowledge-{fallen.pk}]").click()
    assert page.url.endswith("/tickets/escalations/")
    assert page.locator("ul.messages li").all_inner_texts() == ["升级已确认接手：后续级别将在确认接手窗口结束后再触发。"]
    fallen.refresh_from_db()
    assert fallen.acknowledged_by == ladder.lead
    assert fallen.hold_until == fallen.acknowledged_at + fallen.level.ack_window
    acknowledged = f"lead_a 于 {_local(fallen.acknowledged_at)} · 升级链已暂停至 {_local(fallen.hold_until)}"
    assert _cell(row, "acknowledged").inner_text() == acknowledged
    assert row.locator(f"[data-testid=acknowledge-{fallen.pk}]").count() == 0
    assert TimelineEntry.objects.filter(ticket_id=fallen.ticket_id, data__acknowledged=fallen.pk,
                                        actor=ladder.lead).count() == 1

    # Comment on it: the comment is listed under the acknowledgement.
    assert row.locator(f"[data-testid=comment-{fallen.pk}]").inner_text() == "批注"
    row.locator(f"#comment-{fallen.pk}").fill("已致电客户，明天上门更换挂钩")
    with page.expect_navigation():
        row.locator(f"[data-testid=comment-{fallen.pk}]").click()
    assert page.url.endswith("/tickets/escalations/")
    assert page.locator("ul.messages li").all_inner_texts() == ["批注已添加。"]
    entry = TimelineEntry.objects.get(data__escalation_comment=fallen.pk)
    assert (entry.ticket_id, entry.actor, entry.visibility, entry.body) == (
        fallen.ticket_id, ladder.lead, TimelineEntry.Visibility.INTERNAL, "已致电客户，明天上门更换挂钩")
    assert row.locator(".escalation-comments li").all_inner_texts() == [
        f"lead_a {_local(entry.at)}: 已致电客户，明天上门更换挂钩"]
    assert _cell(row, "acknowledged").inner_text() == acknowledged + "\nlead_a " + _local(entry.at) + \
        ": 已致电客户，明天上门更换挂钩"

    # The other ticket still waits for someone to take it.
    assert _cell(other, "acknowledged").inner_text() == "未确认接手"
    assert other.locator(f"[data-testid=acknowledge-{remote.pk}]").is_visible()
    remote.refresh_from_db()
    assert (remote.acknowledged_at, remote.acknowledged_by, remote.hold_until) == (None, None, None)
    assert not TimelineEntry.objects.filter(data__escalation_comment=remote.pk).exists()


def test_worklist_at_390_px_has_no_horizontal_scroll(page):  # noqa: F811
    _ladder, fallen, remote = _breached()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "lead_a", "pw-test-123")
    page.wait_for_url(HOME)
    page.locator(".menu-toggle").click()  # the header folds into a menu on a phone
    with page.expect_navigation():
        page.locator("nav.mainnav").get_by_role("link", name="升级", exact=True).click()
    assert [int(row.get_attribute("data-escalation")) for row in page.locator(ROWS).all()] == [fallen.pk, remote.pk]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The filters and the table stay within the screen (the table scrolls inside its own box).
    for box in ("form.filters", ".table-container"):
        assert page.locator(box).evaluate("e => e.getBoundingClientRect().right") <= 390, box
