"""POST /api/v1/logistics/events/: idempotency key, all-or-nothing validation, order independence."""

import json

from logistics.models import IngestRequest, Shipment, ShipmentStatus, TrackingEvent

URL = "/api/v1/logistics/events/"
W = "SF9000000000001"


def body(*events, store="clouddry-tmall", carrier="SF"):
    data = {"carrier": carrier, "events": list(events)}
    if store:
        data["store"] = store
    return data


def ev(time, code, description="", waybill=W, order="T1", **extra):
    return {"waybill": waybill, "order_number": order, "time": time, "code": code, "description": description,
            **extra}


PICKED_UP = ev("2026-11-18T10:00:00+08:00", "50", "已揽收")
AT_HUB = ev("2026-11-19 03:00:00", "31", "已到达 上海中转场")  # no offset: the carrier's time zone
SIGNED = ev("2026-11-20T08:00:00+08:00", "80", "已签收")


def test_ingest_and_replay_with_the_same_key_returns_the_first_response(portal, api):
    api.as_user(portal["carrier-feed"])
    first = api.post(URL, body(PICKED_UP, AT_HUB), HTTP_IDEMPOTENCY_KEY="batch-1")
    assert first.status_code == 200, first.content
    assert first.json() == {"received": 2, "events_added": 2, "duplicates_skipped": 0, "shipments_created": 1}

    replay = api.post(URL, body(PICKED_UP, AT_HUB), HTTP_IDEMPOTENCY_KEY="batch-1")
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert TrackingEvent.objects.count() == 2

    # The same events under a new key are recognised as duplicates: they add nothing either.
    again = api.post(URL, body(PICKED_UP, AT_HUB), HTTP_IDEMPOTENCY_KEY="batch-2")
    assert again.json() == {"received": 2, "events_added": 0, "duplicates_skipped": 2, "shipments_created": 0}
    assert TrackingEvent.objects.count() == 2


def test_same_key_with_another_body_is_422(portal, api):
    api.as_user(portal["carrier-feed"])
    assert api.post(URL, body(PICKED_UP), HTTP_IDEMPOTENCY_KEY="k").status_code == 200
    response = api.post(URL, body(PICKED_UP, AT_HUB), HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 422
    assert "different request body" in response.json()["detail"]
    assert TrackingEvent.objects.count() == 1


def test_missing_key_is_400_and_writes_nothing(portal, api):
    api.as_user(portal["carrier-feed"])
    response = api.post(URL, body(PICKED_UP))
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not TrackingEvent.objects.exists()


def test_more_than_1000_events_is_400(portal, api):
    api.as_user(portal["carrier-feed"])
    events = [ev(f"2026-11-18T10:{n // 60:02}:{n % 60:02}+08:00", "31", "到达", waybill=f"SF{n:011}") for n in range(1001)]
    response = api.post(URL, body(*events), HTTP_IDEMPOTENCY_KEY="big")
    assert response.status_code == 400
    assert "At most 1000 events" in response.json()["events"][0]
    assert api.post(URL, body(*events[:1000]), HTTP_IDEMPOTENCY_KEY="ok").status_code == 200
    assert Shipment.objects.count() == 1000


def test_a_bad_event_rejects_the_request_with_its_index_and_writes_nothing(portal, api):
    api.as_user(portal["carrier-feed"])
    bad_time = ev("2026-13-45 25:61:00", "50")
    unmapped = ev("2026-11-18T11:00:00+08:00", "777", "神秘操作")
    no_waybill = ev("2026-11-18T11:00:00+08:00", "50", waybill="")
    response = api.post(URL, body(PICKED_UP, bad_time, unmapped, no_waybill), HTTP_IDEMPOTENCY_KEY="bad")
    assert response.status_code == 400
    errors = response.json()["events"]
    assert set(errors) == {"1", "2", "3"}
    assert "impossible timestamp" in errors["1"]["time"][0]
    assert "777" in errors["2"]["code"][0]
    assert "waybill number is missing" in errors["3"]["waybill"][0]
    assert not TrackingEvent.objects.exists() and not Shipment.objects.exists()
    assert not IngestRequest.objects.exists()  # the key may be used again with a corrected body
    assert api.post(URL, body(PICKED_UP), HTTP_IDEMPOTENCY_KEY="bad").status_code == 200


def test_unknown_carrier_and_missing_store_for_a_new_parcel(portal, api):
    api.as_user(portal["carrier-feed"])
    response = api.post(URL, body(PICKED_UP, carrier="ZZ"), HTTP_IDEMPOTENCY_KEY="a")
    assert response.status_code == 400 and "carrier" in response.json()
    response = api.post(URL, body(PICKED_UP, store=None), HTTP_IDEMPOTENCY_KEY="b")
    assert response.status_code == 400
    assert "unknown parcel" in response.json()["events"]["0"]["waybill"][0]


def test_events_in_any_order_give_the_same_final_status(portal, api):
    api.as_user(portal["carrier-feed"])
    assert api.post(URL, body(SIGNED), HTTP_IDEMPOTENCY_KEY="1").status_code == 200
    assert api.post(URL, body(AT_HUB, PICKED_UP), HTTP_IDEMPOTENCY_KEY="2").status_code == 200
    parcel = Shipment.objects.get()
    assert parcel.status == ShipmentStatus.DELIVERED  # late old events never move it back
    assert parcel.last_event_at.isoformat() == "2026-11-20T00:00:00+00:00"
    assert parcel.shipped_at.isoformat() == "2026-11-18T02:00:00+00:00"


def test_optional_shipment_details_fill_a_new_parcel(portal, api):
    api.as_user(portal["carrier-feed"])
    event = ev("2026-11-18T10:00:00+08:00", "50", "已揽收", consignee_name="王小明", consignee_phone="13912345678",
               product_skus=["RACK-2M", "MOTOR-1"], promised_by="2026-11-21T18:00:00+08:00")
    assert api.post(URL, body(event), HTTP_IDEMPOTENCY_KEY="x").status_code == 200
    parcel = Shipment.objects.get()
    assert (parcel.consignee_name, parcel.product_skus) == ("王小明", ["RACK-2M", "MOTOR-1"])
    assert parcel.promised_by.isoformat() == "2026-11-21T10:00:00+00:00"


def test_only_roles_that_feed_events_may_post(portal, api):
    for username, expected in [("agent", 403), ("manager", 403), ("chairman", 403), ("logistics", 200),
                               ("carrier-feed", 200), ("integration", 403)]:
        api.as_user(portal[username])
        response = api.post(URL, body(PICKED_UP), HTTP_IDEMPOTENCY_KEY=f"k-{username}")
        assert response.status_code == expected, (username, response.content)


def test_a_coordinator_may_not_feed_a_store_outside_their_scope(portal, api):
    from tests.logistics.factories import make_coordinator

    coordinator = make_coordinator([portal.stores["clouddry-tmall"]])
    api.as_user(coordinator)
    response = api.post(URL, body(PICKED_UP, store="swiftride-tmall"), HTTP_IDEMPOTENCY_KEY="s")
    unknown = api.post(URL, body(PICKED_UP, store="no-such-store"), HTTP_IDEMPOTENCY_KEY="u")
    # Answered exactly as for a store that does not exist: the API does not confirm it exists.
    assert (response.status_code, response.json()) == (unknown.status_code, unknown.json()) == (
        400, {"store": ["Unknown store code, or a store outside your scope."]})
    assert api.post(URL, body(PICKED_UP), HTTP_IDEMPOTENCY_KEY="t").status_code == 200


def test_malformed_json_is_400(portal, api):
    from django.test import Client

    client = Client()
    client.force_login(portal["carrier-feed"])
    response = client.post(URL, "{not json", content_type="application/json", headers={"Idempotency-Key": "m"})
    assert response.status_code == 400
    response = client.post(URL, json.dumps({"carrier": "SF", "events": ["x"]}), content_type="application/json",
                           headers={"Idempotency-Key": "n"})
    assert response.status_code == 400 and "0" in response.json()["events"]


def test_a_request_leaves_the_garbage_collector_alone(portal, api, monkeypatch):
    """The collector's thresholds are process-wide: only the import task relaxes them, never a
    request (portal/memory.py)."""
    import gc

    from logistics import ingest

    normal = gc.get_threshold()
    thresholds = []
    real_write = ingest.Ingestor.write
    monkeypatch.setattr(ingest.Ingestor, "write",
                        lambda self, *args: (thresholds.append(gc.get_threshold()), real_write(self, *args))[1])
    api.as_user(portal["carrier-feed"])
    response = api.post(URL, body(PICKED_UP, AT_HUB), HTTP_IDEMPOTENCY_KEY="batch-1")
    assert response.status_code == 200
    assert thresholds == [normal]
