"""The agent's workspace without a browser: replies to the buyer through the outbound feed (webhook
dispatcher against a local HTTP server, the polling feed), hand-off read access, take it and the
reply that assigns (with the assignment guards), the composer (modes, statuses, one length limit,
collision check), queue order and live counts, failed submits that keep what was typed or ticked,
and the shared phone validator."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from portal import outbound, registry
from portal.models import OutboundMessage, Store
from portal.roles import Role
from portal.validators import validate_phone
from tests.factories import make_integration, make_team, make_user
from tickets import services
from tickets.models import Macro, Ticket, TicketParticipant, TimelineEntry

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NOW = timezone.now()


class Webhook:
    """A marketplace webhook on loopback: records each request (headers and raw body); can fail."""

    def __init__(self, fail_with=None):
        self.requests = []
        self.fail_with = fail_with
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(hook.fail_with or 200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/chat/replies"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def guard():
    """An assignment guard refusing users listed in `guard.refused` (as training's certification gate)."""

    class Guard:
        refused = {}

        def __call__(self, queue, user_ids, *, now):
            return {uid: reason for uid, reason in self.refused.items() if uid in user_ids}

    instance = Guard()
    key = registry._key(Guard.__call__)
    registry._ASSIGNMENT_GUARDS[key] = instance
    yield instance
    registry._ASSIGNMENT_GUARDS.pop(key, None)


# --- Replies reach the buyer ------------------------------------------------------------------


def test_a_public_reply_is_published_and_the_dispatcher_posts_it_signed(world):
    t = world.ticket()
    world.store.outbound_webhook_secret = "s3cret"
    with Webhook() as hook:
        world.store.outbound_webhook_url = hook.url
        world.store.save()
        entry = services.reply(t, actor=world.agent, body="亲，已为您加急。", now=NOW)
        services.add_note(t, actor=world.agent, body="internal", now=NOW)  # notes never leave
        message = OutboundMessage.objects.get()
        assert message.source == f"ticket_reply:{entry.pk}" and message.status == "queued"
        assert set(message.payload) == {"store", "conversation_id", "message_id", "text", "sent_at"}
        assert message.payload["text"] == "亲，已为您加急。" and message.payload["store"] == world.store.code
        assert outbound.dispatch_outbound(now=NOW) == {"sent": 1, "retry": 0, "failed": 0}
    request = hook.requests[0]
    assert json.loads(request["body"]) == message.payload
    assert request["headers"]["Idempotency-Key"] == str(message.idempotency_key)
    expected = "sha256=" + hmac.new(b"s3cret", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Portal-Signature"] == expected
    message.refresh_from_db()
    assert message.status == "sent" and message.sent_at == NOW
    assert outbound.dispatch_outbound(now=NOW + timedelta(minutes=5)) == {"sent": 0, "retry": 0, "failed": 0}


def test_the_dispatcher_retries_with_back_off_then_fails_and_a_person_retries(world, client):
    t = world.ticket()
    with Webhook(fail_with=503) as hook:
        world.store.outbound_webhook_url = hook.url
        world.store.save()
        services.reply(t, actor=world.agent, body="hello", now=NOW)
        moment = NOW
        outcomes = []
        for _attempt in range(outbound.MAX_ATTEMPTS):
            outcomes.append(outbound.dispatch_outbound(now=moment))
            message = OutboundMessage.objects.get()
            if message.status == "queued":
                assert message.next_attempt_at > moment  # not again before the back-off
                assert outbound.dispatch_outbound(now=moment) == {"sent": 0, "retry": 0, "failed": 0}
                moment = message.next_attempt_at
        assert [o["retry"] for o in outcomes] == [1] * (outbound.MAX_ATTEMPTS - 1) + [0]
        assert outcomes[-1]["failed"] == 1 and len(hook.requests) == outbound.MAX_ATTEMPTS
        assert len({r["headers"]["Idempotency-Key"] for r in hook.requests}) == 1  # the same key every time
    message = OutboundMessage.objects.get()
    assert message.status == "failed" and "503" in message.last_error
    client.force_login(world.agent)
    html = client.get(f"/tickets/{t.pk}/", **EN).content.decode()
    assert "not delivered" in html and 'data-testid="retry-delivery"' in html
    response = client.post(f"/tickets/{t.pk}/deliveries/{message.pk}/retry/")
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 0)
    # Someone else's ticket's message cannot be retried through this ticket.
    other = world.ticket()
    assert client.post(f"/tickets/{other.pk}/deliveries/{message.pk}/retry/").status_code == 404


def test_the_polling_feed_lists_replies_after_the_cursor(world):
    integration = make_integration("market", kinds=["marketplace_chat"], stores=Store.objects.all(), team=world.team)
    t = world.ticket()
    first = services.reply(t, actor=world.agent, body="one", now=NOW)
    services.reply(t, actor=world.agent, body="two", now=NOW)
    client = api(integration)
    body = client.get("/api/v1/chat/outbound/").json()
    assert [item["payload"]["text"] for item in body["results"]] == ["one", "two"]
    assert body["results"][0]["payload"]["message_id"] == f"portal-{first.pk}" and body["more"] is False
    cursor = body["results"][0]["cursor"]
    assert [i["payload"]["text"] for i in client.get(f"/api/v1/chat/outbound/?since={cursor}").json()["results"]] == ["two"]
    assert client.get("/api/v1/chat/outbound/?since=abc").status_code == 400
    assert client.get("/api/v1/chat/outbound/?limit=0").status_code == 400
    # A store without a webhook: fetched counts as delivered.
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert api(world.agent).get("/api/v1/chat/outbound/").status_code == 403
    # An integration client of another kind (a carrier feed), even on the same stores, is refused.
    feed = make_integration("feed", kinds=["carrier_feed"], stores=Store.objects.all(), team=world.team)
    assert api(feed).get("/api/v1/chat/outbound/").status_code == 403


def test_a_macro_through_the_api_fills_the_reply_as_the_composer_does(world):
    t = world.ticket(buyer_nick="小明", order_no="CD-9")
    macro = Macro.objects.create(name="m", body="亲 {buyer_nick}，订单 {order_no}，运单 {waybill}。{agent}")
    client = api(world.agent)
    assert client.post(f"/api/v1/tickets/{t.pk}/reply/", {"macro": macro.pk}, format="json").status_code == 200
    entry = TimelineEntry.objects.get(ticket=t, kind="reply")
    assert entry.body == services.fill_macro(t, macro, world.agent) and "{" not in entry.body
    assert entry.body.startswith("亲 小明，订单 CD-9")
    client.post(f"/api/v1/tickets/{t.pk}/reply/", {"macro": macro.pk, "body": "edited"}, format="json")
    assert TimelineEntry.objects.filter(ticket=t, kind="reply").latest("id").body == "edited"  # nothing appended
    too_long = "字" * (services.MAX_REPLY_LENGTH + 1)
    assert client.post(f"/api/v1/tickets/{t.pk}/reply/", {"body": too_long}, format="json").status_code == 400
    response = client.post(f"/api/v1/tickets/{t.pk}/reply/", {"body": "done", "status": "resolved"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "resolved"


# --- Hand-off ---------------------------------------------------------------------------------


def test_whoever_worked_a_ticket_keeps_reading_it_after_the_transfer(world, client):
    t = world.ticket(actor=world.lead)
    services.add_note(t, actor=world.agent2, body="checked", now=NOW)
    services.transfer(t, actor=world.agent, queue=world.refund_queue, now=NOW)
    assert set(TicketParticipant.objects.filter(ticket=t).values_list("user__username", "how")) == {
        ("lead_a", "created"), ("agent_a2", "noted"), ("agent_a", "transferred")}
    for user in (world.lead, world.agent2, world.agent):
        client.force_login(user)
        html = client.get(f"/tickets/{t.pk}/", **EN).content.decode()
        assert 'data-testid="moved"' in html and world.refund_queue.name in html
        # Read, not work: refused, nothing written.
        assert client.post(f"/tickets/{t.pk}/send/", {"compose-mode": "note", "compose-body": "x"}).status_code == 403
        assert not TimelineEntry.objects.filter(ticket=t, body="x").exists()
    client.force_login(world.other_agent)  # never worked it
    assert client.get(f"/tickets/{t.pk}/").status_code == 404


# --- Take it, and the reply that assigns --------------------------------------------------------


def test_take_it_assigns_to_me_unless_a_guard_refuses(world, client, guard):
    t = world.ticket()
    client.force_login(world.agent)
    html = client.get("/tickets/", **EN).content.decode()
    assert f'formaction="/tickets/{t.pk}/take/"' in html
    assert client.post(f"/tickets/{t.pk}/take/", {"next": "/tickets/"}).url == "/tickets/"
    assert Ticket.objects.get(pk=t.pk).assignee == world.agent
    u = world.ticket()
    guard.refused = {world.agent2.pk: "Not certified for this queue"}
    client.force_login(world.agent2)
    client.post(f"/tickets/{u.pk}/take/")
    assert Ticket.objects.get(pk=u.pk).assignee is None
    assert "Not certified for this queue" in client.get(f"/tickets/{u.pk}/", **EN).content.decode()


def test_a_reply_to_an_unassigned_ticket_takes_it_per_queue_setting(world, guard):
    t = world.ticket()
    services.reply(t, actor=world.agent, body="hi", now=NOW)
    t.refresh_from_db()
    assert t.assignee == world.agent
    assert TimelineEntry.objects.filter(ticket=t, kind="assign", data__via="reply").exists()
    # A refused replier: the reply goes out, the ticket stays unassigned, a note says why.
    guard.refused = {world.agent2.pk: "Training not passed"}
    u = world.ticket()
    services.reply(u, actor=world.agent2, body="hello", now=NOW)
    u.refresh_from_db()
    assert u.assignee is None and OutboundMessage.objects.filter(payload__text="hello").exists()
    note = TimelineEntry.objects.filter(ticket=u, kind="note").get()
    assert "Training not passed" in note.body
    # The queue may turn it off.
    world.queue.assign_on_reply = False
    world.queue.save()
    v = world.ticket()
    services.reply(v, actor=world.agent, body="hi", now=NOW)
    assert Ticket.objects.get(pk=v.pk).assignee is None


# --- The composer -------------------------------------------------------------------------------


def test_composer_sends_a_note_or_a_reply_and_sets_the_status(world, client):
    t = world.ticket()
    client.force_login(world.agent)
    html = client.get(f"/tickets/{t.pk}/", **EN).content.decode()
    assert 'data-testid="composer"' in html and f'maxlength="{services.MAX_REPLY_LENGTH}"' in html
    seen = TimelineEntry.objects.filter(ticket=t).latest("id").pk
    response = client.post(f"/tickets/{t.pk}/send/", {
        "compose-mode": "note", "compose-body": "called the warehouse", "compose-status": "pending_internal",
        "compose-handling_minutes": "3", "compose-seen": seen})
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.status == "pending_internal"
    note = TimelineEntry.objects.get(ticket=t, kind="note")
    assert note.handling_seconds == 180 and not OutboundMessage.objects.exists()
    seen = TimelineEntry.objects.filter(ticket=t).latest("id").pk
    response = client.post(f"/tickets/{t.pk}/send/", {
        "compose-mode": "reply", "compose-body": "please send a photo", "compose-status": "pending_customer",
        "compose-seen": seen})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=t.pk).status == "pending_customer"
    # One length limit in the form, as in the API.
    response = client.post(f"/tickets/{t.pk}/send/", {
        "compose-mode": "reply", "compose-body": "x" * (services.MAX_REPLY_LENGTH + 1)}, **EN)
    assert response.status_code == 200 and "at most 10000 characters" in response.content.decode()


def test_status_panel_has_no_preselected_resolution(world, client):
    t = world.ticket()
    client.force_login(world.agent)
    html = client.get(f"/tickets/{t.pk}/", **EN).content.decode()
    status_form = html[html.index('data-testid="form-status"'):]
    status_form = status_form[:status_form.index("</form>")]
    assert 'value="resolved" selected' not in status_form
    assert client.post(f"/tickets/{t.pk}/status/", {"status-status": ""}).status_code == 200
    assert Ticket.objects.get(pk=t.pk).status == t.status


def test_a_send_on_a_ticket_that_changed_shows_the_new_messages_and_asks_to_confirm(world, client):
    t = world.ticket()
    client.force_login(world.agent)
    seen = TimelineEntry.objects.filter(ticket=t).latest("id").pk
    services.add_note(t, actor=world.agent2, body="I am on it already", now=NOW)
    data = {"compose-mode": "reply", "compose-body": "my answer", "compose-seen": seen}
    response = client.post(f"/tickets/{t.pk}/send/", data, **EN)
    html = response.content.decode()
    assert response.status_code == 409 and 'data-testid="conflict"' in html and "I am on it already" in html
    assert "my answer" in html and not TimelineEntry.objects.filter(ticket=t, kind="reply").exists()
    assert 'name="compose-confirm" value="1"' in html
    response = client.post(f"/tickets/{t.pk}/send/", {**data, "compose-confirm": "1"})
    assert response.status_code == 302 and TimelineEntry.objects.filter(ticket=t, kind="reply").exists()


def test_presence_shows_who_else_has_the_ticket_open(world, client):
    from django.core.cache import cache

    cache.clear()
    t = world.ticket()
    client.force_login(world.agent2)
    assert client.post(f"/tickets/{t.pk}/presence/", {"seen": "0"}).json()["others"] == []
    client.force_login(world.agent)
    answer = client.post(f"/tickets/{t.pk}/presence/", {"seen": "0"}).json()
    assert answer["others"] == ["agent_a2"]  # no full name: the username
    client.force_login(world.other_agent)
    assert client.post(f"/tickets/{t.pk}/presence/").status_code == 404


# --- Queues -------------------------------------------------------------------------------------


def test_sla_order_pins_major_complaints_then_breached_then_nearest_due(world, client):
    calm = world.ticket(subject="calm")
    soon = world.ticket(subject="soon")
    late = world.ticket(subject="late")
    major = world.ticket(subject="major", is_major=True)
    now = timezone.now()
    Ticket.objects.filter(pk__in=[calm.pk, soon.pk, late.pk, major.pk]).update(resolution_due=now + timedelta(days=1))
    Ticket.objects.filter(pk=calm.pk).update(first_response_due=now + timedelta(hours=8))
    Ticket.objects.filter(pk=soon.pk).update(first_response_due=now + timedelta(minutes=30))
    Ticket.objects.filter(pk=late.pk).update(first_response_due=now - timedelta(minutes=5))
    Ticket.objects.filter(pk=major.pk).update(first_response_due=now + timedelta(hours=20))
    client.force_login(world.agent)
    html = client.get("/tickets/", **EN).content.decode()
    import re

    order = [int(pk) for pk in re.findall(r'data-ticket="(\d+)"', html)]
    assert order == [major.pk, late.pk, soon.pk, calm.pk]
    counts = client.get("/tickets/counts/").json()["counts"]
    assert counts["team"] == 4 and counts["breached"] == 1 and counts["mine"] == 0


def test_a_ticket_transferred_away_leaves_the_work_queues_but_stays_readable(world, client):
    import re

    kept = world.ticket(subject="kept")
    gone = world.ticket(subject="gone")  # opened by the agent: a participant, who keeps read access
    services.transfer(gone, actor=world.agent, queue=world.other_queue, now=NOW)
    past = timezone.now() - timedelta(hours=1)
    Ticket.objects.filter(pk__in=[kept.pk, gone.pk]).update(first_response_due=past, resolution_due=past)
    client.force_login(world.agent)
    html = client.get("/tickets/breached/", **EN).content.decode()
    assert [int(pk) for pk in re.findall(r'data-ticket="(\d+)"', html)] == [kept.pk]
    counts = client.get("/tickets/counts/").json()["counts"]
    assert counts == {"team": 1, "mine": 0, "at_risk": 0, "breached": 1}
    assert client.get(f"/tickets/{gone.pk}/").status_code == 200
    # Its new team works it: there it is in Breached.
    client.force_login(world.other_agent)
    assert client.get("/tickets/counts/").json()["counts"]["breached"] == 1


@pytest.mark.parametrize("target", ["/\\evil.com", "//evil.com", "https://evil.com/"])
def test_next_leaving_the_site_falls_back_to_the_default(world, client, target):
    from django.test import RequestFactory

    from portal.views import safe_next

    request = RequestFactory().post("/", {"next": target})
    assert safe_next(request, "/fallback/") == "/fallback/"
    assert safe_next(RequestFactory().post("/", {"next": "/tickets/?page=2"}), "/fallback/") == "/tickets/?page=2"
    t = world.ticket()
    client.force_login(world.agent)
    response = client.post(f"/tickets/{t.pk}/take/", {"next": target})
    assert response.status_code == 302 and response.url == f"/tickets/{t.pk}/"
    response = client.post("/inbox/read/", {"next": target})
    assert response.status_code == 302 and response.url == "/inbox/"


def test_a_failed_bulk_action_keeps_the_ticked_rows(world, client):
    a, b = world.ticket(), world.ticket()
    client.force_login(world.lead)
    response = client.post("/tickets/bulk/", {"action": "assign", "select": [a.pk, b.pk],
                                              "assignee": world.other_agent.pk, "next": "/tickets/"})
    assert response.status_code == 302
    html = client.get("/tickets/", **EN).content.decode()
    for pk in (a.pk, b.pk):
        assert f'name="select" value="{pk}" checked' in html
    html = client.get("/tickets/", **EN).content.decode()
    assert "checked" not in html.split('data-testid="ticket-table"')[1]  # once only


def test_inbox_read_with_a_bad_id_is_400(world, client):
    client.force_login(world.agent)
    assert client.post("/inbox/read/", {"id": "abc"}).status_code == 400


# --- The new-ticket form and the phone ----------------------------------------------------------


@pytest.mark.parametrize("phone", ["13812345678", "+86 138 1234 5678", "010-12345678", "0755 1234567",
                                   "17012345678-1234", "021-87654321-88"])
def test_phone_numbers_accepted(phone):
    validate_phone(phone)


@pytest.mark.parametrize("phone", ["not a phone <b>", "12345", "1381234567", "23812345678", "17012345678-"])
def test_phone_numbers_refused(phone):
    with pytest.raises(ValidationError):
        validate_phone(phone)


def test_phone_is_validated_in_forms_and_api_alike(world, client):
    t = world.ticket()
    client.force_login(world.lead)
    response = client.post(f"/tickets/{t.pk}/edit/", {"edit-subject": "x", "edit-category": "product",
                                                       "edit-priority": "normal", "edit-customer_phone": "not a phone <b>"},
                           **EN)
    assert response.status_code == 200 and "Enter a mainland phone number" in response.content.decode()
    response = api(world.lead).patch(f"/api/v1/tickets/{t.pk}/", {"customer_phone": "not a phone"}, format="json")
    assert response.status_code == 400 and "customer_phone" in response.json()
    response = api(world.lead).patch(f"/api/v1/tickets/{t.pk}/", {"customer_phone": "17012345678-1234"},
                                     format="json")
    assert response.status_code == 200
    assert Ticket.objects.get(pk=t.pk).customer_phone == "17012345678-1234"


def test_new_ticket_form_preselects_the_only_store_and_shows_errors_at_the_field(world, client):
    client.force_login(world.agent)
    html = client.get("/tickets/add/", **EN).content.decode()
    assert f'<option value="{world.store.pk}" selected>' in html
    response = client.post("/tickets/add/", {"store": world.store.pk, "channel": "phone", "customer_phone": "x"}, **EN)
    html = response.content.decode()
    # Each message sits in its field's paragraph, after the field.
    description = html[html.index('name="description"'):]
    assert description.index("This field is required.") < description.index("</p>")
    phone = html[html.index('name="customer_phone"'):]
    assert phone.index("Enter a mainland phone number") < phone.index("</p>")


# --- Query counts ----------------------------------------------------------------------------------


def test_ticket_page_query_count_does_not_grow_with_the_conversation(world, client):
    t = world.ticket()
    client.force_login(world.lead)
    with CaptureQueriesContext(connection) as small:
        assert client.get(f"/tickets/{t.pk}/").status_code == 200
    for i in range(15):
        services.reply(t, actor=[world.agent, world.agent2][i % 2], body=f"reply {i}", now=NOW)
        services.add_note(t, actor=world.lead, body=f"note {i}", now=NOW)
    world.ticket()  # another ticket of the buyer: customer context
    with CaptureQueriesContext(connection) as big:
        assert client.get(f"/tickets/{t.pk}/").status_code == 200
    assert len(big) <= len(small) + 1  # +1: the delivery states, once there are replies


def test_counts_endpoint_query_count_does_not_grow(world, client):
    world.ticket()
    client.force_login(world.agent)
    with CaptureQueriesContext(connection) as few:
        client.get("/tickets/counts/")
    for _i in range(20):
        world.ticket()
    with CaptureQueriesContext(connection) as many:
        counts = client.get("/tickets/counts/").json()["counts"]
    assert counts["team"] == 21 and len(many) <= len(few)


def test_executive_and_coordinator_are_refused_counts_only_without_view(world, client):
    """The counts need `view_ticket` only: the executive and the logistics coordinator (who hold it)
    get theirs; a role without it (the trainer) is refused."""
    world.ticket()
    chairman = make_user("chairman", role=Role.EXECUTIVE, team=make_team("Board"))
    courier = make_user("courier", role=Role.LOGISTICS_COORDINATOR, team=make_team("Logistics"))
    coach = make_user("coach", role=Role.TRAINER, team=make_team("Training"))
    client.force_login(chairman)
    response = client.get("/tickets/counts/")
    assert response.status_code == 200 and response.json()["counts"]["all"] == 1
    client.force_login(courier)
    response = client.get("/tickets/counts/")
    assert response.status_code == 200 and response.json()["counts"] == {"team": 0, "mine": 0, "at_risk": 0,
                                                                          "breached": 0}
    client.force_login(coach)
    assert client.get("/tickets/counts/").status_code == 403


def test_one_dispatch_run_delivers_more_than_one_batch(world):
    """A backlog longer than a batch goes out in one run (batches one after another)."""
    t = world.ticket()
    with Webhook() as hook:
        world.store.outbound_webhook_url = hook.url
        world.store.save()
        for n in range(45):
            services.reply(t, actor=world.agent, body=f"reply {n}", now=NOW)
        assert outbound.dispatch_outbound(now=NOW, batch=20) == {"sent": 45, "retry": 0, "failed": 0}
        assert [json.loads(r["body"])["text"] for r in hook.requests] == [f"reply {n}" for n in range(45)]
        # A run with no time left stops after its first batch; the next run takes the rest.
        for n in range(25):
            services.reply(t, actor=world.agent, body=f"later {n}", now=NOW)
        assert outbound.dispatch_outbound(now=NOW, batch=20, max_seconds=0)["sent"] == 20
        assert outbound.dispatch_outbound(now=NOW, batch=20)["sent"] == 5
