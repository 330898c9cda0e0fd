"""The data the permission matrix runs on: the demo (`manage.py load_demo`) plus a third brand that no
demo team except the org-wide roles and the managers reaches, and one row of every model that the
demo leaves empty, so that "in scope" and "all" differ for every role that is not org-wide.

Models are resolved by class name (`model("InstallationJob")`), never imported from an app, so a
model that moves to another app needs no change here.
"""

from datetime import timedelta
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

THIRD_STORE = "thirdbrand-jd"
THIRD_TEAM = "第三品牌客服组"
THIRD_QUEUE = "第三品牌客服"


def model(name):
    """A model of the portal's apps by class name (app labels may change; class names do not)."""
    matches = [m for m in get_app_models() if m.__name__ == name]
    assert len(matches) == 1, f"{name}: {matches}"
    return matches[0]


def clone(obj, **changes):
    """A copy of `obj` saved as a new row, with `changes` applied."""
    copy = type(obj)._default_manager.get(pk=obj.pk)
    copy.pk = None
    copy._state.adding = True
    for field, value in changes.items():
        setattr(copy, field, value)
    copy.save()
    return copy


def build_world():
    """Load the demo, add the third brand and the rows the demo has none of. Returns `now`."""
    from portal.models import Store, Team

    call_command("load_demo", stdout=_Null())
    now = timezone.now()
    users = {u.username: u for u in get_user_model().objects.all()}
    Ticket, Queue = model("Ticket"), model("Queue")

    # The third brand: its own store, customer-service team (beside 客服部, not under it) and queue.
    third = Store.objects.create(code=THIRD_STORE, name="第三品牌京东旗舰店", marketplace=Store.Marketplace.JD,
                                 brand="第三品牌")
    team = Team.objects.create(name=THIRD_TEAM, kind=Team.Kind.CUSTOMER_SERVICE,
                               parent=Team.objects.get(name="客户服务中心"))
    team.stores.set([third])
    queue = Queue.objects.create(name=THIRD_QUEUE, team=team, is_default=True)

    from tickets import services  # the domain function: the ticket's timeline, SLA and ladder with it

    third_ticket = services.create_ticket(store=third, queue=queue, actor=None, now=now, buyer_nick="第三买家",
                                          subject="matrix: third brand", order_no="M-3")
    dry = Store.objects.get(code="clouddry-tmall")
    install_ticket = services.create_ticket(store=dry, queue=Queue.objects.get(name="安装调度 Installation"),
                                            actor=None, now=now, buyer_nick="安装买家", subject="matrix: installation")
    # Assigned to the agent although in the other team's queue: visible to them by assignment only.
    assigned = services.create_ticket(store=Store.objects.get(code="swiftride-tmall"),
                                      queue=Queue.objects.get(name="电动车客服"), actor=None, now=now,
                                      buyer_nick="指派买家", subject="matrix: assigned across teams")
    Ticket.objects.filter(pk=assigned.pk).update(assignee=users["agent"])
    # Opened by the logistics coordinator (as from an alert): they read it, in nobody's team of theirs.
    services.create_ticket(store=dry, queue=Queue.objects.get(name="安装调度 Installation"), actor=users["logistics"],
                           now=now, buyer_nick="物流买家", subject="matrix: opened from an alert",
                           customer_phone="13800001111", customer_address="上海市某路1号")

    conversation = model("ChatConversation").objects.select_related("ticket").first()
    third_conversation = clone(conversation, store=third, ticket=third_ticket, conversation_id="matrix-3")
    clone(model("ChatMessage").objects.filter(conversation=conversation).first(), conversation=third_conversation,
          ticket=third_ticket)
    clone(model("RoutingRule").objects.first(), store=third, name="matrix: third brand only", order=99)

    # Logistics: a parcel of the third brand with its tracking, alert and the alert work rows.
    Shipment, Alert = model("Shipment"), model("Alert")
    dry_alert = Alert.objects.filter(shipment__store=dry, installation_job_id__isnull=True).select_related("shipment").first()
    parcel = clone(dry_alert.shipment, store=third, waybill_number="MATRIX-3", order_number="M-3")
    event = model("TrackingEvent").objects.filter(shipment=dry_alert.shipment).first()
    clone(event, shipment=parcel)
    third_alert = clone(dry_alert, shipment=parcel, ticket_id=None)
    for alert in (dry_alert, third_alert):  # an own-vehicle delivery on each brand's alert
        model("Dispatch").objects.create(shipment=alert.shipment, alert=alert, driver=users["logistics"],
                                         planned_pickup=now, planned_dropoff=now + timedelta(hours=2),
                                         created_by=users["logistics"], created_at=now)
    clone(model("AlertEntry").objects.filter(alert=dry_alert).first(), alert=third_alert)
    for alert in (dry_alert, third_alert):
        model("CarrierContact").objects.create(alert=alert, outlet="网点", contact_name="李站长", contacted_at=now,
                                               promise="明天派送", recorded_by=users["logistics"], recorded_at=now)
        model("CustomerContact").objects.create(alert=alert, called_at=now, outcome="informed",
                                                recorded_by=users["logistics"], recorded_at=now)
        model("Compensation").objects.create(alert=alert, kind="coupon", amount=Decimal("20.00"),
                                             status="approved", offered_by=users["logistics"], offered_at=now)
    TrackingImport = model("TrackingImport")
    demo_import = TrackingImport.objects.first()
    clone(demo_import, uploaded_by=users["integration"], store=third, original_name="integration-third.csv")
    clone(demo_import, uploaded_by=None, store=None, original_name="no-store.csv")
    clone(demo_import, uploaded_by=users["manager"], store=third, original_name="manager-third.csv")
    from portal.tokens import create_token

    create_token(user=users["integration"], name="matrix", now=now)
    for username in ("integration", "logistics"):
        model("IngestRequest").objects.create(user=users[username], key=f"matrix-{username}", body_hash="0" * 64,
                                              status_code=200, response={}, created_at=now)

    # Installation: a job of the third brand with its event and alert; ticket links on both sides.
    Job = model("InstallationJob")
    dry_job = Job.objects.filter(store=dry, alerts__isnull=False).first()
    third_job = clone(dry_job, store=third, shipment=None, order_number="M-3")
    clone(model("InstallationEvent").objects.filter(job=dry_job).first(), job=third_job, client_event_id="")
    clone(model("InstallationAlert").objects.filter(job=dry_job).first(), job=third_job)
    clone(dry_job, store=Store.objects.get(code="swiftride-tmall"), shipment=None, order_number="M-2")
    for job, ticket in ((dry_job, install_ticket), (third_job, third_ticket)):
        model("InstallationTicketLink").objects.create(job=job, ticket_id=ticket.pk, linked_at=now)
    # The integration user is also the API user of the partner installing the third brand's job.
    partner = model("InstallationPartner").objects.exclude(pk=dry_job.partner_id).first()
    partner.users.add(users["integration"])
    model("InstallationJob").objects.filter(pk=third_job.pk).update(partner=partner)
    # ... so its integration client (portal.integrations) is an installation partner too, and a carrier
    # feed (it uploaded an import above), and serves the third brand's store besides the demo's two.
    client = users["integration"].integration_client
    client.kinds = [*client.kinds, "installation_partner", "carrier_feed"]
    client.save()
    client.stores.add(third)

    # Escalations (and their sweep, deliveries and notifications): the demo ladder, three days on.
    from tickets.escalation.sweep import escalate_due_tickets

    escalate_due_tickets(now=now + timedelta(days=3))

    # PII that cannot be confused with anything else on a page.
    for row in Ticket.objects.all():
        Ticket.objects.filter(pk=row.pk).update(customer_phone=f"139{row.pk:08d}",
                                                customer_address=f"浙江省杭州市西湖区矩阵路{row.pk}号")
    for row in Shipment.objects.all():
        Shipment.objects.filter(pk=row.pk).update(consignee_name=f"收件人矩阵{row.pk}", consignee_phone=f"137{row.pk:08d}",
                                                  consignee_address=f"上海市浦东新区矩阵路{row.pk}号")
    for row in Job.objects.all():
        Job.objects.filter(pk=row.pk).update(customer_name=f"顾客矩阵{row.pk}", customer_phone=f"136{row.pk:08d}",
                                             address=f"江苏省南京市矩阵路{row.pk}号")
    # One reveal of a customer's phone, audited.
    from portal import pii

    pii.reveal(users["agent"], label="tickets.ticket", pk=assigned.pk, field="customer_phone", channel="page",
               source="/tickets/", now=now)
    # The outbound feed: a reply to a buyer of the drying-rack store and one of the third brand.
    from portal import outbound

    for store in (dry, third):
        outbound.publish(store=store, topic="chat_reply", source=f"matrix:{store.code}", now=now,
                         payload={"store": store.code, "conversation_id": "matrix", "message_id": "m1",
                                  "text": "您好", "sent_at": now.isoformat()})
    # Refund desk: a request of the third brand (with its timeline, decision and evidence file), and
    # the third brand's desk settings and return policy.
    Refund = model("RefundRequest")
    dry_refund = Refund.objects.filter(store=dry, evidence__isnull=False, decisions__isnull=False).first()
    third_refund = clone(dry_refund, store=third, platform_request_id="M-3-REFUND", order_no="M-3",
                         ticket=third_ticket)
    for name in ("RefundEvent", "RefundDecision", "EvidenceFile"):
        clone(model(name).objects.filter(request=dry_refund).first(), request=third_refund)
    clone(model("RefundDeskSettings").objects.get(store=dry), store=third)
    clone(model("ReturnPolicy").objects.filter(store=dry).first(), store=third)
    empty = [m.__name__ for m in get_app_models() if not m._default_manager.exists()]
    assert not empty, f"the matrix needs at least one row of {empty}"
    return now


class _Null:
    def write(self, text):
        pass

    def flush(self):
        pass


APP_LABELS = {"portal", "tickets", "logistics", "installation", "refunds", "scores", "training"}


def get_app_models():
    """Every model of the apps the matrix covers (by app label), today's and the ones to come."""
    return [m for m in apps.get_models() if m._meta.app_label in APP_LABELS]
