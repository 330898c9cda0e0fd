"""What the refund desk changes in the apps below it: a ticket deadline fixed in wall-clock time,
return parcels that open no installation job and stay out of the delivery metrics."""

from datetime import timedelta

from django.utils import timezone

from logistics.models import Shipment
from tests.refunds.factories import deliver, make_request


def test_the_tickets_deadline_is_the_platforms_and_pauses_priority_and_policy_keep_it(desk):
    from tickets import services as tickets
    from tickets.models import Ticket

    now = timezone.now()
    refund = make_request(desk.stores["clouddry-tmall"], now=now, respond_by=now + timedelta(hours=20))
    ticket = Ticket.objects.get(pk=refund.ticket_id)
    assert ticket.resolution_due == refund.respond_by == ticket.resolution_due_fixed_at
    tickets.change_status(ticket, actor=None, status="pending_customer", now=now + timedelta(hours=1))
    tickets.change_status(ticket, actor=None, status="open", now=now + timedelta(hours=5))
    tickets.change_priority(ticket, priority="low", actor=None, now=now + timedelta(hours=6))
    tickets.transfer(ticket, actor=None, now=now + timedelta(hours=7), queue=tickets.default_queue_of(
        desk["agent"].teams.first()))
    ticket.refresh_from_db()
    assert ticket.resolution_due == refund.respond_by
    assert Ticket.objects.breached(refund.respond_by + timedelta(minutes=1)).filter(pk=ticket.pk).exists()
    assert not Ticket.objects.breached(refund.respond_by - timedelta(minutes=1)).filter(pk=ticket.pk).exists()


def test_resolving_after_the_fixed_deadline_counts_as_late(desk):
    from tickets import services as tickets
    from tickets.models import Ticket

    now = timezone.now()
    refund = make_request(desk.stores["clouddry-tmall"], now=now, respond_by=now + timedelta(hours=2))
    ticket = Ticket.objects.get(pk=refund.ticket_id)
    tickets.resolve(ticket, actor=None, now=now + timedelta(hours=3))
    ticket.refresh_from_db()
    assert ticket.resolution_breached and ticket.sla_breached


def test_the_escalation_ladder_fires_on_the_fixed_deadline(desk):
    from tickets.escalation.demo import load_escalation_demo
    from tickets.escalation.sweep import escalate_due_tickets
    from tickets.models import Ticket

    now = timezone.now()
    load_escalation_demo(now=now - timedelta(minutes=1))
    refund = make_request(desk.stores["clouddry-tmall"], now=now, respond_by=now + timedelta(hours=3))
    ticket = Ticket.objects.get(pk=refund.ticket_id)
    escalate_due_tickets(now=refund.respond_by - timedelta(hours=1))
    assert not ticket.escalations.exists()
    escalate_due_tickets(now=refund.respond_by + timedelta(minutes=1))  # the breach level: the team lead
    assert ticket.escalations.filter(level__position=2).exists()


def test_a_fixed_deadline_ticket_does_not_pause_so_a_pause_across_it_still_breaches_and_escalates(desk):
    from tickets import services as tickets
    from tickets.escalation.demo import load_escalation_demo
    from tickets.escalation.sweep import escalate_due_tickets
    from tickets.models import Ticket

    now = timezone.now()
    load_escalation_demo(now=now - timedelta(minutes=1))
    refund = make_request(desk.stores["clouddry-tmall"], now=now, respond_by=now + timedelta(hours=3))
    ticket = Ticket.objects.get(pk=refund.ticket_id)
    tickets.change_status(ticket, actor=None, status="pending_customer", now=now + timedelta(hours=1))
    ticket.refresh_from_db()
    assert ticket.clock_paused_at is None and ticket.sla_clock_started_at is not None
    late = refund.respond_by + timedelta(minutes=1)
    assert Ticket.objects.breached(late).filter(pk=ticket.pk).exists()
    escalate_due_tickets(now=late)
    assert ticket.escalations.filter(level__position=2).exists()


def test_a_paused_ticket_linked_to_a_request_runs_on_to_the_fixed_deadline(desk):
    from tickets import services as tickets
    from tickets.models import Ticket

    store = desk.stores["clouddry-tmall"]
    now = timezone.now()
    existing = tickets.create_ticket(store=store, actor=None, now=now, order_no="ORD-PAUSED",
                                     description="我要退款", category="refund")
    tickets.change_status(existing, actor=None, status="pending_customer", now=now + timedelta(minutes=5))
    existing.refresh_from_db()
    assert existing.clock_paused_at is not None
    refund = make_request(store, now=now + timedelta(minutes=10), order_no="ORD-PAUSED",
                          respond_by=now + timedelta(hours=2))
    existing.refresh_from_db()
    assert refund.ticket_id == existing.pk and existing.clock_paused_at is None
    assert Ticket.objects.breached(refund.respond_by + timedelta(minutes=1)).filter(pk=existing.pk).exists()


def test_reopening_clears_the_fixed_deadline_and_a_later_request_fixes_a_new_one(desk):
    from tickets import services as tickets
    from tickets.models import Ticket

    store = desk.stores["clouddry-tmall"]
    now = timezone.now()
    refund = make_request(store, now=now, order_no="ORD-AGAIN", respond_by=now + timedelta(hours=2))
    ticket = Ticket.objects.get(pk=refund.ticket_id)
    tickets.resolve(ticket, actor=None, now=now + timedelta(hours=1))
    reopened_at = now + timedelta(hours=5)  # after the first request's respond-by
    tickets.reopen(ticket, actor=None, now=reopened_at)
    ticket.refresh_from_db()
    assert ticket.resolution_due_fixed_at is None and not ticket.resolution_breached
    assert not Ticket.objects.breached(reopened_at + timedelta(minutes=1)).filter(pk=ticket.pk).exists()
    later = make_request(store, now=reopened_at, order_no="ORD-AGAIN", respond_by=reopened_at + timedelta(hours=4))
    assert later.ticket_id == ticket.pk
    ticket.refresh_from_db()
    assert ticket.resolution_due_fixed_at == ticket.resolution_due == later.respond_by


def test_a_return_parcel_opens_no_installation_job_and_stays_out_of_delivery_metrics(desk):
    from installation.models import InstallationJob, Product
    from logistics.metrics import logistics_metrics

    store = desk.stores["clouddry-tmall"]
    Product.objects.filter(store=store, sku="RACK-X1").update(needs_installation=True)
    now = timezone.now()
    deliver(store, "SF8800001", "ORD-OUT", at=now - timedelta(hours=3))
    Shipment.objects.filter(waybill_number="SF8800001").update(product_skus=["RACK-X1"])
    refund = make_request(store, now=now, kind="return_and_refund", goods_shipped=True, order_no="ORD-OUT",
                          return_waybill="SF8800002", return_carrier="SF")
    Shipment.objects.filter(pk=refund.return_shipment_id).update(product_skus=["RACK-X1"])
    deliver(store, "SF8800002", "ORD-OUT", at=now - timedelta(hours=1))
    returned = Shipment.objects.get(waybill_number="SF8800002")
    assert returned.direction == "return" and returned.status == "delivered"
    assert not InstallationJob.objects.filter(shipment=returned).exists()
    refund.refresh_from_db()
    assert refund.status == "open" and refund.goods_received_via == "parcel"
    body = logistics_metrics(Shipment.objects.all(), date_from=(now - timedelta(days=2)).date(),
                             date_to=now.date(), now=now)
    assert body["totals"]["parcels"] == 1  # the outbound parcel only


def test_hold_release_is_replay_safe_and_set_based(desk, django_assert_max_num_queries):
    from refunds.services import release_holds

    store = desk.stores["swiftride-tmall"]
    now = timezone.now()
    refunds = [make_request(store, now=now, kind="return_and_refund", goods_shipped=True,
                            return_waybill=f"SF77000{n:02d}", return_carrier="SF") for n in range(12)]
    deliveries = [(r.return_shipment_id, now) for r in refunds]
    with django_assert_max_num_queries(12):
        assert release_holds(deliveries, now=now) == 12
    assert release_holds(deliveries, now=now) == 0


def test_the_refund_after_receipt_clock_reminds_the_desk_once(desk):
    from refunds.services import record_goods_received, remind_overdue_refunds

    store = desk.stores["clouddry-tmall"]
    now = timezone.now()
    refund = make_request(store, now=now, goods_shipped=True)
    record_goods_received(refund, actor=desk["refund"], now=now)
    refund.refresh_from_db()
    assert refund.refund_due_at == now + timedelta(hours=24)
    assert remind_overdue_refunds(now=now + timedelta(hours=23)) == 0
    assert remind_overdue_refunds(now=now + timedelta(hours=25)) == 1
    assert remind_overdue_refunds(now=now + timedelta(hours=26)) == 0
    assert refund.events.filter(kind="refund_overdue").count() == 1
    assert desk["refund"].notifications.filter(subject__contains="overdue").count() == 1
