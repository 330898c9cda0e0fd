"""Demo data for tickets: queues per team, calendars, SLA policies, routing rules, macros and about
thirty tickets in various states. Idempotent: configuration is keyed by name, tickets by their
chat conversation id or demo order number, and work on a ticket is only done when it is created."""

from datetime import date, time, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from portal.models import Store, Team
from tickets import chat, services
from tickets.escalation import demo as escalation_demo
from tickets.models import (
    BusinessCalendar,
    CalendarInterval,
    Holiday,
    Macro,
    MakeupDay,
    Queue,
    RoutingRule,
    SLAPolicy,
    SLATarget,
    Ticket,
)

# (queue name, team name, default)
QUEUES = [
    ("晾衣架客服", "晾衣架客服组", True),
    ("电动车客服", "电动车客服组", True),
    ("退款专席 Refund desk", "退款组", True),
    ("安装调度 Installation", "安装组", True),
    ("物流跟进 Logistics", "物流组", True),
]

# Mainland public holidays and make-up working days (调休) of 2026 used by the demo calendar.
HOLIDAYS_2026 = [
    (date(2026, 1, 1), "元旦"), (date(2026, 1, 2), "元旦"), (date(2026, 1, 3), "元旦"),
    *[(date(2026, 2, d), "春节") for d in range(15, 24)],
    (date(2026, 4, 4), "清明节"), (date(2026, 4, 5), "清明节"), (date(2026, 4, 6), "清明节"),
    *[(date(2026, 5, d), "劳动节") for d in range(1, 6)],
    (date(2026, 6, 19), "端午节"), (date(2026, 6, 20), "端午节"), (date(2026, 6, 21), "端午节"),
    (date(2026, 9, 25), "中秋节"), (date(2026, 9, 26), "中秋节"), (date(2026, 9, 27), "中秋节"),
    *[(date(2026, 10, d), "国庆节") for d in range(1, 8)],
]
MAKEUP_2026 = [
    (date(2026, 1, 4), "元旦调休"), (date(2026, 2, 14), "春节调休"), (date(2026, 2, 28), "春节调休"),
    (date(2026, 5, 9), "劳动节调休"), (date(2026, 9, 20), "国庆节调休"), (date(2026, 10, 10), "国庆节调休"),
]

TARGETS = {"low": (240, 2880), "normal": (60, 960), "high": (30, 480), "urgent": (15, 240)}
URGENT_24X7 = {"urgent": (15, 240), "high": (30, 480)}

# (order, name, pattern, queue name or None, category, priority, is_major, requires_order)
RULES = [
    (10, "Complaint threats → major", "投诉, 12315, 差评, 曝光, 律师, 消协", None, "dispute", "high", True, None),
    (20, "Refund and return → refund desk", "退款, 退货, 退钱, 换货, 仅退款, refund, return", "退款专席 Refund desk",
     "refund", "", False, None),
    (30, "Delivery and courier → logistics", "快递, 物流, 配送, 发货, 没收到, 到哪, courier, delivery, shipping",
     None, "logistics", "", False, None),
    (40, "Installation → installation", "安装, 师傅, 上门, 装好, install, technician", None, "installation", "",
     False, None),
    (50, "Battery or motor fault → product", r"电池|电机|充不进|故障|坏了|broken", None, "product", "normal", False,
     None),
]

MACROS = [
    ("问候 Greeting", "您好 {buyer_nick}，我是{store}的客服{agent}，很高兴为您服务。"),
    ("物流查询 Tracking", "亲，您的订单 {order_no} 已为您联系快递网点加急处理，有进展第一时间通知您。"),
    ("预约安装 Installation", "亲，订单 {order_no} 的安装已为您预约，师傅会在上门前电话联系您。"),
    ("退款处理 Refund", "{buyer_nick} 您好，订单 {order_no} 的退款申请已收到，我们会在24小时内处理。"),
]

# Chat conversations: (conversation id, store, buyer, order, hours ago, buyer text, outcome)
CONVERSATIONS = [
    ("demo-c01", "clouddry-tmall", "晴天小雨", "CD2026030101", 2, "快递三天了还没收到，物流一直不更新", "new"),
    ("demo-c02", "clouddry-tmall", "阿杰", "CD2026030102", 5, "晾衣架什么时候安装？师傅没联系我", "assigned"),
    ("demo-c03", "clouddry-tmall", "momo", "CD2026030103", 30, "遥控器坏了，按键没反应", "replied"),
    ("demo-c04", "clouddry-tmall", "lily_88", "CD2026030104", 52, "我要退款，尺寸不合适", "pending"),
    ("demo-c05", "clouddry-tmall", "王先生", "CD2026030105", 75, "安装师傅上门把墙打坏了，我要投诉", "replied"),
    ("demo-c06", "clouddry-tmall", "小鹿", "CD2026030106", 100, "发货了吗？下单五天了", "resolved"),
    ("demo-c07", "clouddry-tmall", "陈女士", "CD2026030107", 130, "升降很慢，是不是电机有问题", "resolved"),
    ("demo-c08", "clouddry-tmall", "Tom", "", 8, "请问这款能装在阳台顶吗", "new"),
    ("demo-c09", "clouddry-tmall", "蓝莓", "CD2026030109", 26, "退货运费谁出？", "assigned"),
    ("demo-c10", "clouddry-tmall", "老李", "CD2026030110", 200, "配送员态度很差，东西也没送上楼", "closed"),
    ("demo-c11", "swiftride-tmall", "骑行者", "SR2026030101", 3, "电池充不进电，才买一个月", "new"),
    ("demo-c12", "swiftride-tmall", "风一样", "SR2026030102", 12, "物流显示签收了但我没收到", "assigned"),
    ("demo-c13", "swiftride-tmall", "张师傅", "SR2026030103", 28, "要退款，车子有划痕", "replied"),
    ("demo-c14", "swiftride-tmall", "Kevin", "SR2026030104", 49, "想换货换个颜色", "pending"),
    ("demo-c15", "swiftride-tmall", "小雨点", "SR2026030105", 70, "电机异响，骑起来咔咔响", "resolved"),
    ("demo-c16", "swiftride-tmall", "周周", "SR2026030106", 95, "发货太慢了，我要差评", "replied"),
    ("demo-c17", "swiftride-tmall", "阿强", "SR2026030107", 140, "车子需要上门组装吗", "resolved"),
    ("demo-c18", "swiftride-tmall", "Lucy", "SR2026030108", 6, "仪表盘不亮", "new"),
    ("demo-c19", "swiftride-tmall", "大海", "SR2026030109", 20, "快递到哪了？", "assigned"),
    ("demo-c20", "swiftride-tmall", "路人甲", "SR2026030110", 180, "退钱！质量太差", "closed"),
    ("demo-c21", "clouddry-tmall", "花花", "CD2026030111", 1, "安装好了但是有点晃", "new"),
    ("demo-c22", "swiftride-tmall", "骑士", "SR2026030111", 36, "电池续航不到标称一半", "pending"),
    ("demo-c23", "clouddry-tmall", "果果", "CD2026030112", 60, "我要投诉，客服一直不回复", "new"),
    ("demo-c24", "swiftride-tmall", "小王", "SR2026030112", 44, "配送时间能改到周末吗", "replied"),
    ("demo-c25", "clouddry-tmall", "晓晓", "CD2026030113", 16, "换货的新货什么时候发", "assigned"),
]
# Phone tickets opened by staff: (order no, store, buyer, hours ago, description, priority, phone, address)
PHONE = [
    ("DEMO-P-01", "clouddry-tmall", "赵阿姨", 4, "电话来电：晾衣架安装后无法升降，要求师傅再上门", "high", "13912345678",
     "浙江省杭州市西湖区文三路 100 号 3 单元 502"),
    ("DEMO-P-02", "swiftride-tmall", "钱先生", 27, "电话来电：电动车刹车异响，担心安全", "urgent", "13687654321",
     "上海市浦东新区张江路 200 弄 5 号"),
    ("DEMO-P-03", "clouddry-tmall", "孙女士", 50, "电话来电：要求开具发票", "low", "13500001111",
     "江苏省南京市鼓楼区中山路 18 号"),
    ("DEMO-P-04", "swiftride-tmall", "李先生", 90, "电话来电：退货退款进度", "normal", "13722223333",
     "广东省深圳市南山区科技园 8 栋"),
    ("DEMO-P-05", "clouddry-tmall", "周先生", 120, "电话来电：物流破损，外箱压坏", "normal", "13344445555",
     "北京市朝阳区建国路 88 号"),
]


def _calendars():
    office, _ = BusinessCalendar.objects.get_or_create(
        name="工作日 Mon-Fri 9:00-12:00, 13:30-18:00", defaults={"time_zone": "Asia/Shanghai"}
    )
    if not office.intervals.exists():
        CalendarInterval.objects.bulk_create(
            CalendarInterval(calendar=office, weekday=day, start=start, end=end)
            for day in range(5)
            for start, end in ((time(9, 0), time(12, 0)), (time(13, 30), time(18, 0)))
        )
    for day, name in HOLIDAYS_2026:
        Holiday.objects.get_or_create(calendar=office, date=day, defaults={"name": name})
    for day, name in MAKEUP_2026:
        MakeupDay.objects.get_or_create(calendar=office, date=day, defaults={"name": name})
    always, _ = BusinessCalendar.objects.get_or_create(
        name="24x7", defaults={"time_zone": "Asia/Shanghai", "always_open": True}
    )
    return office, always


def _policy(name, *, calendar, targets, **fields):
    policy, created = SLAPolicy.objects.get_or_create(name=name, defaults={"calendar": calendar, **fields})
    if created:
        SLATarget.objects.bulk_create(
            SLATarget(policy=policy, priority=p, first_response_minutes=f, resolution_minutes=r)
            for p, (f, r) in targets.items()
        )
    return policy


def _configuration():
    teams = {team.name: team for team in Team.objects.all()}
    queues = {}
    for name, team, is_default in QUEUES:
        if team in teams:
            queues[name], _ = Queue.objects.get_or_create(name=name, defaults={"team": teams[team],
                                                                              "is_default": is_default})
    office, always = _calendars()
    _policy("默认 Default (office hours)", calendar=office, targets=TARGETS, is_default=True)
    _policy("紧急 Urgent around the clock", calendar=always, targets={"urgent": URGENT_24X7["urgent"]},
            priority="urgent")
    _policy("重大投诉 Major disputes 24x7", calendar=always, targets=URGENT_24X7, category="dispute")
    for order, name, pattern, queue, category, priority, is_major, requires_order in RULES:
        RoutingRule.objects.get_or_create(
            name=name,
            defaults={
                "order": order, "pattern": pattern, "is_regex": "|" in pattern, "queue": queues.get(queue),
                "category": category, "priority": priority, "is_major": is_major, "requires_order": requires_order,
            },
        )
    for name, body in MACROS:
        Macro.objects.get_or_create(name=name, defaults={"body": body})
    return queues


def _work(ticket, outcome, *, users, at, macros):
    """Move a freshly created demo ticket to its demo state."""
    team_members = {
        "晾衣架客服组": (users.get("agent"), users.get("lead")),
        "电动车客服组": (users.get("agent2"), users.get("manager")),
        "退款组": (users.get("refund"), users.get("manager")),
        "安装组": (users.get("installer"), users.get("manager")),
    }
    worker, boss = team_members.get(ticket.queue.team.name, (users.get("manager"), users.get("manager")))
    if outcome == "new" or worker is None:
        return
    actor = boss or worker
    try:
        services.assign(ticket, actor=actor, assignee=worker, now=at + timedelta(minutes=3))
    except ValidationError:  # the demo worker is not in that team; leave it unassigned
        worker = actor
    if outcome == "assigned":
        return
    services.reply(ticket, actor=worker, body="", macro=macros[0], now=at + timedelta(minutes=12),
                   handling_seconds=180)
    if outcome == "replied":
        services.add_note(ticket, actor=worker, body="已联系相关部门跟进。", now=at + timedelta(minutes=20),
                          handling_seconds=240)
        return
    if outcome == "pending":
        services.reply(ticket, actor=worker, body="亲，请提供一下商品照片，方便为您处理。", now=at + timedelta(minutes=30),
                       status=Ticket.Status.PENDING_CUSTOMER, handling_seconds=120)
        return
    services.resolve(ticket, actor=worker, now=at + timedelta(hours=5), note="已解决", handling_seconds=600)
    services.rate(ticket, rating=5 if ticket.pk % 3 else 3, comment="", actor=users.get("integration"),
                  now=at + timedelta(hours=6))
    if outcome == "closed":
        services.close(ticket, actor=worker, now=at + timedelta(days=3))


@transaction.atomic
def load_demo(*, now):
    """Queues, calendars, policies, rules, macros and demo tickets (created once)."""
    queues = _configuration()
    escalation_demo.load_escalation_demo(now=now)  # before the tickets, so their SLA cycles run on it
    if not queues:
        return
    users = {u.username: u for u in get_user_model().objects.filter(username__in=[
        "agent", "agent2", "lead", "manager", "refund", "installer", "integration"])}
    stores = {store.code: store for store in Store.objects.all()}
    macros = list(Macro.objects.order_by("id"))
    integration = users.get("integration")
    for conversation_id, store_code, buyer, order_no, hours_ago, text, outcome in CONVERSATIONS:
        if store_code not in stores:
            continue
        at = now - timedelta(hours=hours_ago)
        message = chat.IncomingMessage(id=f"{conversation_id}-m1", sent_at=at, sender="buyer", text=text)
        result = chat.ingest_conversation(
            store=stores[store_code], conversation_id=conversation_id, buyer_nick=buyer, order_no=order_no,
            messages=[message], actor=integration, now=at,
        )
        if result.created:
            _work(result.ticket, outcome, users=users, at=at, macros=macros)
    for order_no, store_code, buyer, hours_ago, description, priority, phone, address in PHONE:
        if store_code not in stores or Ticket.objects.filter(order_no=order_no).exists():
            continue
        at = now - timedelta(hours=hours_ago)
        ticket = services.create_ticket(
            store=stores[store_code], actor=users.get("agent"), now=at, channel=Ticket.Channel.PHONE,
            order_no=order_no, buyer_nick=buyer, customer_phone=phone, customer_address=address,
            description=description, priority=priority,
        )
        _work(ticket, "replied" if hours_ago < 60 else "resolved", users=users, at=at, macros=macros)
