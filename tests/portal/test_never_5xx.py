"""The probe's 500s outside logistics, each reproduced: a 4xx with a clear error, nothing written."""

import json

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from portal.integrations import Kind
from portal.models import Store, Team
from tests.factories import make_integration
from tests.tickets.factories import World
from tickets.models import Ticket


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw-test-123")


def test_deleting_a_referenced_store_or_team_answers_409_with_what_refers_to_it(world, root):
    world.ticket()
    api = APIClient()
    api.force_authenticate(root)
    response = api.delete(f"/api/v1/stores/{world.store.pk}/")
    assert response.status_code == 409
    body = response.json()
    assert "cannot be deleted" in body["detail"] and "tickets.ticket" in {e["model"] for e in body["protected"]}
    assert Store.objects.filter(pk=world.store.pk).exists()
    response = api.delete(f"/api/v1/teams/{world.team.pk}/")
    assert response.status_code == 409 and Team.objects.filter(pk=world.team.pk).exists()


def test_deleting_a_referenced_store_in_admin_is_no_server_error(world, root, client):
    world.ticket()
    client.force_login(root)
    response = client.post(f"/admin/portal/store/{world.store.pk}/delete/", {"post": "yes"})
    # Django admin's own answer: the confirmation page says what still refers to it and deletes nothing.
    assert response.status_code == 200 and "Cannot delete" in response.content.decode()
    assert Store.objects.filter(pk=world.store.pk).exists()
    response = client.post("/admin/portal/team/", {"action": "delete_selected", "_selected_action": [world.team.pk],
                                                   "post": "yes"})
    assert response.status_code == 200 and "Cannot delete" in response.content.decode()
    assert Team.objects.filter(pk=world.team.pk).exists()


@pytest.mark.django_db
def test_the_ui_answers_409_for_a_protected_delete(rf):
    from django.db.models import ProtectedError

    from portal.middleware import ProtectedDeleteMiddleware

    store = Store(code="x", name="X")
    request = rf.get("/")
    request.user = None
    store.save()
    response = ProtectedDeleteMiddleware(lambda r: None).process_exception(
        request, ProtectedError("protected", {store}))
    assert response.status_code == 409 and "cannot be deleted" in response.content.decode()


def _chat(**message):
    return {"store": "clouddry", "conversation_id": "c-1", "buyer_nick": "小明", "messages": [
        {"id": "m1", "sent_at": "2026-03-02T10:00:00+08:00", "sender": "buyer", "text": "你好", **message}]}


@pytest.mark.parametrize("message, field", [
    ({"sent_at": "0001-01-01T00:00:00+14:00"}, "sent_at"),
    ({"sent_at": "9999-12-31T23:59:59-14:00"}, "sent_at"),
    ({"text": "SF\ud800X"}, "text"),
    ({"text": "a\x00b"}, "text"),
    ({"text": ["a"]}, "text"),
    ({"id": 12}, "id"),
])
def test_chat_refuses_bad_messages(world, message, field):
    api = APIClient()
    api.force_authenticate(make_integration("chat", kinds=[Kind.MARKETPLACE_CHAT], stores=[world.store]))
    # json.dumps escapes a lone surrogate as \ud800, as a client would send it.
    response = api.post("/api/v1/chat/conversations/", json.dumps(_chat(**message)), content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()["messages"]["0"] if isinstance(response.json()["messages"], dict) else \
        field in response.json()["messages"][0]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/chat/conversations/", "/api/v1/installations/1/events/",
                                  "/api/v1/tickets/"])
def test_json_nested_50000_deep(world, root, path):
    from tests.installation.factories import make_job, make_product

    job = make_job(world.store, product=make_product(world.store))
    path = path.replace("/1/", f"/{job.pk}/")
    api = APIClient()
    api.force_authenticate(root)
    response = api.post(path, "[" * 50000 + "]" * 50000, content_type="application/json")
    assert response.status_code == 400 and "nested deeper" in response.json()["detail"]


def test_a_body_over_the_limit_is_413(world, root, settings):
    settings.API_MAX_JSON_BYTES = 1000
    api = APIClient()
    api.force_authenticate(root)
    response = api.post("/api/v1/tickets/", {"description": "x" * 2000}, format="json")
    assert response.status_code == 413


@pytest.mark.parametrize("query, field", [
    ("from=0001-01-01T00:00:00%2B14:00", "from"), ("to=0001-01-01", "to"), ("from=9999-12-31", "from"),
])
def test_metrics_refuse_impossible_dates(world, root, query, field):
    api = APIClient()
    api.force_authenticate(root)
    response = api.get(f"/api/v1/metrics/tickets/?{query}")
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize("query", ["created_after=0001-01-01T00:00:00%2B14:00", "due_before=0001-01-01T00:00:00Z"])
def test_ticket_filters_refuse_impossible_times(world, root, query):
    api = APIClient()
    api.force_authenticate(root)
    assert api.get(f"/api/v1/tickets/?{query}").status_code == 400


@pytest.mark.parametrize("body, field", [
    ({"store": "clouddry", "description": "x", "customer_phone": "1" * 1000}, "customer_phone"),
    ({"store": "clouddry", "description": ["x"]}, "description"),
    ({"store": "clouddry", "description": "x", "order_no": ["T1"]}, "order_no"),
    ({"store": "clouddry", "description": "x", "is_major": "no"}, "is_major"),
    ({"store": ["clouddry"], "description": "x"}, "store"),
    ({"store": "clouddry", "description": "x\x00"}, "description"),
])
def test_ticket_create_refuses_what_it_would_have_mangled(world, body, field):
    api = APIClient()
    api.force_authenticate(world.agent)
    response = api.post("/api/v1/tickets/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not Ticket.objects.exists()


# Numbers in query strings and forms: "²" passes str.isdigit() but int() refuses it, and a 30-digit
# number overflows the database's integer. Each is answered like any other bad number.
SUPERSCRIPT, HUGE = "%C2%B2", "9" * 30


@pytest.mark.parametrize("url, field", [
    (f"/api/v1/chat/outbound/?limit={SUPERSCRIPT}", "limit"),
    (f"/api/v1/chat/outbound/?since={SUPERSCRIPT}", "since"),
    (f"/api/v1/chat/outbound/?since={HUGE}", "since"),
    (f"/api/v1/metrics/tickets/?team={SUPERSCRIPT}", "team"),
    (f"/api/v1/metrics/tickets/?team={HUGE}", "team"),
    (f"/api/v1/metrics/tickets/?store={HUGE}", "store"),
    (f"/api/v1/training/statements/?after={SUPERSCRIPT}", "after"),
    (f"/api/v1/training/statements/?limit={SUPERSCRIPT}", "limit"),
    (f"/api/v1/training/compliance/?team={HUGE}", "team"),
])
def test_api_numbers_in_other_digits_or_too_long_are_400_at_their_field(world, root, url, field):
    api = APIClient()
    api.force_authenticate(root)
    response = api.get(url)
    assert response.status_code == 400 and field in response.json()


def test_ticket_search_and_store_filter_take_any_text(world, root):
    ticket = world.ticket()
    api = APIClient()
    api.force_authenticate(root)
    for query in (f"q=%23{HUGE}", f"q={SUPERSCRIPT}", f"store={SUPERSCRIPT}", f"store={HUGE}"):
        response = api.get(f"/api/v1/tickets/?{query}")
        assert (response.status_code, response.json()["count"]) == (200, 0), query
    assert [t["id"] for t in api.get(f"/api/v1/tickets/?q=%23{ticket.pk}").json()["results"]] == [ticket.pk]


def test_ui_numbers_in_other_digits_or_too_long(world, root, client):
    ticket = world.ticket()
    client.force_login(root)
    assert client.post("/inbox/read/", {"id": "²"}).status_code == 400
    assert client.post("/inbox/read/", {"id": HUGE}).status_code == 400
    response = client.post(f"/tickets/{ticket.pk}/presence/", {"seen": "²"})
    assert response.status_code == 200 and response.json()["new"] == 0
    assert client.get(f"/training/candidates/?page={SUPERSCRIPT}").status_code == 200
    assert client.get(f"/training/compliance/?team={HUGE}").status_code == 404


@pytest.mark.parametrize("url", ["/api/v1/public/stores/a%00b/badges/", "/api/v1/scores/today/?store=%00",
                                 "/api/v1/tickets/?q=a%00b"])
def test_a_nul_in_the_url_is_400_before_any_view(world, root, url):
    """PostgreSQL cannot compare text holding NUL: such a URL would reach a lookup by code and fail."""
    api = APIClient()
    api.force_authenticate(root)
    response = api.get(url)
    assert (response.status_code, response.json()) == (400, {"detail": "Bad request."})


def test_a_nul_in_a_page_url_is_the_portals_400_page(world, root, client):
    client.force_login(root)
    for url in ("/scores/stores/a%00b/", "/embed/stores/a%00b/badges.svg"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert "The address or the data sent cannot be read." in response.content.decode()


def test_a_body_over_djangos_own_limit_is_413_too(world, root, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000  # Django refuses to read it before the parser sees it
    api = APIClient()
    api.force_authenticate(root)
    response = api.post("/api/v1/tickets/", {"description": "x" * 3000}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    assert response.json() == {"detail": f"The body is larger than {settings.API_MAX_JSON_BYTES} bytes."}
