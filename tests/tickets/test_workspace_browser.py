"""The agent's workspace in a real browser (headless Chromium): the composer with a macro and
Ctrl+Enter, a hand-off that keeps the ticket readable, a linked ticket opened by its creator, the
SLA order of the queue, a failed send that keeps the typed text, and the queue at 390 px."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser import log_in, page  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def demo():
    from portal.demo import load_portal_demo
    from tickets.demo import load_demo

    load_portal_demo()
    load_demo(now=timezone.now())


def open_ticket_of(username):
    """An open, unresolved ticket in the user's team queue."""
    from django.contrib.auth import get_user_model

    from tickets.models import Ticket

    user = get_user_model().objects.get(username=username)
    team_ids = user.memberships.values_list("team_id", flat=True)
    return Ticket.objects.filter(queue__team_id__in=team_ids, status__in=["new", "open"], merged_into=None).order_by("id").first()


def test_macro_is_inserted_edited_and_sent_with_ctrl_enter_as_send_and_resolve(page):  # noqa: F811
    from tickets.models import Macro, Ticket, TimelineEntry

    demo()
    ticket = open_ticket_of("agent")
    Ticket.objects.filter(pk=ticket.pk).update(buyer_nick="小红", order_no="T-777")
    macro = Macro.objects.create(name="催件", body="亲 {buyer_nick}，订单 {order_no} 已催促快递，{agent} 为您跟进。")
    log_in(page, "agent")
    page.goto(f"/tickets/{ticket.pk}/")
    composer = page.locator("[data-testid=composer]")
    box = composer.locator("textarea[name=compose-body]")
    assert box.input_value() == ""
    composer.locator("select[name=compose-macro]").select_option(str(macro.pk))
    # Inserted into the box with the placeholders filled, where the agent edits it.
    filled = "亲 小红，订单 T-777 已催促快递，张晓 Zhang Xiao 为您跟进。"
    assert box.input_value() == filled
    box.press("End")
    box.type(" 明天送达。")
    assert "/ 10000" in composer.locator("[data-testid=counter]").inner_text()
    composer.locator("select[name=compose-status]").select_option("resolved")
    box.press("Control+Enter")
    page.wait_for_url(re.compile(rf".*/tickets/{ticket.pk}/#thread$"))
    reply = TimelineEntry.objects.filter(ticket=ticket, kind="reply").latest("id")
    assert reply.body == filled + " 明天送达。" and reply.data["macro"] == macro.pk
    assert reply.handling_seconds is not None  # measured, not typed
    assert Ticket.objects.get(pk=ticket.pk).status == "resolved"
    assert "明天送达" in page.locator("[data-testid=thread]").inner_text()
    assert page.locator("[data-testid=delivery]").last.is_visible()  # queued for the buyer


def test_transfer_then_reopen_lands_on_the_ticket_saying_where_it_went(page):  # noqa: F811
    from tickets.models import Queue

    demo()
    ticket = open_ticket_of("agent")
    target = Queue.objects.exclude(team=ticket.queue.team).exclude(team__name="晾衣架客服组").order_by("id").first()
    log_in(page, "agent")
    page.goto(f"/tickets/{ticket.pk}/")
    page.locator("details#transfer summary").click()
    page.locator("select[name=transfer-queue]").select_option(str(target.pk))
    page.locator("[data-testid=form-transfer] button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*/tickets/{ticket.pk}/.*"))
    moved = page.locator("[data-testid=moved]")
    assert target.name in moved.inner_text() and target.team.name in moved.inner_text()
    response = page.goto(f"/tickets/{ticket.pk}/")  # reopening it later, e.g. from the inbox
    assert response.status == 200
    assert "张晓" in page.locator("[data-testid=holders]").inner_text()  # who worked it, and who has it now


def test_linked_ticket_opened_from_an_alert_by_its_creator(page):  # noqa: F811
    from django.contrib.auth import get_user_model

    from logistics.demo import load_demo as load_logistics_demo
    from logistics.models import Alert
    from logistics.services import open_linked_ticket

    demo()
    load_logistics_demo(now=timezone.now())
    coordinator = get_user_model().objects.get(username="logistics")
    alert = Alert.objects.filter(ticket_id__isnull=True, status="open").order_by("id").first()
    ticket = open_linked_ticket(alert, actor=coordinator, now=timezone.now())
    log_in(page, "logistics")
    page.goto(f"/logistics/alerts/{alert.pk}/")
    with page.expect_navigation():
        page.locator("[data-testid=alert-ticket] a").click()
    assert page.url.endswith(f"/tickets/{ticket.pk}/")
    assert f"#{ticket.pk}" in page.locator("h1").inner_text()
    assert page.locator("[data-testid=moved]").is_visible()  # read-only: not in their team's queues


def test_queue_puts_a_breached_major_complaint_on_top(page):  # noqa: F811
    from tickets.models import Ticket

    demo()
    now = timezone.now()
    ticket = Ticket.objects.filter(queue__team__name="晾衣架客服组", status__in=["new", "open"]).order_by("-id").first()
    Ticket.objects.filter(pk=ticket.pk).update(is_major=True, clock_paused_at=None, first_response_at=None,
                                               first_response_due=now - timedelta(days=30))
    log_in(page, "agent")
    page.goto("/tickets/")
    first = page.locator("[data-testid=ticket-table] tbody tr[data-ticket]").first
    assert int(first.get_attribute("data-ticket")) == ticket.pk
    assert "breached" in first.get_attribute("class") and "major" in first.get_attribute("class")
    # The tabs' counts arrive without a reload.
    page.locator("[data-count=team]").wait_for(state="visible")
    assert int(page.locator("[data-count=team]").inner_text()) >= 1
    # j moves to the first row, Enter opens it.
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/tickets/{ticket.pk}/$"))


def test_a_failed_send_keeps_everything_typed(page):  # noqa: F811
    from tickets.models import TimelineEntry

    demo()
    ticket = open_ticket_of("agent")
    log_in(page, "agent")
    page.goto(f"/tickets/{ticket.pk}/")
    note = page.locator("textarea[name=status-note]")
    note.fill("等配件到货后再联系买家")
    composer = page.locator("[data-testid=composer]")
    composer.locator("[data-testid=send]").click()  # an empty reply
    page.wait_for_load_state()
    assert "Write the reply." in composer.inner_text() or "请填写回复" in composer.inner_text() or \
        composer.locator(".errorlist").count()
    assert page.locator("textarea[name=status-note]").input_value() == "等配件到货后再联系买家"
    # The composer's own text survives its failure too (here: a handling time it refuses).
    page.locator("label.mode-note").click()
    box = composer.locator("textarea[name=compose-body]")
    box.fill("内部备注：已联系仓库")
    composer.locator("select[name=compose-status]").select_option("resolved")
    composer.locator("input[name=compose-handling_minutes]").fill("-3")
    composer.locator("[data-testid=send]").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=composer] .errorlist").count() >= 1
    assert page.locator("textarea[name=compose-body]").input_value() == "内部备注：已联系仓库"
    assert page.locator("input[name=compose-mode][value=note]").is_checked()
    assert not TimelineEntry.objects.filter(ticket=ticket, kind="note", body="内部备注：已联系仓库").exists()


def test_queue_at_390_px_has_no_horizontal_scroll(page):  # noqa: F811
    demo()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "lead")
    page.goto("/tickets/")
    page.locator("[data-testid=ticket-table] tbody tr[data-ticket]").first.wait_for()
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, (width, viewport)
    # Badges and statuses never wrap a character per line.
    heights = page.evaluate("Array.from(document.querySelectorAll('.status, .badge')).map(e => e.getBoundingClientRect().height)")
    assert heights and max(heights) < 40
    ticket_link = page.locator("[data-testid=ticket-table] tbody tr[data-ticket] a").first
    ticket_link.click()
    page.wait_for_load_state()
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, ("ticket page", width, viewport)
