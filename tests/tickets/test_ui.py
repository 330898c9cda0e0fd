"""Tickets staff UI: queue pages per role, bulk actions, CSV export, the ticket page and its forms."""

import csv
import io
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.models import Team
from portal.roles import Role
from tests.factories import make_team, make_user
from tickets import services
from tickets.models import Macro, Ticket, TimelineEntry

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NOW = timezone.now()


@pytest.fixture
def w(world):
    from tickets.navigation import register

    register()  # idempotent; TicketsConfig.ready() calls it too
    world.manager = make_user("mgr", role=Role.MANAGER, team=make_team("Service dept", kind=Team.Kind.MANAGEMENT))
    return world


def ticket(w, **fields):
    fields.setdefault("now", NOW - timedelta(minutes=5))
    return w.ticket(**fields)


def other_ticket(w, **fields):
    return ticket(w, store=w.other_store, queue=w.other_queue, actor=w.other_agent, **fields)


def page(client, user, url):
    """GET a page as `user` (None: whoever is logged in; a fresh login starts a new session)."""
    if user is not None:
        client.force_login(user)
    response = client.get(url, **EN)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def rows(html):
    """Ticket ids of the table rows on a queue page."""
    import re

    return {int(pk) for pk in re.findall(r'data-ticket="(\d+)"', html)}


def headers(html):
    """Column headings of the ticket table."""
    import re

    table = html[html.index('data-testid="ticket-table"'):]
    return [re.sub(r"<[^>]+>", "", th).strip() for th in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)]


def macro_texts(html):
    """The filled-in macro texts the ticket page hands its composer (json_script "macro-texts")."""
    import json
    import re

    return json.loads(re.search(r'<script id="macro-texts" type="application/json">(.*?)</script>', html, re.S)[1])


def set_due(t, *, first=None, resolution=None):
    Ticket.objects.filter(pk=t.pk).update(first_response_due=first, resolution_due=resolution)


# --- Queue pages ------------------------------------------------------------------------------


def test_agent_sees_own_team_queue_and_not_another_teams_ticket(w, client):
    mine = ticket(w, subject="Rack wobbles")
    theirs = other_ticket(w, subject="Battery dead")
    html = page(client, w.agent, "/tickets/")
    assert rows(html) == {mine.pk}
    assert "Rack wobbles" in html and "Battery dead" not in html
    assert client.get(f"/tickets/{theirs.pk}/", **EN).status_code == 404
    assert client.post(f"/tickets/{theirs.pk}/reply/", {"reply-body": "hi"}).status_code == 404
    assert rows(page(client, w.other_agent, "/tickets/")) == {theirs.pk}


def test_my_tickets_shows_the_open_tickets_assigned_to_me(w, client):
    a, b, done = ticket(w), ticket(w), ticket(w)
    services.assign(a, actor=w.lead, assignee=w.agent, now=NOW)
    services.assign(b, actor=w.lead, assignee=w.agent2, now=NOW)
    services.assign(done, actor=w.lead, assignee=w.agent, now=NOW)
    services.resolve(done, actor=w.agent, now=NOW)
    assert rows(page(client, w.agent, "/tickets/mine/")) == {a.pk}


def test_at_risk_and_breached_pages(w, client):
    soon, late, later, paused = ticket(w), ticket(w), ticket(w), ticket(w)
    set_due(soon, first=NOW + timedelta(hours=1), resolution=NOW + timedelta(hours=6))
    set_due(late, first=NOW - timedelta(minutes=10), resolution=NOW + timedelta(hours=6))
    set_due(later, first=NOW + timedelta(hours=5), resolution=NOW + timedelta(hours=9))
    set_due(paused, first=NOW - timedelta(hours=1), resolution=NOW + timedelta(hours=1))
    Ticket.objects.filter(pk=paused.pk).update(clock_paused_at=NOW, sla_clock_started_at=None)
    assert rows(page(client, w.agent, "/tickets/at-risk/")) == {soon.pk}
    html = page(client, w.agent, "/tickets/breached/")
    assert rows(html) == {late.pk}
    assert 'class="bad"' in html  # the past due time is shown in red


def test_all_tickets_page_is_for_managers_and_stays_in_scope(w, client):
    a = ticket(w)
    b = other_ticket(w)
    refund = ticket(w, queue=w.refund_queue)
    services.resolve(a, actor=w.agent, now=NOW)
    client.force_login(w.agent)
    assert client.get("/tickets/all/", **EN).status_code == 403
    assert "All tickets" not in page(client, w.agent, "/tickets/")
    html = page(client, w.manager, "/tickets/all/")
    assert rows(html) == {a.pk, b.pk}  # resolved ones too; not the refund desk (not customer service)
    assert refund.pk not in rows(html)


def test_filters_narrow_the_queue(w, client):
    a = ticket(w, subject="Remote control broken", buyer_nick="momo")
    ticket(w, subject="Where is my parcel", buyer_nick="lily")
    assert rows(page(client, w.agent, "/tickets/?q=momo")) == {a.pk}
    html = page(client, w.agent, "/tickets/?assignee=bogus")
    assert "A user id" in html  # the filter form explains its error


def test_unknown_queue_page_is_404_and_anonymous_goes_to_login(w, client):
    assert client.get("/tickets/").status_code == 302
    client.force_login(w.agent)
    assert client.get("/tickets/nope/").status_code == 404


# --- Column choice ----------------------------------------------------------------------------


def test_column_choice_is_remembered_and_phone_is_masked(w, client):
    mine = ticket(w, customer_phone="13912345678")
    services.assign(mine, actor=w.lead, assignee=w.agent, now=NOW)
    other = ticket(w, customer_phone="13987654321")
    client.force_login(w.agent)
    response = client.post("/tickets/columns/", {"columns": ["subject", "customer_phone"], "next": "/tickets/"})
    assert response.status_code == 302 and response.url == "/tickets/"
    html = page(client, None, "/tickets/")
    assert headers(html) == ["", "#", "Subject", "Phone", ""]  # the last: "take it"
    # Masked for everyone; the assignee gets a "show" button on their own ticket only.
    assert "13912345678" not in html and "139****5678" in html
    assert "13987654321" not in html and "139****4321" in html
    assert f'data-pii-id="{mine.pk}" data-pii-field="customer_phone"' in html
    assert f'data-pii-id="{other.pk}"' not in html
    assert other.pk in rows(html)
    client.post("/tickets/columns/", {"reset": "1", "next": "/tickets/"})
    html = page(client, None, "/tickets/")
    assert "Queue" in headers(html) and "Phone" not in headers(html)


def test_column_choice_ignores_unknown_columns(w, client):
    client.force_login(w.agent)
    client.post("/tickets/columns/", {"columns": ["nope"]})
    assert "Queue" in headers(page(client, None, "/tickets/"))


# --- Bulk actions -----------------------------------------------------------------------------


def test_bulk_assign_by_a_lead_reports_rows_out_of_scope(w, client):
    a, b = ticket(w), ticket(w)
    theirs = other_ticket(w)
    client.force_login(w.lead)
    response = client.post(
        "/tickets/bulk/", {"action": "assign", "assignee": w.agent2.pk, "select": [a.pk, b.pk, theirs.pk],
                           "next": "/tickets/"}, follow=True, **EN,
    )
    html = response.content.decode()
    assert "Assigned 2 ticket(s)." in html
    assert f"Ticket #{theirs.pk}: not in your scope" in html
    assert set(Ticket.objects.filter(assignee=w.agent2).values_list("pk", flat=True)) == {a.pk, b.pk}
    assert Ticket.objects.get(pk=theirs.pk).assignee is None


def test_bulk_assign_reports_what_the_domain_refuses(w, client):
    a = ticket(w)
    done = ticket(w)
    services.resolve(done, actor=w.agent, now=NOW)
    client.force_login(w.lead)
    response = client.post("/tickets/bulk/", {"action": "assign", "assignee": w.agent.pk, "select": [a.pk, done.pk]},
                           follow=True, **EN)
    html = response.content.decode()
    assert "Assigned 1 ticket(s)." in html and f"Ticket #{done.pk}: The ticket is Resolved." in html


def test_bulk_assign_by_an_agent_is_refused(w, client):
    a = ticket(w)
    client.force_login(w.agent)
    response = client.post("/tickets/bulk/", {"action": "assign", "assignee": w.agent.pk, "select": [a.pk]})
    assert response.status_code == 403
    assert Ticket.objects.get(pk=a.pk).assignee is None
    html = page(client, w.agent, "/tickets/")
    assert "Assign to" not in html and "Transfer to" in html  # agents may transfer, not assign


def test_bulk_transfer_by_an_agent(w, client):
    a, b = ticket(w), ticket(w)
    client.force_login(w.agent)
    response = client.post("/tickets/bulk/", {"action": "transfer", "queue": w.refund_queue.pk, "select": [a.pk, b.pk]},
                           follow=True, **EN)
    assert "Transferred 2 ticket(s)." in response.content.decode()
    assert set(Ticket.objects.filter(queue=w.refund_queue).values_list("pk", flat=True)) == {a.pk, b.pk}


def test_bulk_form_errors_are_reported(w, client):
    client.force_login(w.lead)
    response = client.post("/tickets/bulk/", {"action": "assign", "select": []}, follow=True, **EN)
    html = response.content.decode()
    assert "Select at least one ticket." in html and "Choose who gets the tickets." in html
    response = client.post("/tickets/bulk/", {"action": "assign", "assignee": w.agent.pk, "select": ["x1"]},
                           follow=True, **EN)
    assert "valid choice" in response.content.decode()


# --- CSV export -------------------------------------------------------------------------------


def export(client, user, query="view=all"):
    client.force_login(user)
    response = client.get(f"/tickets/export.csv?{query}", **EN)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_export_by_a_manager_has_the_rows_in_scope(w, client):
    a = ticket(w, customer_phone="13912345678", customer_address="浙江省杭州市西湖区文三路100号")
    b = other_ticket(w)
    ticket(w, queue=w.refund_queue)
    data = export(client, w.manager)
    assert {int(r["ticket"]) for r in data} == {a.pk, b.pk}
    row = next(r for r in data if int(r["ticket"]) == a.pk)
    # A file has no "show" control: PII is masked even for a manager (who reveals it on the page).
    assert (row["customer phone"], row["customer address"]) == ("139****5678", "浙江省杭州市****")
    assert row["status"] == "New" and row["store"] == "clouddry"


def test_export_masks_pii_unless_allowed_and_follows_filters(w, client):
    mine = ticket(w, customer_phone="13912345678", customer_address="浙江省杭州市西湖区文三路100号", buyer_nick="momo")
    services.assign(mine, actor=w.lead, assignee=w.agent, now=NOW)
    other = ticket(w, customer_phone="13987654321", customer_address="上海市浦东新区世纪大道1号", buyer_nick="lily")
    other_ticket(w)
    client.force_login(w.agent)
    assert client.get("/tickets/export.csv?view=team").status_code == 403  # agents do not export
    w.agent.user_permissions.add(Permission.objects.get(codename="export_ticket"))
    data = {int(r["ticket"]): r for r in export(client, w.agent, "view=team")}
    assert set(data) == {mine.pk, other.pk}
    assert data[mine.pk]["customer phone"] == "139****5678"  # assigned to the agent, masked all the same
    assert data[other.pk]["customer phone"] == "139****4321"
    assert data[other.pk]["customer address"].endswith("****") and "世纪大道" not in data[other.pk]["customer address"]
    assert set(r["ticket"] for r in export(client, w.agent, "view=team&q=lily")) == {str(other.pk)}


def test_export_link_carries_the_page_and_filters(w, client):
    html = page(client, w.manager, "/tickets/breached/?q=momo")
    assert "/tickets/export.csv?q=momo&amp;view=breached" in html
    assert 'data-testid="export"' not in page(client, w.agent, "/tickets/")


# --- The ticket page --------------------------------------------------------------------------


def test_ticket_page_shows_buyer_order_sla_conversation_and_timeline(w, client):
    t = ticket(w, subject="Rack wobbles", order_no="CD-77", customer_phone="13912345678",
               customer_address="浙江省杭州市西湖区文三路100号", description="It shakes when I lift it")
    services.add_note(t, actor=w.lead, body="Call the installer", now=NOW)
    html = page(client, w.agent, f"/tickets/{t.pk}/")
    assert "CD-77" in html and "139****5678" in html and "13912345678" not in html
    assert "It shakes when I lift it" in html and "Call the installer" in html
    assert not w.lead.get_full_name() and w.lead.username in html  # the note's author, by username
    assert 'data-testid="clock-first_response"' in html and 'data-testid="clock-resolution"' in html
    assert 'class="pii-show"' not in html and "Phone and address are masked" in html
    # The lead, and the agent once assigned, see it masked too, with a "show" button (portal.pii).
    html = page(client, w.lead, f"/tickets/{t.pk}/")
    assert "13912345678" not in html and "139****5678" in html and "浙江省杭州市****" in html
    assert html.count('class="pii-show"') == 2 and "Phone and address are masked" not in html
    services.assign(t, actor=w.lead, assignee=w.agent, now=NOW)
    html = page(client, w.agent, f"/tickets/{t.pk}/")
    assert "13912345678" not in html and html.count('class="pii-show"') == 2


def test_sla_box_shows_remaining_business_time_and_paused_state(w, client):
    t = ticket(w, now=NOW)
    # Five business minutes used: the clock has 55 of the 60 first-response minutes left (24x7).
    w.calendar.always_open = True
    w.calendar.save()
    # The page counts down from the real clock, so the due time is set against it (NOW is import time).
    now = timezone.now()
    Ticket.objects.filter(pk=t.pk).update(sla_clock_started_at=now - timedelta(minutes=5), first_response_due=now + timedelta(minutes=55))
    with mock.patch("django.utils.timezone.now", return_value=now):  # the page reads the same instant
        html = page(client, w.agent, f"/tickets/{t.pk}/")
    assert 'data-remaining="55"' in html
    assert 'data-ticking="1"' in html
    services.change_status(Ticket.objects.get(pk=t.pk), actor=w.agent, status=Ticket.Status.PENDING_CUSTOMER, now=NOW)
    html = page(client, w.agent, f"/tickets/{t.pk}/")
    assert "paused" in html and 'data-ticking="1"' not in html


def test_agent_replies_with_a_macro_and_sees_it_on_the_timeline(w, client):
    t = ticket(w, buyer_nick="小明", order_no="CD-88")
    macro = Macro.objects.create(name="Tracking", body="亲 {buyer_nick}，订单 {order_no} 已加急。")
    client.force_login(w.agent)
    # The page carries the macro's filled-in text for the composer to insert into the box.
    assert macro_texts(page(client, None, f"/tickets/{t.pk}/")) == {str(macro.pk): "亲 小明，订单 CD-88 已加急。"}
    response = client.post(f"/tickets/{t.pk}/reply/", {
        "reply-body": "亲 小明，订单 CD-88 已加急，明天送达。", "reply-macro": macro.pk, "reply-handling_minutes": "7",
        "reply-status": "",
    })
    assert response.status_code == 302 and response.url == f"/tickets/{t.pk}/#timeline"
    html = page(client, w.agent, f"/tickets/{t.pk}/")
    assert "Reply sent." in html and "已加急，明天送达。" in html and "handling 7 min" in html
    entry = TimelineEntry.objects.get(ticket=t, kind=TimelineEntry.Kind.REPLY)
    assert entry.body == "亲 小明，订单 CD-88 已加急，明天送达。"  # as edited: nothing added unseen
    assert entry.actor == w.agent and entry.handling_seconds == 420 and entry.data["macro"] == macro.pk
    assert Ticket.objects.get(pk=t.pk).first_response_at is not None
    # A macro alone is not a reply: its text must be in the box.
    html = client.post(f"/tickets/{t.pk}/reply/", {"reply-body": "", "reply-macro": macro.pk}, **EN).content.decode()
    assert "Write the reply." in html and TimelineEntry.objects.filter(ticket=t, kind="reply").count() == 1


def test_form_validation_messages(w, client):
    t = ticket(w)
    client.force_login(w.agent)
    response = client.post(f"/tickets/{t.pk}/reply/", {"reply-body": "  ", "reply-handling_minutes": "-5"}, **EN)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Write the reply." in html
    assert "Ensure this value is greater than or equal to 0." in html
    assert "Please correct the errors below." in html
    response = client.post(f"/tickets/{t.pk}/note/", {"note-body": ""}, **EN)
    assert "This field is required." in response.content.decode()
    assert not TimelineEntry.objects.filter(ticket=t, kind__in=["reply", "note"]).exists()


def test_domain_errors_show_on_the_form(w, client):
    a = ticket(w)
    b = other_ticket(w)
    client.force_login(w.manager)
    html = client.post(f"/tickets/{a.pk}/merge/", {"merge-into": 999999}, **EN).content.decode()
    assert "There is no ticket #999999 in your scope." in html
    html = client.post(f"/tickets/{a.pk}/merge/", {"merge-into": b.pk}, **EN).content.decode()
    assert "Only tickets of the same store can be merged." in html
    assert Ticket.objects.get(pk=a.pk).merged_into is None
    c = ticket(w)
    response = client.post(f"/tickets/{a.pk}/merge/", {"merge-into": c.pk})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=a.pk).merged_into_id == c.pk
    assert f'<a href="/tickets/{a.pk}/">#{a.pk}</a>' in page(client, None, f"/tickets/{c.pk}/")  # merged here
    html = page(client, None, f"/tickets/{a.pk}/")
    assert "This ticket was merged into" in html and 'name="compose-macro"' not in html  # notes only


def test_forms_the_user_may_not_use_are_hidden_and_refused(w, client):
    t = ticket(w)
    html = page(client, w.agent, f"/tickets/{t.pk}/")
    assert 'data-testid="composer"' in html and 'data-testid="form-transfer"' in html
    assert 'data-testid="form-assign"' not in html and 'data-testid="form-merge"' not in html
    assert client.post(f"/tickets/{t.pk}/assign/", {"assign-assignee": w.agent.pk}).status_code == 403
    assert client.post(f"/tickets/{t.pk}/merge/", {"merge-into": t.pk}).status_code == 403
    assert Ticket.objects.get(pk=t.pk).assignee is None
    chairman = make_user("boss", role=Role.EXECUTIVE, team=make_team("Board", kind=Team.Kind.MANAGEMENT))
    html = page(client, chairman, f"/tickets/{t.pk}/")
    assert "You can read this ticket but not work on it." in html
    assert client.post(f"/tickets/{t.pk}/reply/", {"reply-body": "hi"}).status_code == 403


def test_lead_assigns_within_the_team_only(w, client):
    t = ticket(w)
    html = page(client, w.lead, f"/tickets/{t.pk}/")
    assert f'<option value="{w.agent.pk}"' in html and f'<option value="{w.other_agent.pk}"' not in html
    response = client.post(f"/tickets/{t.pk}/assign/", {"assign-assignee": w.other_agent.pk}, **EN)
    assert "Select a valid choice" in response.content.decode()
    response = client.post(f"/tickets/{t.pk}/assign/", {"assign-assignee": w.agent.pk})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=t.pk).assignee == w.agent


def test_resolve_reopen_and_close(w, client):
    t = ticket(w)
    client.force_login(w.agent)
    assert client.post(f"/tickets/{t.pk}/status/", {"status-status": "resolved", "status-note": "Fixed",
                                                     "status-handling_minutes": "3"}).status_code == 302
    assert Ticket.objects.get(pk=t.pk).status == Ticket.Status.RESOLVED
    html = page(client, w.agent, f"/tickets/{t.pk}/")
    assert 'data-testid="form-reopen"' in html and 'data-testid="form-status"' not in html
    assert client.post(f"/tickets/{t.pk}/reopen/", {"reopen-reason": "Still broken"}).status_code == 302
    t.refresh_from_db()
    assert t.status == Ticket.Status.OPEN and t.sla_cycle == 2
    client.post(f"/tickets/{t.pk}/status/", {"status-status": "pending_customer"})
    assert Ticket.objects.get(pk=t.pk).status == Ticket.Status.PENDING_CUSTOMER
    html = page(client, w.agent, f"/tickets/{t.pk}/")
    assert "Status: Open → Pending customer" in html and "(reopened)" in html


def test_transfer_out_of_scope_lands_on_the_ticket_saying_where_it_went(w, client):
    t = ticket(w)
    client.force_login(w.agent)
    response = client.post(f"/tickets/{t.pk}/transfer/", {"transfer-queue": w.refund_queue.pk, "transfer-note": "refund"})
    # The agent keeps read access (they worked it) and lands on the ticket, which says where it went.
    assert response.status_code == 302 and response.url == f"/tickets/{t.pk}/#timeline"
    assert Ticket.objects.get(pk=t.pk).queue == w.refund_queue
    html = page(client, None, response.url)
    assert 'data-testid="moved"' in html and w.refund_queue.name in html and w.refund_team.name in html
    assert 'data-testid="composer"' not in html
    html = page(client, w.refund, f"/tickets/{t.pk}/")
    assert f"Transferred from {w.queue.name} to {w.refund_queue.name}" in html


def test_edit_details_hides_pii_fields_from_who_may_not_see_them(w, client):
    t = ticket(w, customer_phone="13912345678")
    assert f'href="/tickets/{t.pk}/edit/"' in page(client, w.agent, f"/tickets/{t.pk}/")
    html = page(client, w.agent, f"/tickets/{t.pk}/edit/")
    assert 'name="edit-subject"' in html and 'name="edit-customer_phone"' not in html
    response = client.post(f"/tickets/{t.pk}/edit/", {"edit-subject": "x", "edit-category": "nope"}, **EN)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    response = client.post(f"/tickets/{t.pk}/edit/", {"edit-subject": "New subject", "edit-category": "product",
                                                       "edit-priority": "high", "edit-order_no": "X1",
                                                       "edit-buyer_nick": "nick"})
    assert response.status_code == 302
    t.refresh_from_db()
    assert (t.subject, t.priority, t.customer_phone) == ("New subject", "high", "13912345678")
    assert 'name="edit-customer_phone"' in page(client, w.lead, f"/tickets/{t.pk}/edit/")
    chairman = make_user("boss", role=Role.EXECUTIVE, team=make_team("Board", kind=Team.Kind.MANAGEMENT))
    client.force_login(chairman)
    assert client.get(f"/tickets/{t.pk}/edit/").status_code == 403


# --- Opening a ticket -------------------------------------------------------------------------


def test_agent_opens_a_ticket_in_their_queue(w, client):
    client.force_login(w.agent)
    assert client.get("/tickets/add/", **EN).status_code == 200
    response = client.post("/tickets/add/", {
        "store": w.store.pk, "channel": "phone", "description": "Caller says the rack is stuck",
        "queue": w.queue.pk, "priority": "high", "buyer_nick": "赵阿姨",
    })
    assert response.status_code == 302
    t = Ticket.objects.get(buyer_nick="赵阿姨")
    assert response.url == f"/tickets/{t.pk}/" and t.priority == "high" and t.queue == w.queue
    response = client.post("/tickets/add/", {"store": w.store.pk, "channel": "phone", "description": "x",
                                             "queue": w.other_queue.pk}, **EN)
    assert "Select a valid choice" in response.content.decode()
    response = client.post("/tickets/add/", {"store": w.store.pk, "channel": "phone"}, **EN)
    assert "This field is required." in response.content.decode()


# --- Home page metrics ------------------------------------------------------------------------


def test_home_shows_service_metrics_to_managers_only(w, client):
    from django.core.cache import cache

    cache.clear()
    t = ticket(w)
    services.resolve(t, actor=w.agent, now=NOW)
    html = page(client, w.manager, "/")
    assert 'data-testid="ticket-metrics"' in html and "Resolved within 24 hours" in html
    assert 'data-testid="ticket-metrics"' not in page(client, w.agent, "/")
    # Computed once, then served from the cache for a few minutes.
    with CaptureQueriesContext(connection) as again:
        page(client, w.manager, "/")
    assert not any("tickets_timelineentry" in q["sql"] for q in again.captured_queries)


# --- Query counts -----------------------------------------------------------------------------


def _fill(w, n):
    workers = [w.agent, w.agent2, w.lead]
    for i in range(n):
        t = ticket(w, customer_phone=f"139{i:08d}", subject=f"Ticket {i}")
        services.assign(t, actor=w.lead, assignee=workers[i % 3], now=NOW)


@pytest.mark.parametrize("url", ["/tickets/", "/tickets/all/?status=open&sort=-priority"])
def test_queue_page_query_count_does_not_grow(w, client, django_assert_max_num_queries, url):
    client.force_login(w.manager)
    client.post("/tickets/columns/", {"columns": ["subject", "customer_phone", "assignee", "store", "queue", "due"]})
    _fill(w, 10)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _fill(w, 50)
    with django_assert_max_num_queries(len(small)):
        html = client.get(url).content.decode()
    assert len(rows(html)) == 50
    assert len(small) <= 15


def test_ticket_page_query_count_does_not_grow_with_the_timeline(w, client):
    t = ticket(w)
    client.force_login(w.lead)
    with CaptureQueriesContext(connection) as small:
        assert client.get(f"/tickets/{t.pk}/").status_code == 200
    for i in range(20):
        services.add_note(t, actor=[w.agent, w.agent2, w.lead][i % 3], body=f"note {i}", now=NOW)
        services.transfer(t, actor=w.lead, queue=w.other_queue if i % 2 == 0 else w.queue, now=NOW)
    assert Ticket.objects.get(pk=t.pk).queue == w.queue
    with CaptureQueriesContext(connection) as big:
        assert client.get(f"/tickets/{t.pk}/").status_code == 200
    assert len(big) <= len(small) + 1  # +1: the queue names of the transfer entries


def test_capped_count_paginator_counts_only_as_far_as_the_user_pages():
    from tickets.tables import CappedCountPaginator

    class Small(CappedCountPaginator):
        cap = 30

    paginator = Small(list(range(100)), 10)
    page = paginator.page(1)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (31, True, 4)
    assert list(page.object_list) == list(range(10))
    paginator = Small(list(range(100)), 10)
    page = paginator.page(5)
    assert list(page.object_list) == list(range(40, 50)) and page.has_next() and paginator.capped
    paginator = Small(list(range(25)), 10)
    paginator.page(1)
    assert (paginator.count, paginator.capped) == (25, False)


def test_navigation_shows_the_queues_to_ticket_roles_only(w, client):
    html = page(client, w.agent, "/")
    assert 'href="/tickets/"' in html and 'href="/tickets/mine/"' in html
    courier = make_user("courier", role=Role.LOGISTICS_COORDINATOR, team=make_team("Logistics", kind=Team.Kind.LOGISTICS))
    # A logistics coordinator reads the tickets they opened or worked, and only those.
    html = page(client, courier, "/")
    assert rows(page(client, courier, "/tickets/")) == set()
    assert client.get("/tickets/escalations/").status_code == 403
