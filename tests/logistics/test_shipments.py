"""Reading shipments and alerts: filters, embedded events, masking, store scope through UI and API,
and list pages whose query count does not grow with the rows."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from logistics.alerts import scan_logistics
from tests.logistics.factories import REPORT_TIME, event, ingest

NOW = REPORT_TIME


@pytest.fixture
def parcels(portal, carrier):
    dry, bike = portal.stores["clouddry-tmall"], portal.stores["swiftride-tmall"]
    ingest(carrier, dry, [
        event("SF-DRY-1", "2026-11-16 10:00:00", "50", "已揽收", "T-D1", consignee_name="王小明",
              consignee_phone="13912345678"),
        event("SF-DRY-1", "2026-11-17 09:00:00", "31", "已到达 武汉中转场", "T-D1"),
        event("SF-DRY-2", "2026-11-18 10:00:00", "50", "已揽收", "T-D2"),
        event("SF-DRY-2", "2026-11-19 10:00:00", "80", "已签收", "T-D2"),
    ])
    ingest(carrier, bike, [event("SF-BIKE-1", "2026-11-19 07:00:00", "44", "派送中", "T-B1")])
    scan_logistics(now=NOW)


def waybills(response):
    assert response.status_code == 200, response.content
    return {row["waybill_number"] for row in response.json()["results"]}


@pytest.mark.parametrize("username, expected", [
    ("agent", {"SF-DRY-1", "SF-DRY-2"}),
    ("agent2", {"SF-BIKE-1"}),
    ("lead", {"SF-DRY-1", "SF-DRY-2"}),
    ("logistics", {"SF-DRY-1", "SF-DRY-2", "SF-BIKE-1"}),
    ("director", {"SF-DRY-1", "SF-DRY-2", "SF-BIKE-1"}),
    ("chairman", {"SF-DRY-1", "SF-DRY-2", "SF-BIKE-1"}),
])
def test_store_scope_is_the_same_in_api_and_ui(portal, api, client, parcels, username, expected):
    api.as_user(portal[username])
    assert waybills(api.get("/api/v1/logistics/shipments/")) == expected
    page = client.get("/logistics/shipments/").content.decode()
    assert set(re.findall(r">(SF-[A-Z]+-\d)</a>", page)) == expected


def test_roles_without_shipments(portal, api, client, parcels):
    for username in ("integration", "trainer", "refund"):
        api.as_user(portal[username])
        assert api.get("/api/v1/logistics/shipments/").status_code == 403
        assert client.get("/logistics/shipments/").status_code == 403


def test_out_of_scope_parcel_is_not_found(portal, api, client, parcels):
    from logistics.models import Shipment

    bike = Shipment.objects.get(waybill_number="SF-BIKE-1")
    api.as_user(portal["agent"])
    assert api.get(f"/api/v1/logistics/shipments/{bike.pk}/").status_code == 404
    assert client.get(f"/logistics/shipments/{bike.pk}/").status_code == 404


def test_filters(portal, api, parcels):
    api.as_user(portal["logistics"])
    assert waybills(api.get("/api/v1/logistics/shipments/", waybill="SF-DRY-1")) == {"SF-DRY-1"}
    assert waybills(api.get("/api/v1/logistics/shipments/", status="delivered")) == {"SF-DRY-2"}
    assert waybills(api.get("/api/v1/logistics/shipments/", carrier="SF")) == {"SF-DRY-1", "SF-DRY-2", "SF-BIKE-1"}
    assert waybills(api.get("/api/v1/logistics/shipments/", store="swiftride-tmall")) == {"SF-BIKE-1"}
    assert waybills(api.get("/api/v1/logistics/shipments/", alert_kind="stalled")) == {"SF-DRY-1"}
    assert api.get("/api/v1/logistics/shipments/", carrier="NOPE").status_code == 400


def test_stuck_for_more_than_n_hours(portal, api, parcels):
    from datetime import timedelta

    # Measured from the real clock: put the parcels' last events relative to it.
    from django.utils import timezone

    from logistics.models import Shipment

    Shipment.objects.filter(waybill_number="SF-DRY-1").update(last_event_at=timezone.now() - timedelta(hours=30))
    Shipment.objects.filter(waybill_number="SF-BIKE-1").update(last_event_at=timezone.now() - timedelta(hours=5))
    api.as_user(portal["logistics"])
    assert waybills(api.get("/api/v1/logistics/shipments/", stuck_hours=24)) == {"SF-DRY-1"}
    assert waybills(api.get("/api/v1/logistics/shipments/", stuck_hours=4)) == {"SF-DRY-1", "SF-BIKE-1"}


def test_each_shipment_comes_with_its_events_and_masked_pii(portal, api, parcels):
    api.as_user(portal["agent"])
    row = api.get("/api/v1/logistics/shipments/", waybill="SF-DRY-1").json()["results"][0]
    assert [e["code"] for e in row["events"]] == ["50", "31"]
    assert row["events"][1]["description"] == "已到达 武汉中转场"
    assert row["status"] == "in_transit"
    assert row["consignee_phone"] == "139****5678" and row["consignee_name"] == "王**"
    api.as_user(portal["logistics"])  # may see it, and still gets it masked (POST /api/v1/pii/reveal/)
    row = api.get("/api/v1/logistics/shipments/", waybill="SF-DRY-1").json()["results"][0]
    assert row["consignee_phone"] == "139****5678" and row["consignee_name"] == "王**"


def test_alert_filters(portal, api, parcels):
    api.as_user(portal["logistics"])
    rows = api.get("/api/v1/logistics/alerts/").json()["results"]
    assert {(r["waybill"], r["kind"]) for r in rows} == {("SF-DRY-1", "stalled"), ("SF-BIKE-1", "last_mile_delay")}
    assert [r["waybill"] for r in api.get("/api/v1/logistics/alerts/", kind="stalled").json()["results"]] == [
        "SF-DRY-1"]
    assert [r["kind"] for r in api.get("/api/v1/logistics/alerts/", waybill="SF-BIKE-1").json()["results"]] == [
        "last_mile_delay"]
    assert api.get("/api/v1/logistics/alerts/", status="resolved").json()["count"] == 0
    assert api.get("/api/v1/logistics/alerts/", kind="late").status_code == 400
    api.as_user(portal["manager"])  # manager: customer-service teams' stores, both here
    assert api.get("/api/v1/logistics/alerts/").json()["count"] == 2


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def more_parcels(carrier, store, start, n):
    ingest(carrier, store, [event(f"SF-X{i}", "2026-11-16 10:00:00", "31", "到达", f"T-X{i}")
                            for i in range(start, start + n)])
    scan_logistics(now=NOW)


def test_list_pages_and_apis_do_not_query_per_row(portal, client, carrier, parcels):
    client.force_login(portal["logistics"])
    store = portal.stores["clouddry-tmall"]
    urls = ["/logistics/shipments/", "/logistics/alerts/", "/api/v1/logistics/shipments/",
            "/api/v1/logistics/alerts/", "/logistics/imports/"]
    more_parcels(carrier, store, 0, 5)
    before = {url: count_queries(client, url) for url in urls}
    more_parcels(carrier, store, 5, 25)
    after = {url: count_queries(client, url) for url in urls}
    assert before == after


def test_shipment_page_shows_the_tracking_timeline(portal, client, parcels):
    from logistics.models import Shipment

    parcel = Shipment.objects.get(waybill_number="SF-DRY-1")
    client.force_login(portal["agent"])
    page = client.get(f"/logistics/shipments/{parcel.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="tracking-timeline"' in page
    assert page.index("已到达 武汉中转场") < page.index("已揽收")  # newest first
    assert "139****5678" in page and "13912345678" not in page


def test_list_page_filters(portal, client, parcels):
    client.force_login(portal["logistics"])
    page = client.get("/logistics/shipments/", {"status": "delivered"}).content.decode()
    assert "SF-DRY-2" in page and "SF-DRY-1" not in page
    page = client.get("/logistics/shipments/", {"alert_kind": "last_mile_delay"}).content.decode()
    assert "SF-BIKE-1" in page and "SF-DRY-1" not in page
    page = client.get("/logistics/alerts/", {"kind": "stalled"}).content.decode()
    assert "SF-DRY-1" in page and "SF-BIKE-1" not in page


def test_navigation_entries(portal, client):
    client.force_login(portal["logistics"])
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for href in ("/logistics/shipments/", "/logistics/alerts/", "/logistics/imports/"):
        assert f'href="{href}"' in page
    client.force_login(portal["agent"])
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/logistics/shipments/"' in page and 'href="/logistics/alerts/"' not in page
