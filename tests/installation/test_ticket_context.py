"""Customer context on the ticket page from the higher apps (through portal.registry): the order's
parcels (logistics) and installation jobs, in the reader's scope; the macro's {waybill}."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    from installation.demo import load_demo as load_installation
    from logistics.demo import load_demo as load_logistics
    from portal.demo import load_portal_demo
    from tickets.demo import load_demo as load_tickets

    now = timezone.now()
    load_portal_demo()
    load_tickets(now=now)
    load_logistics(now=now)
    load_installation(now=now)
    return now


def test_ticket_page_shows_the_orders_parcels_and_jobs_and_fills_the_waybill(demo, client):
    from installation.demo import MOVE_IN_ORDER
    from installation.models import InstallationJob
    from tickets import services
    from tickets.models import Macro, Queue

    # The move-in day job: its order has both a job and a parcel (SF1400000001717) in the demo.
    job = InstallationJob.objects.select_related("store").get(order_number=MOVE_IN_ORDER)
    users = {u.username: u for u in get_user_model().objects.all()}
    assert job.store.code == "clouddry-tmall"
    queue = Queue.objects.get(team__name="晾衣架客服组", is_default=True)
    ticket = services.create_ticket(store=job.store, queue=queue, actor=None, now=demo, order_no=job.order_number,
                                    buyer_nick="买家", description="安装问题")
    from logistics.models import Shipment

    parcel = Shipment.objects.get(store=job.store, order_number=job.order_number)
    client.force_login(users["manager"])
    html = client.get(f"/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    from django.urls import reverse

    assert 'data-testid="context-jobs"' in html and f'href="{reverse("installation:job", args=[job.pk])}"' in html
    assert 'data-testid="context-parcels"' in html and parcel.waybill_number == "SF1400000001717"
    assert parcel.waybill_number in html
    macro = Macro.objects.create(name="运单", body="运单号 {waybill}")
    assert services.fill_macro(ticket, macro, users["manager"]) == f"运单号 {parcel.waybill_number}"
    # A role without tickets at all (the trainer) is refused the ticket page outright.
    client.force_login(users["trainer"])
    assert client.get(f"/tickets/{ticket.pk}/").status_code == 403
