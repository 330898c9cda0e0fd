"""Carrier configuration in admin, and the admin on the same store scope as UI and API."""

from logistics.models import Shipment
from tests.logistics.factories import event, ingest


def test_admin_edits_the_carrier_maps(portal, client, carrier):
    client.force_login(portal["admin"])
    page = client.get(f"/admin/logistics/carrier/{carrier.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "status_map-0-code" in body and "report_columns-0-waybill" in body and "outlets-0-name" in body
    for url in ("/admin/logistics/shipment/", "/admin/logistics/alert/", "/admin/logistics/trackingimport/"):
        assert client.get(url).status_code == 200


def test_admin_shows_only_the_stores_in_scope(portal, client, carrier):
    ingest(carrier, portal.stores["clouddry-tmall"], [event("SF-DRY", "2026-11-18 10:00:00", "50", "已揽收")])
    ingest(carrier, portal.stores["swiftride-tmall"], [event("SF-BIKE", "2026-11-18 10:00:00", "50", "已揽收")])
    agent = portal["agent"]
    agent.is_staff = True
    agent.save()
    client.force_login(agent)
    body = client.get("/admin/logistics/shipment/").content.decode()
    assert "SF-DRY" in body and "SF-BIKE" not in body
    bike = Shipment.objects.get(waybill_number="SF-BIKE")
    assert client.get(f"/admin/logistics/shipment/{bike.pk}/change/").status_code in (302, 404)
    assert client.get("/admin/logistics/carrier/").status_code == 200  # may read carriers
    assert client.post("/admin/logistics/carrier/add/", {"code": "ZZ"}).status_code == 403
