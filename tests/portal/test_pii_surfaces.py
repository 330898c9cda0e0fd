"""Every surface shows personal data masked (portal.pii): the pages (tickets, shipments, alerts,
installation jobs), the ticket edit form, admin (lists and change forms), and the audit's own admin.
API payloads and the CSV export are covered in test_pii.py and tests/tickets/test_ui.py."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from installation.models import InstallationJob
from logistics.models import Alert, AlertKind
from portal.models import PiiAccess
from tests.portal.pii_helpers import ADDRESS, NAME, NOW, PHONE, PiiWorld
from tickets.models import Ticket, TimelineEntry

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
MASKED = ("138****5678", "浙江省杭州市****", "王**")


@pytest.fixture
def w(db):
    world = PiiWorld()
    world.alert = Alert.objects.create(shipment=world.shipment, kind=AlertKind.STALLED, cause=Alert.Cause.NO_SCAN,
                                       trigger_at=NOW, opened_at=NOW)
    return world


def html(client, user, url):
    client.force_login(user)
    response = client.get(url, **EN)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def show_buttons(page):
    """(object, id, field) of every "show" control on the page."""
    return set(re.findall(r'data-pii-object="([^"]+)" data-pii-id="(\d+)" data-pii-field="([^"]+)"', page))


def assert_masked(page, *masked):
    for value in (PHONE, ADDRESS, NAME):
        assert value not in page
    for value in masked:
        assert value in page


# --- Pages ------------------------------------------------------------------------------------


def test_shipment_and_alert_pages(w, client):
    shipment = str(w.shipment.pk)
    every_field = {("logistics.shipment", shipment, f)
                   for f in ("consignee_name", "consignee_phone", "consignee_address")}
    page = html(client, w.logistics, f"/logistics/shipments/{shipment}/")
    assert_masked(page, "138****5678", "王**", "浙江省杭州市****")
    assert show_buttons(page) == every_field
    page = html(client, w.logistics, f"/logistics/alerts/{w.alert.pk}/")
    assert_masked(page, "138****5678", "王**")
    assert show_buttons(page) == every_field - {("logistics.shipment", shipment, "consignee_address")}
    # Roles that do not call customers: masked, no button.
    page = html(client, w.lead, f"/logistics/shipments/{shipment}/")
    assert_masked(page, "138****5678", "王**", "浙江省杭州市****")
    assert show_buttons(page) == set()
    page = html(client, w.manager, f"/logistics/alerts/{w.alert.pk}/")
    assert_masked(page, "138****5678", "王**")
    assert show_buttons(page) == set()


def test_installation_job_page(w, client):
    label, job = InstallationJob._meta.label_lower, str(w.job.pk)
    page = html(client, w.installer, f"/logistics/installations/{job}/")
    assert_masked(page, *MASKED)
    assert show_buttons(page) == {(label, job, f) for f in ("customer_name", "customer_phone", "address")}
    page = html(client, w.lead, f"/logistics/installations/{job}/")
    assert_masked(page, *MASKED)
    assert show_buttons(page) == set()


def test_ticket_list_shows_buttons_per_row_where_allowed(w, client):
    client.force_login(w.lead)
    client.post("/tickets/columns/", {"columns": ["subject", "customer_phone", "customer_address"], "next": "/tickets/"})
    page = html(client, w.lead, "/tickets/")
    assert_masked(page, "138****5678", "浙江省杭州市****")
    assert show_buttons(page) == {("tickets.ticket", str(w.t.pk), "customer_phone"),
                                  ("tickets.ticket", str(w.t.pk), "customer_address")}


def test_ticket_edit_form_shows_pii_masked_and_keeps_it_unless_retyped(w, client):
    page = html(client, w.lead, f"/tickets/{w.t.pk}/edit/")
    assert 'name="edit-customer_phone" value="138****5678"' in page and PHONE not in page
    form = {"edit-subject": "Rack", "edit-category": w.t.category, "edit-priority": w.t.priority,
            "edit-order_no": w.t.order_no, "edit-buyer_nick": w.t.buyer_nick,
            "edit-customer_phone": "138****5678", "edit-customer_address": "浙江省杭州市****"}
    assert client.post(f"/tickets/{w.t.pk}/edit/", form).status_code == 302
    w.t.refresh_from_db()
    assert (w.t.subject, w.t.customer_phone, w.t.customer_address) == ("Rack", PHONE, ADDRESS)
    # A half-edited masked value is refused; a new value replaces the old one.
    response = client.post(f"/tickets/{w.t.pk}/edit/", {**form, "edit-customer_phone": "139****5678"}, **EN)
    assert response.status_code == 200 and "Type the whole new value" in response.content.decode()
    assert client.post(f"/tickets/{w.t.pk}/edit/", {**form, "edit-customer_phone": "13900001111"}).status_code == 302
    w.t.refresh_from_db()
    assert w.t.customer_phone == "13900001111" and w.t.customer_address == ADDRESS
    assert TimelineEntry.objects.filter(ticket=w.t, kind="field", data={"field": "customer_phone"}).count() == 1


# --- Admin ------------------------------------------------------------------------------------


def staff(user):
    user.is_staff = True
    user.save()
    return user


def test_admin_change_forms_show_pii_masked_and_read_only(w, client):
    job_url = f"/admin/{InstallationJob._meta.app_label}/installationjob/{w.job.pk}/change/"
    for url, fields in ((f"/admin/tickets/ticket/{w.t.pk}/change/", ("customer_phone", "customer_address")),
                        (f"/admin/logistics/shipment/{w.shipment.pk}/change/",
                         ("consignee_name", "consignee_phone", "consignee_address")),
                        (job_url, ("customer_name", "customer_phone", "address"))):
        page = html(client, w.root, url)
        assert PHONE not in page and ADDRESS not in page and "138****5678" in page, url
        for field in fields:
            assert f'name="{field}"' not in page and f"field-{field}" in page, (url, field)
        assert {f for _o, _i, f in show_buttons(page)} == set(fields), url
        assert "portal/pii.js" in page


def test_admin_shows_no_show_button_to_staff_who_may_not_see(w, client):
    page = html(client, staff(w.manager), f"/admin/logistics/shipment/{w.shipment.pk}/change/")
    assert_masked(page, "138****5678", "王**")
    assert show_buttons(page) == set()


def test_admin_list_display_masks_pii_columns(w, client):
    page = html(client, w.root, "/admin/logistics/shipment/")
    assert "王**" in page and NAME not in page
    assert ("logistics.shipment", str(w.shipment.pk), "consignee_name") in show_buttons(page)


def test_saving_a_shipment_in_admin_leaves_the_consignee_alone(w, client):
    client.force_login(w.root)
    page = client.get(f"/admin/logistics/shipment/{w.shipment.pk}/change/").content.decode()
    assert 'name="consignee_phone"' not in page
    data = {"store": w.store.pk, "order_number": "T1001", "carrier": w.shipment.carrier_id,
            "waybill_number": "SF-PII-1", "direction": "outbound", "product_skus": "[]",
            "consignee_phone": "13000000000",
            "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0", "events-MIN_NUM_FORMS": "0",
            "events-MAX_NUM_FORMS": "1000"}
    response = client.post(f"/admin/logistics/shipment/{w.shipment.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    w.shipment.refresh_from_db()
    assert w.shipment.consignee_phone == PHONE


# --- The audit in admin -----------------------------------------------------------------------


def reveal(client, user, obj, field):
    client.force_login(user)
    response = client.post("/pii/reveal/", {"model": obj._meta.label_lower, "id": obj.pk, "field": field})
    assert response.status_code == 200


def test_admin_lists_the_audit_read_only_with_filters(w, client):
    reveal(client, w.lead, w.t, "customer_phone")
    reveal(client, w.logistics, w.shipment, "consignee_phone")
    page = html(client, w.admin, "/admin/portal/piiaccess/")
    assert "lead_a" in page and "log" in page and "customer_phone" in page and "consignee_phone" in page
    by_user = html(client, w.admin, f"/admin/portal/piiaccess/?user__id__exact={w.lead.pk}")
    assert "customer_phone" in by_user and "consignee_phone" not in by_user
    ticket_type = ContentType.objects.get_for_model(Ticket)
    by_model = html(client, w.admin, f"/admin/portal/piiaccess/?content_type__id__exact={ticket_type.pk}")
    assert "customer_phone" in by_model and "consignee_phone" not in by_model
    day = NOW.date()
    by_date = html(client, w.admin, f"/admin/portal/piiaccess/?at__year={day.year}&at__month={day.month}")
    assert "customer_phone" in by_date
    assert client.get("/admin/portal/piiaccess/add/").status_code == 403
    access = PiiAccess.objects.first()
    assert client.post(f"/admin/portal/piiaccess/{access.pk}/delete/", {"post": "yes"}).status_code == 403
    page = html(client, w.admin, f"/admin/portal/piiaccess/{access.pk}/change/")
    assert 'name="field"' not in page  # read-only


def test_the_audit_is_for_administrators_only(w, client):
    reveal(client, w.lead, w.t, "customer_phone")
    client.force_login(staff(w.director))
    assert client.get("/admin/portal/piiaccess/").status_code == 403
    # Granting the permission by hand does not widen the scope: the rows stay hidden.
    w.director.user_permissions.add(Permission.objects.get(codename="view_piiaccess"))
    page = html(client, w.director, "/admin/portal/piiaccess/")
    assert "customer_phone" not in page and "0 personal-data accesses" in page
    assert "portal.view_piiaccess" in {f"{p.content_type.app_label}.{p.codename}"
                                       for p in w.admin.groups.get().permissions.all()}
