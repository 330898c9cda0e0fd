"""Integration clients reach only their kinds' write endpoints, and within them only their stores.

`api_write_endpoints()` walks the URL resolver, so a write endpoint added later (refunds, scores,
training, ...) is checked here without editing this file; one that declares no `integration_kind`
fails `test_every_write_endpoint_declares_its_integration_kind`.
"""

import re

import pytest
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient

from portal import integrations
from portal.integrations import Kind
from portal.models import Store
from tests.factories import make_integration

WRITE_METHODS = {"post", "put", "patch", "delete"}
KIND_DENIED = "This integration client may not call this endpoint (not one of its kinds)."


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def api_write_endpoints():
    """[(method, url with pk=1, view class, action name, declared kind)] of every write under /api/v1/."""
    found = {}
    for route, callback in _walk(get_resolver().url_patterns):
        cls = getattr(callback, "cls", None)
        if not route.startswith("api/v1/") or cls is None or "format" in route:
            continue
        url = "/" + re.sub(r"\(\?P<pk>[^)]*\)", "1", route).replace("^", "").replace("$", "")
        actions = getattr(callback, "actions", None)
        initkwargs = getattr(callback, "initkwargs", {}) or {}
        allowed = set(getattr(cls, "http_method_names", WRITE_METHODS))
        if actions:
            methods = {m: name for m, name in actions.items() if m in WRITE_METHODS and m in allowed}
        else:
            methods = {m: m for m in WRITE_METHODS if hasattr(cls, m)}
        for method, name in methods.items():
            kind = initkwargs.get("integration_kind") or getattr(cls, "integration_kind", None)
            found[(method, url)] = (cls, name, kind)
    return sorted((method, url, *rest) for (method, url), rest in found.items())


def test_the_walk_finds_the_write_endpoints():
    endpoints = {(method, url) for method, url, *_ in api_write_endpoints()}
    for known in [("post", "/api/v1/chat/conversations/"), ("post", "/api/v1/tickets/1/rate/"),
                  ("post", "/api/v1/logistics/events/"), ("post", "/api/v1/logistics/imports/"),
                  ("post", "/api/v1/installations/1/events/"), ("patch", "/api/v1/stores/1/"),
                  ("post", "/api/v1/pii/reveal/")]:
        assert known in endpoints


def test_every_write_endpoint_declares_its_integration_kind():
    undeclared = [f"{method.upper()} {url} ({cls.__name__}.{name})" for method, url, cls, name, kind
                  in api_write_endpoints() if kind not in {*Kind.values, integrations.STAFF_ONLY}]
    assert not undeclared, (
        "Declare `integration_kind = Kind.<KIND>` (or `STAFF_ONLY`) on these write endpoints: " + ", ".join(undeclared))


def test_the_declared_kinds_of_todays_endpoints():
    kinds = {(method, url): kind for method, url, _cls, _name, kind in api_write_endpoints()}
    assert kinds[("post", "/api/v1/chat/conversations/")] == Kind.MARKETPLACE_CHAT
    assert kinds[("post", "/api/v1/tickets/1/rate/")] == Kind.MARKETPLACE_CHAT
    assert kinds[("post", "/api/v1/logistics/events/")] == Kind.CARRIER_FEED
    assert kinds[("post", "/api/v1/logistics/imports/")] == Kind.CARRIER_FEED
    assert kinds[("post", "/api/v1/installations/1/events/")] == Kind.INSTALLATION_PARTNER
    assert kinds[("post", "/api/v1/tickets/1/note/")] == integrations.STAFF_ONLY
    assert kinds[("post", "/api/v1/tickets/")] == integrations.STAFF_ONLY


@pytest.mark.django_db
def test_every_kind_against_every_write_endpoint(demo):
    """A client of one kind: 403 (the kind's refusal) on every other kind's and every staff-only
    write endpoint; on its own kind's endpoints the kind check lets it through (the role, scope and
    input decide what follows)."""
    stores = list(Store.objects.all())
    problems = []
    for kind in Kind.values:
        api = APIClient()
        api.force_authenticate(make_integration(f"client-{kind}", kinds=[kind], stores=stores))
        for method, url, _cls, _name, declared in api_write_endpoints():
            response = getattr(api, method)(url, {}, format="json")
            refused = response.status_code == 403 and response.json().get("detail") == KIND_DENIED
            if refused != (declared != kind):
                problems.append((kind, method, url, declared, response.status_code))
    assert not problems


@pytest.mark.django_db
def test_a_client_with_no_client_row_writes_nothing(demo):
    from portal.roles import Role
    from tests.factories import make_user

    api = APIClient()
    api.force_authenticate(make_user("bare-integration", role=Role.INTEGRATION))
    response = api.post("/api/v1/chat/conversations/", {}, format="json")
    assert response.status_code == 403 and response.json()["detail"] == KIND_DENIED


@pytest.mark.django_db
def test_the_demo_clients(demo):
    client = demo["integration"].integration_client
    assert set(client.kinds) == {Kind.MARKETPLACE_CHAT, Kind.MARKETPLACE_REFUNDS, Kind.OFFICIAL_SCORES}
    assert {s.code for s in client.stores.all()} == {"clouddry-tmall", "swiftride-tmall"}
    assert demo["carrier-feed"].integration_client.kinds == [Kind.CARRIER_FEED]


# --- Stores: another store answers as an unknown store -----------------------------------------


def _chat(store_code):
    return {"store": store_code, "conversation_id": "c-1", "buyer_nick": "小明", "messages": [
        {"id": "m1", "sent_at": "2026-03-02T10:00:00+08:00", "sender": "buyer", "text": "你好"}]}


@pytest.mark.django_db
def test_a_marketplace_client_posts_chats_only_for_its_stores():
    from tests.tickets.factories import World
    from tickets.models import Ticket

    world = World()
    api = APIClient()
    api.force_authenticate(make_integration("dry-only", kinds=[Kind.MARKETPLACE_CHAT], stores=[world.store]))
    other = api.post("/api/v1/chat/conversations/", _chat(world.other_store.code), format="json")
    unknown = api.post("/api/v1/chat/conversations/", _chat("no-such-store"), format="json")
    # Another store answers exactly as a store that does not exist (with its own code in the message).
    assert other.status_code == unknown.status_code == 400
    assert other.json()["store"] == [f"Unknown store “{world.other_store.code}”."]
    assert not Ticket.objects.exists()
    ok = api.post("/api/v1/chat/conversations/", _chat(world.store.code), format="json")
    assert ok.status_code == 201, ok.content


@pytest.mark.django_db
def test_a_marketplace_client_rates_only_its_stores_tickets(demo):
    from tests.tickets.factories import World
    from tickets.models import Ticket

    world = World()
    mine, theirs = world.ticket(), world.ticket(store=world.other_store, queue=world.other_queue)
    api = APIClient()
    api.force_authenticate(make_integration("rater", kinds=[Kind.MARKETPLACE_CHAT], stores=[world.store]))
    assert api.post(f"/api/v1/tickets/{theirs.pk}/rate/", {"rating": 1}, format="json").status_code == 404
    assert Ticket.objects.get(pk=theirs.pk).rating is None
    # A partner (another kind) may not rate at all, even in its own stores.
    partner = APIClient()
    partner.force_authenticate(make_integration("partner", kinds=[Kind.INSTALLATION_PARTNER], stores=[world.store]))
    assert partner.post(f"/api/v1/tickets/{mine.pk}/rate/", {"rating": 1}, format="json").status_code == 403
    assert api.post(f"/api/v1/tickets/{mine.pk}/rate/", {"rating": 5}, format="json").status_code == 200


@pytest.mark.django_db
def test_a_carrier_feed_writes_tracking_only_for_its_stores(demo):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from logistics.models import TrackingEvent
    from logistics.setup import ensure_sample_carrier

    ensure_sample_carrier()
    dry = Store.objects.get(code="clouddry-tmall")
    api = APIClient()
    api.force_authenticate(make_integration("feed", kinds=[Kind.CARRIER_FEED], stores=[dry]))
    event = {"waybill": "SF1", "order_number": "T1", "time": "2026-11-18T10:00:00+08:00", "code": "50"}
    response = api.post("/api/v1/logistics/events/", {"carrier": "SF", "store": "swiftride-tmall", "events": [event]},
                        format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 400 and "store" in response.json()
    upload = SimpleUploadedFile("r.csv", "运单号,状态\nSF1,50\n".encode(), content_type="text/csv")
    response = api.post("/api/v1/logistics/imports/", {"file": upload, "carrier": "SF", "store": "swiftride-tmall"},
                        format="multipart")
    assert response.status_code == 400 and "store" in response.json()
    assert not TrackingEvent.objects.exists()
    # The marketplace client may not feed tracking at all.
    marketplace = APIClient()
    marketplace.force_authenticate(demo["integration"])
    response = marketplace.post("/api/v1/logistics/events/", {"carrier": "SF", "store": "clouddry-tmall",
                                                              "events": [event]}, format="json",
                                HTTP_IDEMPOTENCY_KEY="k2")
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_read_endpoint_that_declares_a_kind_is_read_only_by_that_kind():
    """The outbound feeds carry buyers' replies and refund decisions: a carrier feed may not poll them."""
    from tests.factories import make_store

    store = make_store("kinds-read")
    feed, market = APIClient(), APIClient()
    feed.force_authenticate(make_integration("feed-reader", kinds=[Kind.CARRIER_FEED], stores=[store]))
    market.force_authenticate(make_integration("market-reader", kinds=[Kind.MARKETPLACE_CHAT, Kind.MARKETPLACE_REFUNDS],
                                               stores=[store]))
    for url in ("/api/v1/chat/outbound/", "/api/v1/refunds/outbound/"):
        assert feed.get(url).status_code == 403, url
        assert market.get(url).status_code == 200, url
    # A read that declares nothing stays with the role and the scope.
    assert feed.get("/api/v1/stores/").status_code == 200
