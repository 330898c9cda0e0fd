"""Escalation pages: the list (open by level, age, acknowledgement, filters), acknowledging from it,
the ticket page's escalation panel, the inbox link, the executive's read-only list, admin."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Notification
from portal.roles import Role
from tests.factories import make_user
from tests.tickets.escalation_helpers import Ladder, inbox, sh
from tickets.escalation.sweep import escalate_due_tickets
from tickets.models import Escalation, EscalationLadder, EscalationPolicy

LIST = "/tickets/escalations/"


@pytest.fixture
def ladder(db):
    return Ladder()


@pytest.fixture
def escalated(ladder):
    ticket = ladder.ticket(is_major=True, subject="晾衣架安装后掉落")
    escalate_due_tickets(now=sh(2026, 3, 3, 10, 0))
    escalate_due_tickets(now=sh(2026, 3, 4, 11, 0))
    return ticket


def page(client, url=LIST, **params):
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def rows(html):
    return re.findall(r'data-escalation="(\d+)"', html)


def test_worklist_has_one_row_per_ticket_at_its_highest_level(client, ladder, escalated):
    client.force_login(ladder.lead)
    html = page(client)
    top = Escalation.objects.get(ticket=escalated, level__position=5)
    assert rows(html) == [str(top.pk)]  # five levels fired: one row, the highest
    assert 'data-testid="level-group-5"' in html and "晾衣架安装后掉落" in html
    # Overdue since the breach (the resolution due time), not since the level fired.
    overdue = html.split(f'data-escalation="{top.pk}"')[1].split("</tr>")[0]
    assert "overdue" in overdue
    assert "lead_a · E-mail" not in overdue and "chairman_x · SMS" in overdue
    assert html.count('data-testid="acknowledge-') == 1  # the lead is above the team
    assert len(rows(page(client, level=2))) == 1  # a filter narrows first, then the highest per ticket
    # Acknowledge from the list with a comment; the page shows who took ownership and the comment.
    breach = Escalation.objects.get(ticket=escalated, level__position=2)
    response = client.post(f"/tickets/escalations/{breach.pk}/acknowledge/",
                           {"next": LIST + "?level=2", "comment": "Calling the customer now"})
    assert response.status_code == 302 and response.url == LIST + "?level=2"
    html = page(client, level=2)
    assert "lead_a at 2026-" in html and 'data-testid="acknowledge-' not in html
    assert "Calling the customer now" in html
    assert len(rows(page(client, state="unacknowledged"))) == 1
    assert rows(page(client, state="acknowledged")) == [str(breach.pk)]


def test_worklist_groups_tickets_by_level_and_puts_the_longest_overdue_first(client, ladder):
    first = ladder.ticket(subject="older breach")
    escalate_due_tickets(now=sh(2026, 3, 3, 10, 0))
    second = ladder.ticket(subject="newer breach")
    escalate_due_tickets(now=sh(2026, 3, 4, 11, 0))
    client.force_login(ladder.director)
    html = page(client)
    order = [int(t) for t in re.findall(r'data-ticket="(\d+)"', html)]
    levels = {t.pk: Escalation.objects.filter(ticket=t).order_by("-level__position").first().level.position
              for t in (first, second)}
    assert sorted(order, key=lambda t: -levels[t]) == order  # higher level groups first
    assert html.count('class="group-row"') == len(set(levels.values()))


def test_comment_from_the_list(client, ladder, escalated):
    top = Escalation.objects.get(ticket=escalated, level__position=5)
    client.force_login(ladder.chairman)
    assert client.post(f"/tickets/escalations/{top.pk}/comment/", {"comment": ""}).status_code == 302
    from tickets.models import TimelineEntry

    assert not TimelineEntry.objects.filter(data__has_key="escalation_comment").exists()
    client.post(f"/tickets/escalations/{top.pk}/comment/", {"comment": "请今天内回复客户"})
    entry = TimelineEntry.objects.get(data__has_key="escalation_comment")
    assert (entry.ticket_id, entry.actor, entry.visibility) == (escalated.pk, ladder.chairman, "internal")
    assert "请今天内回复客户" in page(client)
    breach = Escalation.objects.get(ticket=escalated, level__position=2)  # did not reach the chairman
    assert client.post(f"/tickets/escalations/{breach.pk}/comment/", {"comment": "x"}).status_code == 404


def test_the_sms_link_opens_the_worklist_after_signing_in_only(client, ladder, escalated):
    [sms] = inbox(ladder.chairman, Notification.Channel.SMS)
    assert sms.link.startswith(LIST + "?sweep=")
    response = client.get(sms.link)
    assert response.status_code == 302 and response.url.startswith("/login/?next=")  # never signs anyone in
    client.force_login(ladder.chairman)
    html = page(client, sms.link)
    top = Escalation.objects.get(ticket=escalated, level__position=5)
    assert rows(html) == [str(top.pk)] and f'data-testid="acknowledge-{top.pk}"' in html


def test_resolved_tickets_leave_the_open_list(client, ladder, escalated):
    from tickets import services

    services.resolve(escalated, actor=ladder.agent, now=sh(2026, 3, 4, 12, 0))
    client.force_login(ladder.lead)
    assert rows(page(client)) == []
    assert len(rows(page(client, state="all"))) == 1


def test_agent_acknowledges_only_what_reached_them(client, ladder, escalated):
    client.force_login(ladder.agent)
    html = page(client)
    warning = Escalation.objects.get(ticket=escalated, level__position=1)
    assert len(rows(html)) == 1  # the ticket is theirs to see, at its highest level
    assert re.findall(r'data-testid="acknowledge-(\d+)"', html) == []  # that level did not reach them
    breach = Escalation.objects.get(ticket=escalated, level__position=2)
    assert client.post(f"/tickets/escalations/{breach.pk}/acknowledge/").status_code == 404
    assert client.get(LIST, {"reached_me": "true"}).status_code == 200
    assert rows(page(client, reached_me="true")) == [str(warning.pk)]


def test_executive_list_is_limited_to_what_reached_them_and_they_acknowledge_it(client, ladder, escalated):
    client.force_login(ladder.chairman)
    html = page(client)
    chairman_level = Escalation.objects.get(ticket=escalated, level__position=5)
    assert rows(html) == [str(chairman_level.pk)]
    assert f'data-testid="acknowledge-{chairman_level.pk}"' in html
    assert "chairman_x · SMS / phone push" in html
    response = client.post(f"/tickets/escalations/{chairman_level.pk}/acknowledge/", {"comment": "收到"})
    assert response.status_code == 302 and response.url == f"{LIST}?ticket={escalated.pk}"
    chairman_level.refresh_from_db()
    assert chairman_level.acknowledged_by == ladder.chairman


def test_ticket_page_shows_each_escalation_with_channels_and_delivery_status(client, ladder, escalated):
    client.force_login(ladder.manager)
    html = page(client, f"/tickets/{escalated.pk}/")
    panel = html.split('data-testid="escalations"')[1].split("</section>")[0]
    assert panel.count('class="kind-escalation"') == 5
    assert 'data-channel="sms"' in panel and "chairman_x" in panel
    assert "manager_x · E-mail" in panel
    assert panel.count("acknowledge-") == 5
    breach = Escalation.objects.get(ticket=escalated, level__position=2)
    client.post(f"/tickets/escalations/{breach.pk}/acknowledge/", {"next": f"/tickets/{escalated.pk}/"})
    html = page(client, f"/tickets/{escalated.pk}/")
    assert "Acknowledged by manager_x" in html and "ladder halted until" in html
    # The timeline has an entry per sweep that escalated the ticket, and the acknowledgement.
    timeline = html.split('data-testid="timeline"')[1]
    assert timeline.count("kind-escalation") == 3
    assert "Level 5 Chairman" in timeline


def test_inbox_links_to_the_ticket(client, ladder, escalated):
    [message] = inbox(ladder.manager)
    assert message.link.startswith(f"{LIST}?sweep=")
    client.force_login(ladder.manager)
    html = page(client, "/inbox/")
    assert f'href="/tickets/{escalated.pk}/"' in html  # the message's line for the ticket


def test_navigation_and_list_query_count(client, ladder, escalated):
    client.force_login(ladder.director)
    with CaptureQueriesContext(connection) as few:
        html = page(client)
    assert 'href="/tickets/escalations/"' in html
    for _ in range(5):
        ladder.ticket(is_major=True, assignee=ladder.agent2)
    escalate_due_tickets(now=sh(2026, 3, 4, 11, 5))
    with CaptureQueriesContext(connection) as many:
        assert len(rows(page(client))) == 6  # one row per ticket
    assert len(many.captured_queries) == len(few.captured_queries)


def test_admin_edits_a_policy_inline_and_saving_publishes(client, ladder):
    admin = make_user("admin_y", role=Role.ADMIN, team=ladder.department, is_staff=True)
    client.force_login(admin)
    policy = ladder.policy
    url = f"/admin/tickets/escalationpolicy/{policy.pk}/change/"
    form = client.get(url)
    assert form.status_code == 200
    levels = list(policy.levels.order_by("position"))
    data = {
        "name": policy.name, "is_active": "on", "description": "",
        "levels-TOTAL_FORMS": str(len(levels)), "levels-INITIAL_FORMS": str(len(levels)),
        "levels-MIN_NUM_FORMS": "0", "levels-MAX_NUM_FORMS": "1000",
    }
    for i, lv in enumerate(levels):
        prefix = f"levels-{i}-"
        data.update({
            f"{prefix}id": lv.pk, f"{prefix}policy": policy.pk, f"{prefix}position": lv.position,
            f"{prefix}name": lv.name, f"{prefix}clock": lv.clock,
            f"{prefix}offset_minutes": lv.offset_minutes if i else -60, f"{prefix}target_percent": "",
            f"{prefix}min_priority": "", f"{prefix}raise_priority_to": "", f"{prefix}ack_window_minutes": 120,
        })
        data.setdefault(f"{prefix}channels", lv.channels)
        data[f"{prefix}recipient_roles"] = lv.recipient_roles
        if lv.major_only:
            data[f"{prefix}major_only"] = "on"
        if lv.business_hours_only:
            data[f"{prefix}business_hours_only"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    versions = EscalationLadder.objects.filter(policy=policy).order_by("version")
    assert [v.version for v in versions] == [1, 2]
    assert versions.last().levels.get(position=1).offset_minutes == -60
    # Published versions are read-only in admin.
    assert client.get(f"/admin/tickets/escalationladder/{versions.first().pk}/change/").status_code == 200
    assert client.post(f"/admin/tickets/escalationladder/{versions.first().pk}/delete/").status_code == 403
    # So is the escalation history the sweeps write.
    for model in ("escalationladder", "escalation", "escalationsweep"):
        assert client.get(f"/admin/tickets/{model}/add/").status_code == 403
        assert client.get(f"/admin/tickets/{model}/").status_code == 200
    assert EscalationPolicy.objects.get(pk=policy.pk).levels.get(position=1).offset_minutes == -60


def test_sms_to_the_chairman_is_pending_for_the_dispatcher(ladder, escalated):
    [sms] = inbox(ladder.chairman, Notification.Channel.SMS)
    assert sms.status == Notification.Status.PENDING


def test_inbox_digest_links_each_ticket(client, ladder):
    tickets = [ladder.ticket() for _ in range(3)]
    result = escalate_due_tickets(now=sh(2026, 3, 4, 9, 0))
    client.force_login(ladder.lead)
    html = page(client, "/inbox/")
    # The subject: the sweep's list, through the inbox (which marks the message read).
    from portal.models import Notification

    note = Notification.objects.get(recipient=ladder.lead, channel=Notification.Channel.IN_APP)
    assert f'href="/inbox/{note.pk}/"' in html
    assert client.get(f"/inbox/{note.pk}/")["Location"] == f"/tickets/escalations/?sweep={result.sweep_id}"
    for ticket in tickets:
        assert f'<a href="/tickets/{ticket.pk}/">' in html  # each listed ticket in the message
