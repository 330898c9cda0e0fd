"""A real browser: an agent opens a ticket from the team queue, replies with a macro, sees it on the timeline."""

import re

import pytest
from django.utils import timezone

from tests.browser import log_in, page  # noqa: F401  (fixture)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_agent_opens_a_ticket_from_the_queue_and_replies(page):  # noqa: F811
    from portal.demo import load_portal_demo
    from tickets.demo import load_demo
    from tickets.models import Ticket, TimelineEntry

    load_portal_demo()
    load_demo(now=timezone.now())
    log_in(page, "agent")
    page.goto("/tickets/")
    row = page.locator("[data-testid=ticket-table] tbody tr[data-ticket]").first
    ticket_id = int(row.get_attribute("data-ticket"))
    row.locator("a").first.click()
    page.wait_for_url(f"**/tickets/{ticket_id}/")
    ticket = Ticket.objects.select_related("store").get(pk=ticket_id)
    assert ticket.queue.team.memberships.filter(user__username="agent").exists()

    form = page.locator("[data-testid=composer]")
    box = form.locator("textarea[name=compose-body]")
    # Picking a macro inserts its text into the box with the ticket's buyer filled in (server-side expansion).
    form.locator("select[name=compose-macro]").select_option(index=1)
    macro_text = box.input_value().strip()
    assert macro_text and "{" not in macro_text
    box.press("End")
    box.type("您好，已为您加急处理。")
    form.locator("input[name=compose-handling_minutes]").fill("4")
    form.locator("[data-testid=send]").click()
    page.wait_for_url(re.compile(rf".*/tickets/{ticket_id}/#thread$"))

    timeline = page.locator("[data-testid=timeline]")
    reply = timeline.locator("li.kind-reply").last
    assert "您好，已为您加急处理。" in reply.inner_text()
    assert "张晓" in reply.inner_text()  # the actor
    entry = TimelineEntry.objects.filter(ticket_id=ticket_id, kind="reply").latest("id")
    assert entry.actor.username == "agent" and entry.handling_seconds == 240
    assert entry.body == macro_text + "您好，已为您加急处理。" and macro_text in reply.inner_text()
