"""Installation demo data: the drying-rack store's products need installing; two installation
partners (the marketplace's service with an API user, and the brand's own crew); jobs in various
nodes, one of them for the sample report's delivered parcel; then the SLA scan. Idempotent.

Runs after the logistics demo (`load_demo` command's DEMO_APPS order), whose sample report delivers
that parcel."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from installation.models import InstallationJob, InstallationPartner, Product
from installation.services import create_job, record_event, scan_installations
from logistics.models import Shipment
from portal.demo import STORES
from portal.integrations import Kind
from portal.models import IntegrationClient, ProductLine, Store, Team
from portal.roles import Role

PRODUCTS = [
    # (store, sku, name, product line, needs installation, booking hours, completion hours)
    ("clouddry-tmall", "RACK-X1", "云晾 X1 智能电动晾衣架", "drying_rack", True, 48, 24),
    ("clouddry-tmall", "RACK-M2", "云晾 M2 手摇晾衣架", "drying_rack", True, 72, 24),
    ("clouddry-tmall", "CLIP-20", "防风衣夹 20 只装", "accessory", False, 48, 24),
    ("swiftride-tmall", "EBIKE-S3", "速骑 S3 电动自行车", "e_bike", False, 48, 24),
]
PARTNER_API_USER = "install-api"

# (order, sku, partner code, customer, phone, address, nodes after "requested", hours ago requested)
JOBS = [
    ("T20261110011", "RACK-X1", "tmall-install", "陈静", "13611110001", "上海市闵行区莘庄镇 8 号 502",
     ["scheduled", "dispatched", "on_site", "completed"], 200),
    ("T20261112012", "RACK-X1", "tmall-install", "王磊", "13611110002", "杭州市西湖区文三路 99 号 1201",
     ["scheduled", "dispatched", "on_site", "failed", "rescheduled"], 120),
    ("T20261116013", "RACK-M2", "clouddry-crew", "赵丽", "13611110003", "苏州市工业园区星湖街 3 号 701",
     ["scheduled", "dispatched"], 60),
    ("T20261117014", "RACK-X1", "tmall-install", "钱进", "13611110004", "南京市鼓楼区中山路 18 号 903",
     ["scheduled"], 40),
    ("T20261117015", "RACK-M2", "clouddry-crew", "孙悦", "13611110005", "宁波市鄞州区天童路 66 号 1802",
     [], 70),
    ("T20261118016", "RACK-X1", "tmall-install", "李明", "13611110006", "上海市徐汇区漕溪北路 1 号 301",
     ["cancelled"], 30),
]


def _details(node, at):
    day = at.replace(minute=0, second=0, microsecond=0)
    return {
        "scheduled": {"appointment_start": day + timedelta(hours=20), "appointment_end": day + timedelta(hours=22),
                      "note": "已与客户电话确认上门时间"},
        "rescheduled": {"appointment_start": day + timedelta(hours=30), "appointment_end": day + timedelta(hours=32),
                        "note": "客户改约"},
        "dispatched": {"technician_name": "周师傅", "technician_phone": "13900001111"},
        "on_site": {"note": "师傅已到达"},
        "completed": {"photos": ["https://img.example.com/install/rack-x1-done-1.jpg",
                                 "https://img.example.com/install/rack-x1-done-2.jpg"],
                      "customer_confirmed": True, "note": "安装完成，客户验收"},
        "failed": {"reason": "吊顶为石膏板，需加装龙骨，改约"},
        "cancelled": {"reason": "客户自行安装，取消上门"},
    }[node]


@transaction.atomic
def load_demo(*, now):
    stores = {store.code: store for store in Store.objects.filter(code__in={p[0] for p in PRODUCTS})}
    if len(stores) < 2 or InstallationPartner.objects.filter(code="tmall-install").exists():
        return
    products = {}
    lines = {line.code: line for line in ProductLine.objects.all()}
    for code, sku, name, line, needs, booking, completion in PRODUCTS:
        products[sku], _ = Product.objects.update_or_create(
            store=stores[code], sku=sku, defaults={"name": name, "product_line": lines.get(line), "needs_installation": needs,
                                                   "booking_sla_hours": booking, "completion_sla_hours": completion})
    tmall = InstallationPartner.objects.create(code="tmall-install", name="天猫安装服务",
                                               kind=InstallationPartner.Kind.MARKETPLACE)
    crew = InstallationPartner.objects.create(code="clouddry-crew", name="云晾自营安装队",
                                              kind=InstallationPartner.Kind.BRAND)
    tmall.stores.set(stores.values())
    crew.stores.set([stores["clouddry-tmall"]])
    partners = {"tmall-install": tmall, "clouddry-crew": crew}
    api_user = _partner_api_user()
    if api_user is not None:
        tmall.users.add(api_user)
    coordinator = get_user_model().objects.filter(username="installer").first()
    store = stores["clouddry-tmall"]
    for order, sku, partner, name, phone, address, path, hours_ago in JOBS:
        if InstallationJob.objects.filter(store=store, order_number=order).exists():
            continue
        at = now - timedelta(hours=hours_ago)
        job = create_job(store=store, actor=coordinator, now=at, product=products[sku], order_number=order,
                         customer_name=name, customer_phone=phone, address=address, partner=partners[partner])
        job.delivered_at = at - timedelta(hours=6)
        job.booking_due_at = job.delivered_at + timedelta(hours=products[sku].booking_sla_hours)
        job.save(update_fields=["delivered_at", "booking_due_at"])
        step = timedelta(hours=max(1, hours_ago // (len(path) + 2)))
        for node in path:
            at += step
            by_partner = node in ("dispatched", "on_site", "completed", "failed")
            record_event(job, node=node, actor=api_user if by_partner and api_user else coordinator, now=at,
                         partner=partners[partner] if by_partner and partner == "tmall-install" else None,
                         **_details(node, at))
    # The sample report's delivered parcel: a drying rack that needs installing.
    parcel = Shipment.objects.filter(store=store, waybill_number="SF1400000000101").first()
    if parcel is not None and not parcel.installation_jobs.exists():
        create_job(store=store, actor=None, now=now, product=products["RACK-X1"], shipment=parcel,
                   customer_name="晾衣小王", customer_phone="13712345678", address="上海市浦东新区张江路 1 号",
                   partner=tmall, note="签收后自动生成")
    _move_in_day(store=store, product=products["RACK-X1"], partner=tmall, coordinator=coordinator, now=now)
    scan_installations(now=now)


MOVE_IN_ORDER = "T20261120017"


def _move_in_day(*, store, product, partner, coordinator, now):
    """The move-in day story: the drying rack reached the outlet near the buyer's new home (the last
    scan, 40 minutes ago), the marketplace installer is booked for later today, and the parcel is not
    out for delivery; in the evening the outlet is past the carrier's 18:00 cut-off too. The scan
    raises one appointment-at-risk alert; the coordinator can dispatch an own delivery from it."""
    from logistics.ingest import Ingestor
    from logistics.models import Carrier

    carrier = Carrier.objects.filter(code="SF").first()
    if carrier is None or Shipment.objects.filter(store=store, order_number=MOVE_IN_ORDER).exists():
        return
    contact = {"consignee_name": "林晓", "consignee_phone": "13822226666",
               "consignee_address": "上海市浦东新区张江镇祖冲之路 88 弄 6 号 1502", "product_skus": "RACK-X1"}
    rows = [
        {"waybill": "SF1400000001717", "order_number": MOVE_IN_ORDER, "time": now - timedelta(hours=30), "code": "50",
         "description": "已揽收", "outlet": "杭州萧山营业部", "city": "杭州", **contact},
        {"waybill": "SF1400000001717", "order_number": MOVE_IN_ORDER, "time": now - timedelta(hours=12),
         "code": "31", "description": "已到达 上海中转场", "outlet": "上海中转场", "city": "上海"},
        {"waybill": "SF1400000001717", "order_number": MOVE_IN_ORDER, "time": now - timedelta(minutes=40),
         "code": "33", "description": "已到达 上海浦东张江营业点", "outlet": "上海浦东张江营业点", "city": "上海"},
    ]
    Ingestor(carrier, now=now, store=store).ingest(list(enumerate(rows)))
    parcel = Shipment.objects.get(store=store, order_number=MOVE_IN_ORDER)
    booked = now - timedelta(hours=26)
    job = create_job(store=store, actor=coordinator, now=booked, product=product, shipment=parcel,
                     partner=partner, note="搬家当天安装，客户已预约")
    start = (now + timedelta(hours=2, minutes=59)).replace(minute=0, second=0, microsecond=0)
    record_event(job, node="scheduled", actor=coordinator, now=booked + timedelta(hours=1),
                 appointment_start=start, appointment_end=start + timedelta(hours=2),
                 note="客户今天搬家入住，约今天上门安装", technician_name="周师傅", technician_phone="13900001111")


def _partner_api_user():
    """The marketplace installation service's API account (integration role)."""
    from portal.demo import DEMO_PASSWORD
    from portal.services import add_member

    team = Team.objects.filter(name="客户服务中心").first()
    if team is None:
        return None
    user, created = get_user_model().objects.get_or_create(
        username=PARTNER_API_USER, defaults={"first_name": "天猫安装服务", "last_name": "API"})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    add_member(user=user, team=team, role=Role.INTEGRATION)
    client, _ = IntegrationClient.objects.update_or_create(
        user=user, defaults={"name": "天猫安装服务", "kinds": [Kind.INSTALLATION_PARTNER]})
    client.stores.set(Store.objects.filter(code__in=[code for code, *_ in STORES]))
    return user
