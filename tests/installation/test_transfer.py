"""One-click transfer of a ticket to installation (service, API action, ticket page button), the
ticket page's live stepper, and the installation pages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from installation.models import InstallationJob, InstallationTicketLink
from installation.services import record_event, transfer_to_installation
from logistics.models import Shipment
from tests.installation.factories import make_job, make_partner, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(portal):
    """The demo org with a customer-service queue and the installation team's queue, and one ticket."""
    from portal.models import Team
    from tickets.models import Queue
    from tickets.services import create_ticket

    store = portal.stores["clouddry-tmall"]
    service = Queue.objects.create(name="晾衣架客服", team=Team.objects.get(name="晾衣架客服组"), is_default=True)
    installation = Queue.objects.create(name="安装调度 Installation", team=Team.objects.get(name="安装组"),
                                        is_default=True)
    now = timezone.now()
    ticket = create_ticket(store=store, actor=portal["agent"], now=now, queue=service, order_no="T20261115001",
                           buyer_nick="晾衣小王", customer_phone="13712345678", customer_address="上海市浦东新区张江路 1 号",
                           subject="晾衣架什么时候来安装？", category="installation")
    product = make_product(store, "RACK-X1")
    partner = make_partner([store], "tmall-install")
    return {"store": store, "service": service, "installation": installation, "ticket": ticket,
            "product": product, "partner": partner, "now": now, **portal}


def test_the_transfer_moves_the_ticket_creates_the_job_and_records_both(desk):
    from tickets.models import TimelineEntry

    ticket, agent = desk["ticket"], desk["agent"]
    job = transfer_to_installation(ticket, actor=agent, now=desk["now"])
    ticket.refresh_from_db()
    assert ticket.queue == desk["installation"]
    assert (job.order_number, job.node, job.partner, job.customer_phone) == (
        "T20261115001", "requested", desk["partner"], "13712345678")
    kinds = list(TimelineEntry.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert "transfer" in kinds and "link" in kinds
    link_entry = TimelineEntry.objects.get(ticket=ticket, kind="link")
    assert link_entry.data == {"installation_job": job.pk} and f"#{job.pk}" in link_entry.body
    # Again: nothing changes (no second job, link or timeline entry).
    assert transfer_to_installation(ticket, actor=agent, now=desk["now"]) == job
    assert InstallationJob.objects.count() == 1 and InstallationTicketLink.objects.count() == 1
    assert TimelineEntry.objects.filter(ticket=ticket, kind="link").count() == 1


def test_the_transfer_links_the_existing_job_of_the_order(desk, carrier):
    shipment = Shipment.objects.create(
        store=desk["store"], carrier=carrier, waybill_number="SF1", order_number="T20261115001",
        product_skus=["RACK-X1"], status="delivered", delivered_at=desk["now"] - timedelta(hours=3),
        created_at=desk["now"])
    existing = make_job(desk["store"], product=desk["product"], order="T20261115001", path=["scheduled"])
    existing.shipment = shipment
    existing.save()
    job = transfer_to_installation(desk["ticket"], actor=desk["agent"], now=desk["now"])
    assert job == existing and InstallationJob.objects.count() == 1


def test_the_transfer_creates_the_job_from_the_orders_parcel(desk, carrier):
    shipment = Shipment.objects.create(
        store=desk["store"], carrier=carrier, waybill_number="SF1", order_number="T20261115001",
        product_skus=["CLIP", "RACK-X1"], status="delivered", delivered_at=desk["now"] - timedelta(hours=3),
        created_at=desk["now"])
    job = transfer_to_installation(desk["ticket"], actor=desk["agent"], now=desk["now"])
    assert job.shipment == shipment and job.product == desk["product"]
    assert job.booking_due_at == shipment.delivered_at + timedelta(hours=48)


def test_the_api_action(desk, api):
    ticket = desk["ticket"]
    api.as_user(desk["agent"])
    response = api.post(f"/api/v1/tickets/{ticket.pk}/transfer_to_installation/")
    assert response.status_code == 200, response.json()
    job = InstallationJob.objects.get()
    assert response.json()["installation_job"] == job.pk
    ticket.refresh_from_db()
    assert ticket.queue == desk["installation"]
    # A ticket without an order number: a clear 400, nothing moved.
    from tickets.services import create_ticket

    bare = create_ticket(store=desk["store"], actor=desk["agent"], now=desk["now"], queue=desk["service"],
                         subject="?")
    refused = api.post(f"/api/v1/tickets/{bare.pk}/transfer_to_installation/")
    assert refused.status_code == 400 and "order_no" in refused.json()
    bare.refresh_from_db()
    assert bare.queue == desk["service"]
    # Not a ticket the caller may transfer: 404 / 403.
    api.as_user(desk["agent2"])
    assert api.post(f"/api/v1/tickets/{bare.pk}/transfer_to_installation/").status_code == 404


def test_the_ticket_page_button_then_the_live_stepper(desk, client):
    ticket = desk["ticket"]
    client.force_login(desk["agent"])
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="form-transfer-installation"' in page
    response = client.post(f"/logistics/installations/transfer/{ticket.pk}/")
    assert response.status_code == 302
    job = InstallationJob.objects.get()
    # The agent no longer sees the ticket (it left the team's queue); the coordinator does, with the stepper.
    client.force_login(desk["installer"])
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="installation-stepper"' in page and f"/logistics/installations/{job.pk}/status/" in page
    record_event(job, node="scheduled", actor=desk["installer"], now=timezone.now(), **{
        "appointment_start": timezone.now() + timedelta(days=1), "appointment_end": timezone.now() + timedelta(days=1, hours=2)})
    status = client.get(f"/logistics/installations/{job.pk}/status/").json()
    assert status["node"] == "scheduled"
    assert [s["state"] for s in status["steps"]] == ["done", "current", "todo", "todo", "todo"]
    assert status["steps"][1]["actor"] == "冯磊 Feng Lei"
    # The coordinator can answer the ticket from there.
    assert 'data-testid="composer"' in page


def test_the_installation_pages(desk, client, django_assert_max_num_queries):
    store = desk["store"]
    for n in range(6):
        make_job(store, product=desk["product"], partner=desk["partner"], order=f"T{n}",
                 path=["scheduled", "dispatched", "on_site", "completed"][: n % 5])
    job = InstallationJob.objects.get(order_number="T4")
    client.force_login(desk["installer"])
    with django_assert_max_num_queries(20):
        page = client.get("/logistics/installations/").content.decode()
    assert page.count("/logistics/installations/") >= 6
    # ">T3<": the order-number cell (a bare "T3" also occurs in random CSRF tokens).
    assert ">T3<" in client.get("/logistics/installations/", {"node": "on_site"}).content.decode()
    assert ">T3<" not in client.get("/logistics/installations/", {"node": "scheduled"}).content.decode()
    assert client.get("/logistics/installations/", {"overdue": "true"}).status_code == 200
    detail = client.get(f"/logistics/installations/{job.pk}/").content.decode()
    assert 'data-testid="installation-stepper"' in detail and "https://img.example.com/1.jpg" in detail
    # The next node from the page; an invalid one is refused with the reason.
    open_job = InstallationJob.objects.get(order_number="T1")
    response = client.post(f"/logistics/installations/{open_job.pk}/events/", {"node": "dispatched",
                                                                                "technician": "赵师傅"})
    assert response.status_code == 302
    open_job.refresh_from_db()
    assert open_job.node == "dispatched" and open_job.technician_name == "赵师傅"
    response = client.post(f"/logistics/installations/{open_job.pk}/events/", {"node": "completed"})
    assert response.status_code == 400
    # An agent of another store's team sees neither the list row nor the page.
    client.force_login(desk["agent2"])
    assert client.get(f"/logistics/installations/{job.pk}/").status_code == 404


def test_a_coordinator_opens_a_job_by_hand_from_the_list(desk, client):
    client.force_login(desk["installer"])
    assert "/logistics/installations/add/" in client.get("/logistics/installations/").content.decode()
    from portal.models import Store

    other = make_product(Store.objects.get(code="swiftride-tmall"), "RACK-S")
    refused = client.post("/logistics/installations/add/", {"store": desk["store"].pk, "product": other.pk})
    assert refused.status_code == 400 and "another store" in refused.content.decode()
    response = client.post("/logistics/installations/add/", {
        "store": desk["store"].pk, "product": desk["product"].pk, "order_number": "T-HAND", "customer_name": "陈"})
    job = InstallationJob.objects.get(order_number="T-HAND")
    assert response.status_code == 302 and job.partner == desk["partner"] and job.created_by == desk["installer"]
    client.force_login(desk["agent"])
    assert client.get("/logistics/installations/add/").status_code == 403
