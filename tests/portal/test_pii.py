"""The one PII rule (portal/pii.py): maskers, the predicate per model and role, and the audited
reveal through the page endpoint and the API."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from installation.models import InstallationJob
from portal import pii
from portal.models import PiiAccess
from tests.portal.pii_helpers import ADDRESS, NAME, PHONE, PiiWorld
from tickets import services
from tickets.models import Ticket

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def w(db):
    return PiiWorld()


# --- Maskers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "masked"), [
    ("13812345678", "138****5678"),
    ("0571-88886666", "057******6666"),
    ("12345678", "123*5678"),
    ("1234567", "1******"),  # too short to show 3 + 4: only the first
    ("", ""),
])
def test_mask_phone_keeps_the_first_3_and_last_4(value, masked):
    assert pii.mask_phone(value) == masked


@pytest.mark.parametrize(("value", "masked"), [("王小明", "王**"), ("欧阳", "欧*"), ("王", "王*"), ("", "")])
def test_mask_name_keeps_the_first_character(value, masked):
    assert pii.mask_name(value) == masked


@pytest.mark.parametrize(("value", "masked"), [
    ("浙江省杭州市西湖区文三路100号", "浙江省杭州市****"),
    ("上海市浦东新区世纪大道1号", "上海市****"),
    ("广西壮族自治区南宁市青秀区民族大道1号", "广西壮族自治区南宁市****"),
    ("吉林省延边朝鲜族自治州延吉市某路", "吉林省延边朝鲜族自治州****"),
    ("上海浦东张江路1号", "上海浦****"),  # no province or city: the first third
    ("Baker Street 221B", "Baker****"),
    ("", ""),
])
def test_mask_address_keeps_province_and_city(value, masked):
    assert pii.mask_address(value) == masked


def test_every_model_with_customer_contact_data_is_registered():
    registered = {rule.label: rule.fields for rule in pii.rules()}
    assert registered["tickets.ticket"] == {"customer_phone": pii.PHONE, "customer_address": pii.ADDRESS}
    assert registered["logistics.shipment"] == {"consignee_name": pii.NAME, "consignee_phone": pii.PHONE,
                                                "consignee_address": pii.ADDRESS}
    assert registered[InstallationJob._meta.label_lower] == {"customer_name": pii.NAME, "customer_phone": pii.PHONE,
                                                             "address": pii.ADDRESS}
    with pytest.raises(ValueError):
        pii.register(Ticket, fields={"subject": "email"}, may_see=lambda user, obj: True)


# --- The predicate per model and role ---------------------------------------------------------


def test_ticket_rule_assignee_or_view_pii_in_scope(w):
    allowed = {u.username for u in (w.agent, w.agent2, w.lead, w.other_agent, w.refund, w.manager, w.director,
                                    w.executive, w.admin, w.logistics, w.installer, w.partner_user, w.root)
               if pii.may_see(u, w.t)}
    assert allowed == {"lead_a", "mgr", "dir", "adm", "root"}
    services.assign(w.t, actor=w.lead, assignee=w.agent, now=w.t.created_at)
    w.t.refresh_from_db()
    assert pii.may_see(w.agent, w.t) and not pii.may_see(w.agent2, w.t)
    # The lead's view_pii does not reach a ticket of another team.
    assert not pii.may_see(w.lead, w.other_t) and pii.may_see(w.other_agent, w.other_t) is False
    assert not pii.may_see(AnonymousUser(), w.t) and not pii.may_see(None, w.t)
    w.lead.is_active = False
    assert not pii.may_see(w.lead, w.t)


def test_shipment_rule_roles_that_call_customers(w):
    allowed = {u.username for u in (w.agent, w.lead, w.manager, w.director, w.executive, w.admin, w.logistics,
                                    w.installer, w.partner_user) if pii.may_see(u, w.shipment)}
    assert allowed == {"dir", "adm", "log"}


def test_installation_job_rule_roles_that_arrange_the_visit(w):
    allowed = {u.username for u in (w.agent, w.lead, w.manager, w.director, w.executive, w.admin, w.logistics,
                                    w.installer, w.partner_user) if pii.may_see(u, w.job)}
    assert allowed == {"dir", "adm", "ins", "crew-api"}


def test_the_ticket_rule_runs_per_row_without_queries(w):
    tickets = list(Ticket.objects.select_related("queue"))
    pii.may_see(w.lead, tickets[0])  # roles and teams are loaded once per request (cached on the user)
    with CaptureQueriesContext(connection) as captured:
        for ticket in tickets:
            pii.may_see(w.lead, ticket)
            pii.html(w.lead, ticket, "customer_phone")
    assert len(captured) == 0


def test_html_is_masked_with_a_show_button_only_where_allowed(w):
    shown = pii.html(w.lead, w.t, "customer_phone")
    assert "138****5678" in shown and PHONE not in shown and 'class="pii-show"' in shown
    assert 'data-pii-object="tickets.ticket"' in shown and f'data-pii-id="{w.t.pk}"' in shown
    assert pii.html(w.agent, w.t, "customer_phone") == '<span class="pii">138****5678</span>'
    w.t.customer_phone = ""
    assert pii.html(w.lead, w.t, "customer_phone", empty="—") == "—"


# --- Reveal from a page -------------------------------------------------------------------------


def reveal(client, user, **data):
    client.force_login(user)
    return client.post("/pii/reveal/", data, **EN)


def test_page_reveal_returns_the_value_and_writes_one_audit_row(w, client):
    response = reveal(client, w.lead, model="tickets.ticket", id=w.t.pk, field="customer_phone",
                      page=f"/tickets/{w.t.pk}/")
    assert response.status_code == 200 and response.json() == {"value": PHONE}
    access = PiiAccess.objects.get()
    assert (access.user, access.content_type, access.object_id, access.store, access.field, access.channel,
            access.source) == (w.lead, ContentType.objects.get_for_model(Ticket), w.t.pk, w.store, "customer_phone",
                               "page", f"/tickets/{w.t.pk}/")
    response = reveal(client, w.logistics, model="logistics.shipment", id=w.shipment.pk, field="consignee_address",
                      page="/admin/logistics/shipment/1/change/")
    assert response.json() == {"value": ADDRESS}
    assert PiiAccess.objects.count() == 2 and PiiAccess.objects.latest("id").channel == "admin"
    # Without a `page`, the referring page is recorded.
    client.force_login(w.installer)
    response = client.post("/pii/reveal/", {"model": InstallationJob._meta.label_lower, "id": w.job.pk,
                                            "field": "customer_name"}, HTTP_REFERER=f"http://testserver/x/{w.job.pk}/")
    assert response.json() == {"value": NAME}
    assert PiiAccess.objects.latest("id").source == f"/x/{w.job.pk}/"


def test_page_reveal_refused_when_the_rule_says_no(w, client):
    response = reveal(client, w.agent, model="tickets.ticket", id=w.t.pk, field="customer_phone")
    assert response.status_code == 403 and PHONE not in response.content.decode()
    assert reveal(client, w.agent, model="logistics.shipment", id=w.shipment.pk,
                  field="consignee_phone").status_code == 403
    assert not PiiAccess.objects.exists()


def test_page_reveal_answers_out_of_scope_as_not_existing(w, client):
    out_of_scope = reveal(client, w.lead, model="tickets.ticket", id=w.other_t.pk, field="customer_phone")
    missing = reveal(client, w.lead, model="tickets.ticket", id=999999, field="customer_phone")
    assert out_of_scope.status_code == missing.status_code == 400
    assert out_of_scope.json() == missing.json() == {"id": ["No such object."]}
    assert not PiiAccess.objects.exists()


def test_page_reveal_bad_input(w, client):
    assert reveal(client, w.lead, model="tickets.ticket", id="x", field="customer_phone").json() == {
        "id": ["Enter a whole number."]}
    assert reveal(client, w.lead, model="tickets.queue", id=w.t.pk, field="name").json() == {
        "object": ["Not an object with personal data."]}
    assert reveal(client, w.lead, model="tickets.ticket", id=w.t.pk, field="subject").json() == {
        "field": ["Not a personal-data field of this object."]}
    assert set(reveal(client, w.lead).json()) == {"model", "id", "field"}
    assert not PiiAccess.objects.exists()


def test_page_reveal_needs_a_login_and_the_csrf_token(w):
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post("/pii/reveal/", {"model": "tickets.ticket", "id": w.t.pk,
                                           "field": "customer_phone"}).status_code == 403
    client = Client(enforce_csrf_checks=True)
    client.force_login(w.lead)
    assert client.post("/pii/reveal/", {"model": "tickets.ticket", "id": w.t.pk,
                                        "field": "customer_phone"}).status_code == 403
    client.get(f"/tickets/{w.t.pk}/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post("/pii/reveal/", {"model": "tickets.ticket", "id": w.t.pk, "field": "customer_phone"},
                           HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and PiiAccess.objects.count() == 1


# --- Reveal through the API ---------------------------------------------------------------------


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_reveal_returns_the_value_and_writes_one_audit_row(w):
    response = api(w.lead).post("/api/v1/pii/reveal/", {"object": "tickets.ticket", "id": w.t.pk,
                                                        "field": "customer_address"}, format="json")
    assert response.status_code == 200 and response.json() == {"value": ADDRESS}
    access = PiiAccess.objects.get()
    assert (access.user, access.object_id, access.field, access.channel, access.source) == (
        w.lead, w.t.pk, "customer_address", "api", "POST /api/v1/pii/reveal/")
    response = api(w.logistics).post("/api/v1/pii/reveal/", {"object": "logistics.shipment", "id": w.shipment.pk,
                                                             "field": "consignee_name"}, format="json")
    assert response.json() == {"value": NAME} and PiiAccess.objects.count() == 2


def test_api_reveal_refused_when_the_rule_says_no(w):
    response = api(w.agent).post("/api/v1/pii/reveal/", {"object": "tickets.ticket", "id": w.t.pk,
                                                         "field": "customer_phone"}, format="json")
    assert response.status_code == 403 and response.json() == {
        "detail": "You may not see this customer's personal data."}
    response = api(w.manager).post("/api/v1/pii/reveal/", {"object": "logistics.shipment", "id": w.shipment.pk,
                                                           "field": "consignee_phone"}, format="json")
    assert response.status_code == 403
    assert APIClient().post("/api/v1/pii/reveal/", {"object": "tickets.ticket", "id": w.t.pk,
                                                    "field": "customer_phone"}, format="json").status_code == 401
    assert not PiiAccess.objects.exists()


@pytest.mark.parametrize(("body", "errors"), [
    ({"object": "tickets.ticket", "id": "1", "field": "customer_phone"}, {"id": ["A valid integer is required."]}),
    ({"object": "tickets.ticket", "id": True, "field": "customer_phone"}, {"id": ["A valid integer is required."]}),
    ({"object": "tickets.ticket", "id": 1.0, "field": "customer_phone"}, {"id": ["A valid integer is required."]}),
    ({"object": "tickets.ticket", "id": 0, "field": "customer_phone"},
     {"id": ["Ensure this value is greater than or equal to 1."]}),
    ({"object": 7, "id": 1, "field": "customer_phone"}, {"object": ["Not a valid string."]}),
    ({"object": "tickets.ticket", "id": 1, "field": ["customer_phone"]}, {"field": ["Not a valid string."]}),
    ({"object": "tickets.ticket", "id": 1}, {"field": ["This field is required."]}),
    ({"object": "auth.user", "id": 1, "field": "email"}, {"object": ["Not an object with personal data."]}),
    ({"object": "tickets.ticket", "id": 1, "field": "buyer_nick"},
     {"field": ["Not a personal-data field of this object."]}),
])
def test_api_reveal_type_checks_every_field(w, body, errors):
    response = api(w.lead).post("/api/v1/pii/reveal/", body, format="json", **EN)
    assert response.status_code == 400 and response.json() == errors
    assert not PiiAccess.objects.exists()


def test_api_reveal_rejects_a_body_that_is_not_an_object(w):
    response = api(w.lead).post("/api/v1/pii/reveal/", [1, 2], format="json", **EN)
    assert response.status_code == 400 and "non_field_errors" in response.json()


def test_api_reveal_answers_out_of_scope_as_not_existing(w):
    body = {"object": "tickets.ticket", "field": "customer_phone"}
    out_of_scope = api(w.lead).post("/api/v1/pii/reveal/", {**body, "id": w.other_t.pk}, format="json", **EN)
    missing = api(w.lead).post("/api/v1/pii/reveal/", {**body, "id": 999999}, format="json", **EN)
    assert out_of_scope.status_code == missing.status_code == 400
    assert out_of_scope.json() == missing.json() == {"id": ["No such object."]}


# --- Integration clients ------------------------------------------------------------------------


def test_a_partner_client_gets_its_jobs_contact_data_and_each_serving_is_audited(w):
    client = api(w.partner_user)
    row = client.get("/api/v1/installations/").json()["results"][0]
    assert (row["customer_name"], row["customer_phone"], row["address"]) == (NAME, PHONE, ADDRESS)
    rows = PiiAccess.objects.filter(user=w.partner_user)
    assert sorted(rows.values_list("field", flat=True)) == ["address", "customer_name", "customer_phone"]
    assert {(r.object_id, r.channel, r.source, r.store_id) for r in rows} == {
        (w.job.pk, "api", "GET /api/v1/installations/", w.store.pk)}
    assert client.get(f"/api/v1/installations/{w.job.pk}/").json()["customer_phone"] == PHONE
    assert PiiAccess.objects.filter(user=w.partner_user).count() == 6
    # Staff who may see it get it masked in the payload and reveal one value at a time.
    row = api(w.installer).get(f"/api/v1/installations/{w.job.pk}/").json()
    assert (row["customer_name"], row["customer_phone"], row["address"]) == ("王**", "138****5678", "浙江省杭州市****")
    assert PiiAccess.objects.count() == 6


def test_payload_value_for_a_caller_who_may_not_see_is_masked_and_not_audited(w):
    row = api(w.agent).get(f"/api/v1/tickets/{w.t.pk}/").json()
    assert (row["customer_phone"], row["customer_address"]) == ("138****5678", "浙江省杭州市****")
    row = api(w.director).get(f"/api/v1/logistics/shipments/{w.shipment.pk}/").json()
    assert (row["consignee_name"], row["consignee_phone"]) == ("王**", "138****5678")
    assert not PiiAccess.objects.exists()



def test_api_reveal_takes_json_only(w):
    response = api(w.lead).post("/api/v1/pii/reveal/", {"object": "tickets.ticket", "id": w.t.pk,
                                                        "field": "customer_phone"}, format="multipart")
    assert response.status_code == 415 and not PiiAccess.objects.exists()


def test_values_reach_an_integration_client_only_where_the_serving_is_audited(w):
    request = SimpleNamespace(user=w.partner_user, method="GET", path="/somewhere/")
    assert pii.payload_value(request, w.job, "customer_phone") == "138****5678"  # no audit opened: masked
    pii.open_disclosures(request)
    assert pii.payload_value(request, w.job, "customer_phone") == PHONE
    assert pii.payload_value(request, w.t, "customer_phone") == "138****5678"  # the rule says no
    assert pii.flush_disclosures(request, now=w.t.created_at) == 1
    assert PiiAccess.objects.get().source == "GET /somewhere/"
