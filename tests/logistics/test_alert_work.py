"""Alert work through the API and the alert page: acknowledge, carrier contact, customer call,
compensation with approval limits per role, resolve; everything lands on the alert's timeline."""

from decimal import Decimal

import pytest

from logistics.alerts import scan_logistics
from logistics.models import Alert, AlertEntry, Compensation
from portal.models import Notification
from tests.logistics.factories import REPORT_TIME, event, ingest

NOW = REPORT_TIME


@pytest.fixture
def alert(portal, carrier):
    store = portal.stores["clouddry-tmall"]
    ingest(carrier, store, [
        event("SF1", "2026-11-16 10:00:00", "50", "已揽收", "T-1"),
        event("SF1", "2026-11-17 09:55:12", "31", "已到达 武汉中转场", "T-1"),
    ])
    scan_logistics(now=NOW)
    return Alert.objects.get()


def url(alert, action=""):
    return f"/api/v1/logistics/alerts/{alert.pk}/" + (f"{action}/" if action else "")


def timeline(alert):
    return list(alert.entries.order_by("at", "id").values_list("kind", flat=True))


def test_full_alert_work_through_the_api(portal, api, alert):
    api.as_user(portal["logistics"])
    response = api.post(url(alert, "acknowledge"), {"note": "On it"})
    assert response.status_code == 200, response.content
    assert response.json()["alert"]["acknowledged_by"] == "logistics"
    assert api.post(url(alert, "acknowledge")).status_code == 400  # only once

    response = api.post(url(alert, "contact_carrier"), {
        "outlet": "武汉中转场", "contact_name": "调度台 小李", "contacted_at": "2026-11-20T08:30",
        "promise": "今天 12:00 前发出", "follow_up_at": "2099-11-20T12:30"})
    assert response.status_code == 200, response.content
    assert response.json()["alert"]["follow_up_at"].startswith("2099-11-20T12:30")

    response = api.post(url(alert, "contact_customer"), {"called_at": "2026-11-20T08:40", "outcome": "informed",
                                                         "note": "Customer is fine with tomorrow"})
    assert response.status_code == 200, response.content

    response = api.post(url(alert, "compensate"), {"kind": "coupon", "amount": "20", "note": "Sorry coupon"})
    assert response.status_code == 200
    assert response.json()["alert"]["compensations"][0]["status"] == "approved"  # within 50 CNY

    response = api.post(url(alert, "resolve"), {"resolution": "Parcel moving again"})
    assert response.status_code == 200
    body = response.json()["alert"]
    assert body["status"] == "resolved" and body["resolved_by"] == "logistics"
    assert [entry["kind"] for entry in body["timeline"]] == [
        "opened", "acknowledged", "carrier_contacted", "customer_contacted", "compensation_offered",
        "compensation_approved", "resolved",
    ]
    assert api.post(url(alert, "contact_customer"), {"called_at": "2026-11-20T08:40", "outcome": "informed"}
                    ).status_code == 400  # resolved: no more work


def test_invalid_input_gets_field_errors_and_writes_nothing(portal, api, alert):
    api.as_user(portal["logistics"])
    response = api.post(url(alert, "contact_carrier"), {"contact_name": "", "contacted_at": "yesterday"})
    assert response.status_code == 400
    assert set(response.json()) >= {"contact_name", "contacted_at", "promise"}
    response = api.post(url(alert, "contact_carrier"), {
        "contact_name": "x", "contacted_at": "2099-01-01T00:00", "promise": "y"})
    assert response.status_code == 400 and "contacted_at" in response.json()  # in the future
    response = api.post(url(alert, "compensate"), {"kind": "voucher", "amount": "-5"})
    assert response.status_code == 400 and set(response.json()) == {"kind", "amount"}
    assert api.post(url(alert, "resolve"), {"resolution": ""}).status_code == 400
    assert timeline(alert) == ["opened"]


def offer(api, alert, amount):
    response = api.post(url(alert, "compensate"), {"kind": "cash", "amount": str(amount)})
    assert response.status_code == 200, response.content
    return Compensation.objects.order_by("-pk").first()


def test_compensation_above_the_coordinator_limit_needs_a_manager(portal, api, alert):
    api.as_user(portal["logistics"])
    compensation = offer(api, alert, 80)  # coordinator limit: 50 CNY
    assert compensation.status == Compensation.Status.PENDING_APPROVAL
    asked = Notification.objects.filter(subject__contains="waits for your approval")
    assert set(asked.values_list("recipient__username", flat=True)) >= {"manager", "director"}
    # The coordinator may not approve it, and an open approval blocks resolving.
    assert api.post(url(alert, "approve_compensation"), {"compensation": compensation.pk, "decision": "approve"}
                    ).status_code == 403
    assert api.post(url(alert, "resolve"), {"resolution": "done"}).status_code == 400

    api.as_user(portal["manager"])
    response = api.post(url(alert, "approve_compensation"), {"compensation": compensation.pk, "decision": "approve"})
    assert response.status_code == 200, response.content
    compensation.refresh_from_db()
    assert compensation.status == Compensation.Status.APPROVED and compensation.decided_by == portal["manager"]
    assert Notification.objects.filter(recipient=portal["logistics"], subject__startswith="Compensation approved"
                                       ).exists()
    assert timeline(alert)[-2:] == [AlertEntry.Kind.COMPENSATION_OFFERED, AlertEntry.Kind.COMPENSATION_APPROVED]


def test_above_the_manager_limit_a_director_approves(portal, api, alert):
    api.as_user(portal["logistics"])
    compensation = offer(api, alert, 800)
    api.as_user(portal["manager"])
    response = api.post(url(alert, "approve_compensation"), {"compensation": compensation.pk, "decision": "approve"})
    assert response.status_code == 400
    assert "above your approval limit of 500" in response.json()["compensation"][0]
    api.as_user(portal["director"])
    assert api.post(url(alert, "approve_compensation"), {"compensation": compensation.pk, "decision": "approve"}
                    ).status_code == 200
    compensation.refresh_from_db()
    assert compensation.status == Compensation.Status.APPROVED


def test_a_manager_may_reject(portal, api, alert):
    api.as_user(portal["logistics"])
    compensation = offer(api, alert, Decimal("60.50"))
    api.as_user(portal["manager"])
    assert api.post(url(alert, "approve_compensation"), {"compensation": compensation.pk, "decision": "reject",
                                                         "note": "Coupon instead"}).status_code == 200
    compensation.refresh_from_db()
    assert compensation.status == Compensation.Status.REJECTED
    assert api.post(url(alert, "approve_compensation"), {"compensation": compensation.pk, "decision": "approve"}
                    ).status_code == 400  # no longer waiting


def test_roles_through_the_api(portal, api, alert):
    for username, expected in [("agent", 403), ("chairman", 403), ("manager", 403), ("integration", 403)]:
        api.as_user(portal[username])
        assert api.post(url(alert, "acknowledge")).status_code == expected, username
    for username, expected in [("agent", 403), ("integration", 403), ("chairman", 200), ("director", 200),
                               ("manager", 200), ("logistics", 200)]:
        api.as_user(portal[username])
        assert api.get("/api/v1/logistics/alerts/").status_code == expected, username


def test_alert_page_forms(portal, client, alert):
    client.force_login(portal["logistics"])
    page = client.get(f"/logistics/alerts/{alert.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    body = page.content.decode()
    for action in ("acknowledge", "contact_carrier", "contact_customer", "compensate", "open_ticket", "resolve"):
        assert f'data-testid="form-{action}"' in body
    assert 'data-testid="form-approve_compensation"' not in body  # nothing to approve, and not this role

    bad = client.post(f"/logistics/alerts/{alert.pk}/compensate/",
                      {"compensate-kind": "cash", "compensate-amount": "abc"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400
    assert "Enter a number." in bad.content.decode()

    ok = client.post(f"/logistics/alerts/{alert.pk}/contact_customer/",
                     {"contact_customer-called_at": "2026-11-20T08:40", "contact_customer-outcome": "no_answer"})
    assert ok.status_code == 302 and ok.url == f"/logistics/alerts/{alert.pk}/"
    page = client.get(ok.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-kind="customer_contacted"' in page

    client.force_login(portal["chairman"])  # view only: no forms, and a POST is refused
    assert 'data-testid="form-' not in client.get(f"/logistics/alerts/{alert.pk}/").content.decode()
    assert client.post(f"/logistics/alerts/{alert.pk}/resolve/", {"resolve-resolution": "x"}).status_code == 403


def test_manager_approves_on_the_page(portal, client, api, alert):
    api.as_user(portal["logistics"])
    compensation = offer(api, alert, 120)
    client.force_login(portal["manager"])
    page = client.get(f"/logistics/alerts/{alert.pk}/").content.decode()
    assert 'data-testid="form-approve_compensation"' in page
    response = client.post(f"/logistics/alerts/{alert.pk}/approve_compensation/", {
        "approve_compensation-compensation": compensation.pk, "approve_compensation-decision": "approve"})
    assert response.status_code == 302
    compensation.refresh_from_db()
    assert compensation.status == Compensation.Status.APPROVED


def test_open_a_linked_proactive_ticket_in_one_click(portal, api, client, alert):
    from portal.models import Team
    from tests.tickets.factories import make_queue
    from tickets.models import Ticket, TimelineEntry

    make_queue(Team.objects.get(name="晾衣架客服组"))
    api.as_user(portal["logistics"])
    response = api.post(url(alert, "open_ticket"), {"note": "Customer asked twice already"})
    assert response.status_code == 200, response.content
    ticket = Ticket.objects.get()
    assert response.json()["alert"]["ticket"] == ticket.pk
    assert (ticket.channel, ticket.category, ticket.order_no, ticket.store.code) == (
        "proactive", "logistics", "T-1", "clouddry-tmall")
    assert "SF1" in ticket.subject
    created = TimelineEntry.objects.get(ticket=ticket, kind=TimelineEntry.Kind.CREATED)
    assert created.data["logistics_alert"] == alert.pk and created.data["waybill"] == "SF1"
    assert timeline(alert)[-1] == AlertEntry.Kind.TICKET_OPENED
    assert api.post(url(alert, "open_ticket")).status_code == 400  # one linked ticket per alert

    client.force_login(portal["logistics"])
    page = client.get(f"/logistics/alerts/{alert.pk}/").content.decode()
    assert f'href="/tickets/{ticket.pk}/"' in page and 'data-testid="form-open_ticket"' not in page


def test_open_ticket_without_a_queue_is_a_clear_error(portal, api, alert):
    api.as_user(portal["logistics"])
    response = api.post(url(alert, "open_ticket"))
    assert response.status_code == 400 and "queue" in response.json()
    assert alert.entries.count() == 1 and Alert.objects.get().ticket_id is None


def test_alert_timeline_shows_amounts_local_times_carrier_names_and_full_names(portal, api, client, alert):
    user = portal["logistics"]
    user.first_name, user.last_name = "Li", "Wei"
    user.save()
    api.as_user(user)
    api.post(url(alert, "contact_carrier"), {"outlet": "武汉中转场", "contact_name": "小李", "contacted_at": "2026-11-20T08:30",
                                             "promise": "today", "follow_up_at": "2099-11-28T10:00:00Z"})
    offer(api, alert, 5000)
    client.force_login(user)
    page = client.get(f"/logistics/alerts/{alert.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    timeline_html = page.split('data-testid="alert-timeline"')[1].split("</ol>")[0]
    assert "Cash ¥5,000" in timeline_html and "CNY" not in timeline_html
    assert "28 Nov 2099 18:00" in timeline_html and "2099-11-28T" not in timeline_html
    assert "Li Wei" in timeline_html and "· logistics" not in timeline_html
    assert f"{alert.shipment.carrier.name} SF1" in page
    assert "Unknown" not in client.get("/logistics/alerts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_alert_forms_start_at_now_with_the_parcels_outlet_and_its_citys_directory(portal, client, alert):
    from django.utils import timezone

    from logistics.models import CarrierOutlet

    shipment = alert.shipment
    shipment.last_outlet = "武汉洪山网点"
    shipment.consignee_phone = "17012345678-1234"
    shipment.save(update_fields=["last_outlet", "consignee_phone"])
    CarrierOutlet.objects.create(carrier=shipment.carrier, name="武汉洪山网点", city="武汉", phone="027-1111 2222")
    CarrierOutlet.objects.create(carrier=shipment.carrier, name="武汉江岸网点", city="武汉", phone="027-3333 4444")
    CarrierOutlet.objects.create(carrier=shipment.carrier, name="上海浦东网点", city="上海", phone="021-5555 6666")
    client.force_login(portal["logistics"])
    before = timezone.localtime().replace(second=0, microsecond=0)
    page = client.get(f"/logistics/alerts/{alert.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    carrier_form = page.split('data-testid="form-contact_carrier"')[1].split("</form>")[0]
    assert 'name="contact_carrier-outlet" value="武汉洪山网点"' in carrier_form
    assert f'list="outlets-{alert.pk}"' in carrier_form
    now_value = carrier_form.split('name="contact_carrier-contacted_at" value="')[1][:16]
    assert before.strftime("%Y-%m-%dT%H:") in now_value or now_value >= before.strftime("%Y-%m-%dT%H:%M")
    customer_form = page.split('data-testid="form-contact_customer"')[1].split("</form>")[0]
    assert 'name="contact_customer-called_at" value="' in customer_form
    directory = page.split('data-testid="outlet-directory"')[1].split("</ul>")[0]
    assert "武汉江岸网点" in directory and "上海浦东网点" not in directory
    # The consignee's phone: masked, with click-to-call for a role that calls customers.
    consignee = page.split('data-testid="consignee"')[1].split("</td>")[0]
    assert "17012345678" not in consignee and 'data-testid="pii-call"' in consignee
    client.force_login(portal["manager"])  # sees alerts, does not call customers: masked, no call link
    consignee = client.get(f"/logistics/alerts/{alert.pk}/").content.decode().split('data-testid="consignee"')[1]
    assert 'data-testid="pii-call"' not in consignee.split("</td>")[0]
