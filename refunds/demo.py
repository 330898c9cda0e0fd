"""Refund desk demo data: the desk's configuration (settings per store, return policies, the
responsibility rulebook agreed with the platform) and a few dozen requests across both stores in
every state, including an e-bike battery dispute with a complete evidence pack (photos, battery log,
chat transcript, outbound and return tracking). Idempotent: configuration is kept by natural keys,
requests are created once.

Runs after the tickets, logistics and installation demos (`load_demo`'s DEMO_APPS order)."""

import io
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from portal.models import ProductLine, Store, Team
from refunds import services
from refunds.models import (
    ReasonCode,
    RefundDeskSettings,
    RefundRequest,
    ResponsibilityRule,
    ReturnPolicy,
)

DRY, BIKE = "clouddry-tmall", "swiftride-tmall"

# Products the requests name (the installation demo has them too; kept, not overwritten).
PRODUCTS = [
    (DRY, "RACK-X1", "云晾 X1 智能电动晾衣架", "drying_rack", True),
    (DRY, "RACK-M2", "云晾 M2 手摇晾衣架", "drying_rack", True),
    (DRY, "CLIP-20", "防风衣夹 20 只装", "accessory", False),
    (BIKE, "EBIKE-S3", "速骑 S3 电动自行车", "e_bike", False),
    (BIKE, "BATTERY-48V", "速骑 48V 锂电池", "e_bike", False),
]

# (store, code, zh, en, line, days, conditions, excluded flags, shipping paid by, badge)
POLICIES = [
    (DRY, "hassle-free-90", "90 天无忧退货", "90-day hassle-free return", None, 90,
     "商品及配件齐全即可退货，运费由商家承担。", [], "merchant", True),
    (BIKE, "no-reason-7", "7 天无理由退货", "7-day statutory no-reason return", "e_bike", 7,
     "未激活、未骑行、包装完好。", ["activated", "used"], "buyer", False),
]

# (code, line, reasons, zh, en, party, outcome, depreciation %, fixed fee, evidence, carrier claim, within days, notes)
RULES = [
    ("ebike-battery-idle", "e_bike", ["battery", "quality"],
     "电池长期闲置亏电损坏", "Battery dead after months of idling", "buyer", "repair", None, None,
     ["battery_log", "photo"], False, None,
     "电池管理系统日志显示长期未充电（深度放电）；属使用不当，按成本价维修，不予退款。"),
    ("ebike-activated-personal", "e_bike", ["changed_mind"],
     "已激活电动车因个人原因退货", "Activated e-bike returned for personal reasons", "buyer", "partial_refund",
     Decimal("15"), Decimal("200"), ["photo"], False, None,
     "扣除 15% 折旧及 200 元激活（上牌）费用后退款。"),
    ("rack-transit-damage", "drying_rack", ["damaged_in_transit"],
     "晾衣架运输途中损坏", "Drying rack damaged in transit", "carrier", "full_refund", None, None,
     ["photo"], True, None, "全额退款给买家，并向承运商索赔。"),
    ("installation-damage", None, ["installation"],
     "安装过程中造成损坏", "Damage during installation", "installer", "full_refund", None, None,
     ["photo"], False, None, "全额退款，费用由安装服务商承担。"),
    ("defect-7-days", None, ["quality", "not_as_described"],
     "签收 7 天内出现质量问题", "Defect within 7 days of delivery", "merchant", "full_refund", None, None,
     [], False, 7, "商家责任，全额退款。"),
    ("no-fault-found", None, ["quality"],
     "签收 7 天后申报质量问题，检测无故障", "Quality complaint after 7 days, no fault found on inspection", "buyer",
     "reject", None, None, ["photo"], False, None, "附检测照片或视频，拒绝退款。"),
]


def load_configuration():
    """Desk settings, the refund desk queue, return policies, products and the rulebook. Idempotent."""
    from installation.models import Product
    from tickets.models import Queue

    stores = {store.code: store for store in Store.objects.filter(code__in=[DRY, BIKE])}
    lines = {line.code: line for line in ProductLine.objects.all()}
    desk = Team.objects.filter(kind=Team.Kind.REFUND_DESK).order_by("id").first()
    if desk is not None and not Queue.objects.filter(team=desk).exists():
        Queue.objects.get_or_create(name="退款专席 Refund desk", defaults={"team": desk, "is_default": True})
    for store in stores.values():
        RefundDeskSettings.objects.get_or_create(store=store, defaults={
            "refund_only_hours": 48, "return_hours": 120, "refund_after_receipt_hours": 24,
            "specialist_limit": Decimal("2000.00")})
    for code, sku, name, line, needs in PRODUCTS:
        if code in stores:
            Product.objects.get_or_create(store=stores[code], sku=sku, defaults={
                "name": name, "product_line": lines.get(line), "needs_installation": needs})
    for code, policy_code, zh, en, line, days, conditions, flags, paid_by, badge in POLICIES:
        if code in stores:
            ReturnPolicy.objects.get_or_create(store=stores[code], code=policy_code, defaults={
                "name_zh": zh, "name_en": en, "active_from": "2026-01-01", "product_line": lines.get(line) if line
                else None, "window_days": days, "conditions": conditions, "excluded_flags": flags,
                "return_shipping_paid_by": paid_by, "backs_badge": badge})
    _ensure_reason_codes()
    reasons = {reason.code: reason for reason in ReasonCode.objects.all()}
    for (code, line, reason_codes, zh, en, party, outcome, percent, fee, evidence, claim, within,
         notes) in RULES:
        rule, created = ResponsibilityRule.objects.get_or_create(code=code, defaults={
            "product_line": lines.get(line) if line else None, "scenario_zh": zh, "scenario_en": en,
            "responsible_party": party, "outcome": outcome, "depreciation_percent": percent, "fixed_fee": fee,
            "required_evidence": evidence, "claim_against_carrier": claim, "within_days_of_delivery": within,
            "notes": notes})
        if created:
            rule.reasons.set([reasons[r] for r in reason_codes if r in reasons])


def _png(text, color=(210, 60, 40), size=(640, 420)) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, (245, 245, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle([40, 60, size[0] - 40, size[1] - 60], outline=color, width=6)
    draw.rectangle([size[0] // 2 - 40, 30, size[0] // 2 + 40, 60], fill=color)
    draw.text((60, size[1] - 50), text, fill=(30, 30, 30))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _battery_log_pdf(now) -> bytes:
    from fpdf import FPDF

    from refunds.pack import FONT, FONT_PATH

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font(FONT, "", str(FONT_PATH))
    pdf.set_font(FONT, size=14)
    pdf.cell(0, 10, "速骑 S3 电池管理系统日志 BMS log · SN 48V-2026-0315", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    rows = [("2026-06-02", "充电至 100%", "54.4 V"), ("2026-06-20", "最后一次骑行", "49.8 V"),
            ("2026-07-20", "无充电记录 · 静置", "46.1 V"), ("2026-09-15", "无充电记录 · 静置", "41.0 V"),
            ("2026-10-30", "低于保护电压 · 深度放电", "33.2 V"), ("2026-11-12", "无法充电", "31.7 V")]
    for day, event, voltage in rows:
        pdf.cell(40, 7, day)
        pdf.cell(90, 7, event)
        pdf.cell(40, 7, voltage, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 7, "结论：电池连续 5 个月未充电，电压降至保护阈值以下，电芯不可逆损坏，属长期闲置亏电。")
    return bytes(pdf.output())


def _ingest(store, rows, now):
    from logistics.ingest import Ingestor
    from logistics.setup import ensure_sample_carrier

    Ingestor(ensure_sample_carrier(), now=now, store=store).ingest(list(enumerate(rows)))


def _request(store, n, *, kind, amount, reason, sku, hours_ago, now, actor, shipped=True, waybill="",
             statement="", respond_by=None, order=None, order_amount=None):
    requested_at = now - timedelta(hours=hours_ago)
    data = {"platform_request_id": f"RF{store.code[:2].upper()}{n:04d}", "order_no": order or f"D{store.pk}{n:05d}",
            "kind": kind, "amount": Decimal(amount), "reason": ReasonCode.objects.get(code=reason),
            "buyer_statement": statement, "requested_at": requested_at, "goods_shipped": shipped,
            "return_waybill": waybill, "return_carrier": "SF" if waybill else "", "product_sku": sku}
    if order_amount is not None:
        data["order_amount"] = Decimal(order_amount)
    if respond_by is not None:
        data["respond_by"] = respond_by
    request, _created = services.receive_request(store=store, data=data, actor=actor, now=requested_at)
    return request


def _ensure_reason_codes():
    """The codes the data migration creates, again: a test database emptied between tests (a live
    server's) has lost them."""
    from importlib import import_module

    from django.apps import apps

    import_module("refunds.migrations.0002_reason_codes").add_reasons(apps, None)


@transaction.atomic
def load_demo(*, now):
    load_configuration()
    stores = {store.code: store for store in Store.objects.filter(code__in=[DRY, BIKE])}
    if len(stores) < 2 or RefundRequest.objects.exists():
        return
    users = {user.username: user for user in get_user_model().objects.filter(
        username__in=["integration", "refund", "manager"])}
    api, desk, manager = users.get("integration"), users.get("refund"), users.get("manager")
    dry, bike = stores[DRY], stores[BIKE]
    rules = {rule.code: rule for rule in ResponsibilityRule.objects.all()}

    def later(request, hours):
        return request.requested_at + timedelta(hours=hours)

    # Delivered outbound parcels for the orders below, so eligibility has a delivery date.
    delivered = {}
    for n, (store, order, days_ago, sku) in enumerate([
        (dry, "D-DRY-0001", 5, "RACK-X1"), (dry, "D-DRY-0002", 12, "RACK-M2"), (dry, "D-DRY-0003", 40, "RACK-X1"),
        (dry, "D-DRY-0004", 120, "RACK-X1"), (dry, "D-DRY-0005", 3, "RACK-X1"), (dry, "D-DRY-0006", 20, "CLIP-20"),
        (bike, "D-BIKE-0001", 4, "EBIKE-S3"), (bike, "D-BIKE-0002", 160, "EBIKE-S3"), (bike, "D-BIKE-0003", 6,
                                                                                        "EBIKE-S3"),
        (bike, "D-BIKE-0004", 150, "EBIKE-S3"),
    ], start=1):
        at = now - timedelta(days=days_ago)
        _ingest(store, [
            {"waybill": f"SF1500000{n:04d}", "order_number": order, "time": (at - timedelta(days=2)).isoformat(),
             "code": "50", "description": "已揽收", "outlet": "天津武清营业部", "city": "天津", "product_skus": sku},
            {"waybill": f"SF1500000{n:04d}", "order_number": order, "time": at.isoformat(), "code": "80",
             "description": "已签收，签收人：本人", "outlet": "上海浦东张江营业点", "city": "上海"},
        ], now=at)
        delivered[order] = at

    # --- The e-bike battery dispute, with a complete evidence pack (still disputed) -----------
    from tickets.chat import Sender as ChatSender
    from tickets.chat import ingest_conversation

    class Msg:
        def __init__(self, id, sender, sent_at, text):
            self.id, self.sender, self.sent_at, self.text = id, sender, sent_at, text

    chat_at = now - timedelta(hours=70)
    ingest_conversation(store=bike, conversation_id="demo-battery-1", buyer_nick="骑行的小王", order_no="D-BIKE-0002",
                        actor=api, now=chat_at, messages=[
                            Msg("b1", ChatSender.BUYER, chat_at, "电池充不进电了，车子骑不了，我要退货退款"),
                            Msg("b2", ChatSender.AGENT, chat_at + timedelta(minutes=3),
                                "您好，请问车辆最近一次充电是什么时候？方便拍一下电池和仪表盘吗？"),
                            Msg("b3", ChatSender.BUYER, chat_at + timedelta(minutes=9),
                                "买回来骑了几次就放车库了，大概五个月没充电"),
                            Msg("b4", ChatSender.AGENT, chat_at + timedelta(minutes=12),
                                "了解，请您申请退货，我们收到电池后检测电池管理系统日志。"),
                        ])
    battery = _request(bike, 1, kind="return_and_refund", amount="3299.00", order_amount="3299.00", reason="battery",
                       sku="EBIKE-S3", hours_ago=68, now=now, actor=api, order="D-BIKE-0002", waybill="SF1600000001",
                       statement="电池充不进电，车子无法使用，要求退货退款。")
    _ingest(bike, [
        {"waybill": "SF1600000001", "order_number": "D-BIKE-0002", "time": later(battery, 6).isoformat(), "code": "50",
         "description": "已揽收", "outlet": "上海浦东营业部", "city": "上海"},
        {"waybill": "SF1600000001", "order_number": "D-BIKE-0002", "time": later(battery, 30).isoformat(),
         "code": "80", "description": "已签收，签收人：速骑售后仓", "outlet": "天津武清营业部", "city": "天津"},
    ], now=later(battery, 30))
    battery.refresh_from_db()
    for kind, name, data in [
        ("photo", "battery-terminals.png", _png("Battery SN 48V-2026-0315: terminals, no physical damage")),
        ("photo", "dashboard-0-percent.png", _png("Dashboard: 0 % battery, charger LED red", (40, 120, 200))),
        ("battery_log", "bms-log-48V-2026-0315.pdf", _battery_log_pdf(now)),
        ("chat_screenshot", "chat-5-months-idle.png", _png("Buyer: about five months without charging",
                                                            (60, 160, 60))),
    ]:
        services.add_evidence(battery, upload=SimpleUploadedFile(name, data), kind=kind, actor=desk,
                              now=later(battery, 32))
    services.decide(battery, decision="reject", rule=rules["ebike-battery-idle"], actor=desk, now=later(battery, 33),
                    note="BMS 日志显示 5 个月未充电，深度放电；可按成本价维修电池（680 元）。")
    services.submit_dispute(battery, submitted_on=(later(battery, 40)).date(), actor=desk, now=later(battery, 40),
                            note="已上传证据包至平台")

    # --- A battery dispute already ruled (closed) -----------------------------------------------
    ruled = _request(bike, 2, kind="return_and_refund", amount="3299.00", reason="battery", sku="EBIKE-S3",
                     hours_ago=400, now=now, actor=api, order="D-BIKE-0004", statement="电池坏了")
    services.record_goods_received(ruled, actor=desk, now=later(ruled, 50))
    for kind, name, data in [("photo", "battery.png", _png("Battery, no damage")),
                             ("battery_log", "bms-log.pdf", _battery_log_pdf(now))]:
        services.add_evidence(ruled, upload=SimpleUploadedFile(name, data), kind=kind, actor=desk,
                              now=later(ruled, 51))
    services.decide(ruled, decision="reject", rule=rules["ebike-battery-idle"], actor=desk, now=later(ruled, 52))
    services.record_ruling(ruled, ruling="merchant", actor=desk, now=later(ruled, 200), submitted_on=later(ruled, 60).date(),
                           note="平台判定：长期闲置亏电，买家责任。")

    # --- Activated e-bike returned for personal reasons: partial (above the limit: approval) ---
    activated = _request(bike, 3, kind="return_and_refund", amount="3299.00", reason="changed_mind", sku="EBIKE-S3",
                         hours_ago=30, now=now, actor=api, order="D-BIKE-0001", statement="不想要了")
    services.set_flags(activated, flags=["activated"], actor=desk, now=later(activated, 1))
    services.record_goods_received(activated, actor=desk, now=later(activated, 20))
    services.decide(activated, decision="partial", rule=rules["ebike-activated-personal"], actor=desk,
                    now=later(activated, 21), note="已激活上牌，按规则扣除折旧及激活费")  # 2604.15 > 2000: approval

    bike_rows = [
        # (n, kind, amount, reason, sku, hours ago, shipped, order, statement, then)
        (4, "refund_only", "299.00", "not_received", "BATTERY-48V", 10, False, None, "一直没发货", None),
        (5, "return_and_refund", "3299.00", "quality", "EBIKE-S3", 20, True, "D-BIKE-0003", "刹车异响", "hold"),
        (6, "exchange", "3299.00", "not_as_described", "EBIKE-S3", 60, True, None, "颜色发错了", "exchange"),
        (7, "refund_only", "150.00", "quality", "BATTERY-48V", 90, False, None, "充电器坏了", "approve-close"),
        (8, "return_and_refund", "3299.00", "changed_mind", "EBIKE-S3", 15, True, None, "家人不同意", "cancel"),
        (9, "refund_only", "99.00", "not_received", "", 2, False, None, "", None),
    ]
    dry_rows = [
        (1, "return_and_refund", "1299.00", "damaged_in_transit", "RACK-X1", 12, True, "D-DRY-0001", "到货横杆弯了",
         "approve"),
        (2, "refund_only", "199.00", "not_received", "CLIP-20", 8, False, None, "", None),
        (3, "return_and_refund", "899.00", "changed_mind", "RACK-M2", 40, True, "D-DRY-0003", "尺寸不合适", "hold"),
        (4, "return_and_refund", "1299.00", "changed_mind", "RACK-X1", 30, True, "D-DRY-0004", "用不上了", "hold"),
        (5, "refund_only", "300.00", "installation", "RACK-X1", 26, True, "D-DRY-0005", "安装时把吊顶打坏了",
         "approve-close"),
        (6, "return_and_refund", "2599.00", "quality", "RACK-X1", 50, True, "D-DRY-0002", "电机不转",
         "approval"),
        (7, "refund_only", "59.00", "quality", "CLIP-20", 70, True, "D-DRY-0006", "夹子断了", "partial"),
        (8, "refund_only", "1299.00", "not_as_described", "RACK-X1", 5, False, None, "", None),
        (9, "return_and_refund", "1299.00", "quality", "RACK-X1", 36, True, "D-DRY-0003", "遥控失灵", "reject"),
        (10, "refund_only", "120.00", "not_received", "CLIP-20", 100, False, None, "", "cancel"),
        (11, "return_and_refund", "899.00", "quality", "RACK-M2", 3, True, None, "", "hold"),
        (12, "exchange", "1299.00", "damaged_in_transit", "RACK-X1", 16, True, None, "包装破损", None),
        (13, "refund_only", "39.00", "not_as_described", "CLIP-20", 1, False, None, "颜色不对", None),
        (14, "return_and_refund", "1299.00", "damaged_in_transit", "RACK-X1", 22, True, "D-DRY-0005", "外壳裂了",
         "approve-close"),
        (15, "refund_only", "899.00", "installation", "RACK-M2", 9, False, None, "师傅没来安装，不要了", None),
    ]
    for store, rows in ((bike, bike_rows), (dry, dry_rows)):
        for n, kind, amount, reason, sku, hours, shipped, order, statement, then in rows:
            number = n + (100 if store is bike else 200)
            waybill = f"SF17{number:08d}" if then == "hold" else ""
            request = _request(store, number, kind=kind, amount=amount, reason=reason, sku=sku, hours_ago=hours,
                               now=now, actor=api, shipped=shipped, order=order, statement=statement,
                               waybill=waybill)
            _play(request, then, desk=desk, manager=manager, rules=rules, later=later)


def _play(request, then, *, desk, manager, rules, later):
    """Move a demo request on to its state."""
    if then in (None, "hold"):
        return
    if then == "cancel":
        services.receive_request(store=request.store, data={
            "platform_request_id": request.platform_request_id, "cancelled": True}, actor=None,
            now=later(request, 2))
        return
    if request.status == RefundRequest.Status.AWAITING_RETURN:
        services.record_goods_received(request, actor=desk, now=later(request, 1))
    if then in ("approve", "approve-close"):
        services.decide(request, decision="approve", actor=desk, now=later(request, 2))
        if then == "approve-close":
            services.close_request(request, actor=desk, now=later(request, 3))
    elif then == "exchange":
        services.decide(request, decision="exchange", actor=desk, now=later(request, 2))
    elif then == "partial":
        services.decide(request, decision="partial", amount=request.amount / 2, actor=desk, now=later(request, 2),
                        note="部分退款，买家同意")
    elif then == "approval":
        services.decide(request, decision="approve", actor=desk, now=later(request, 2))
    elif then == "reject":
        services.add_evidence(request, upload=SimpleUploadedFile("remote.png", _png("Remote works on test bench")),
                              kind="photo", actor=desk, now=later(request, 2))
        services.decide(request, decision="reject", rule=rules["no-fault-found"], actor=desk, now=later(request, 3),
                        note="检测遥控正常")
