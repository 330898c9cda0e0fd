"""Carrier configuration in admin, and the admin on the same store scope as UI and API."""

import pytest

from logistics.models import Shipment
from portal import permissions
from tests.admin_forms import read_admin_form
from tests.logistics.factories import event, ingest, make_coordinator


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
    # Out of scope answers as for a shipment that does not exist: back to the admin index.
    missing = client.get("/admin/logistics/shipment/999999/change/")
    hidden = client.get(f"/admin/logistics/shipment/{bike.pk}/change/")
    assert (hidden.status_code, hidden["Location"]) == (missing.status_code, missing["Location"]) == (302, "/admin/")
    assert client.get("/admin/logistics/carrier/").status_code == 200  # may read carriers
    assert client.post("/admin/logistics/carrier/add/", {"code": "ZZ"}).status_code == 403


@pytest.fixture
def staff_coordinator(portal, carrier):
    """A logistics coordinator (staff) whose scope is the CloudDry store only, and a parcel of it."""
    dry, bike = portal.stores["clouddry-tmall"], portal.stores["swiftride-tmall"]
    coordinator = make_coordinator([dry])
    coordinator.is_staff = True
    coordinator.save()
    ingest(carrier, dry, [event("SF-DRY", "2026-11-18 10:00:00", "50", "已揽收")])
    return coordinator, Shipment.objects.get(waybill_number="SF-DRY"), dry, bike


def change_form(client, shipment):
    page = client.get(f"/admin/logistics/shipment/{shipment.pk}/change/")
    assert page.status_code == 200
    return read_admin_form(page.content.decode(), "shipment")


def test_admin_offers_only_in_scope_stores(staff_coordinator, client):
    coordinator, parcel, dry, bike = staff_coordinator
    client.force_login(coordinator)
    _data, options = change_form(client, parcel)
    assert set(options["store"]) - {""} == {str(dry.pk)}


def test_staff_cannot_move_a_shipment_to_a_store_outside_their_scope(staff_coordinator, client):
    coordinator, parcel, dry, bike = staff_coordinator
    client.force_login(coordinator)
    data, _options = change_form(client, parcel)
    data["store"] = str(bike.pk)
    response = client.post(f"/admin/logistics/shipment/{parcel.pk}/change/", data)
    assert response.status_code == 200  # the form again, with the store refused as for an unknown one
    assert response.context["adminform"].form.errors["store"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    parcel.refresh_from_db()
    assert parcel.store_id == dry.pk


def test_admin_re_checks_scope_after_the_save_and_rolls_back(staff_coordinator, client, monkeypatch):
    """NetBox's post-save check: a store the user may view but not change shipments of is refused
    after the save, inside the transaction (403, nothing kept)."""
    coordinator, parcel, dry, bike = staff_coordinator
    coordinator.memberships.get().team.stores.add(bike)
    view_rule = permissions.rule_for(Shipment)

    def narrower_for_change(queryset, user, action):
        queryset = view_rule(queryset, user, action)
        return queryset.exclude(store=bike) if action == "change" else queryset

    monkeypatch.setitem(permissions._RULES, Shipment, narrower_for_change)
    client.force_login(coordinator)
    data, options = change_form(client, parcel)
    assert str(bike.pk) in options["store"]
    data.update(store=str(bike.pk), order_number="MOVED")
    response = client.post(f"/admin/logistics/shipment/{parcel.pk}/change/", data)
    assert response.status_code == 403
    parcel.refresh_from_db()
    assert (parcel.store_id, parcel.order_number) == (dry.pk, "")


def test_admin_saves_a_change_within_scope(staff_coordinator, client):
    coordinator, parcel, dry, bike = staff_coordinator
    client.force_login(coordinator)
    data, _options = change_form(client, parcel)
    data["order_number"] = "T-42"
    response = client.post(f"/admin/logistics/shipment/{parcel.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    parcel.refresh_from_db()
    assert parcel.order_number == "T-42"
