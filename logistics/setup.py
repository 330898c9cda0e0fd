"""The sample carrier (code SF) of data/carrier_daily_report_sample.csv: status map and column mapping.

`ensure_sample_carrier()` is idempotent: it creates what is missing and leaves edits made in admin
alone. The demo and the tests call it.
"""

from django.db import transaction

from logistics.models import Carrier, ReportColumns, ShipmentStatus, StatusMapping

S = ShipmentStatus

# (position, code, keyword, status, anomaly, last mile). The carrier's codes first; keyword-only
# rules are the fallback for a code the map does not know yet.
SAMPLE_STATUS_MAP = [
    (10, "99", "", S.EXCEPTION, True, False),
    (20, "50", "", S.IN_TRANSIT, False, False),  # picked up
    (21, "30", "", S.IN_TRANSIT, False, False),  # departed
    (22, "31", "", S.IN_TRANSIT, False, False),  # arrived at hub
    (23, "33", "", S.IN_TRANSIT, False, True),  # arrived at the delivering outlet
    (24, "44", "", S.OUT_FOR_DELIVERY, False, True),
    (25, "70", "", S.DELIVERY_FAILED, False, True),
    (26, "72", "", S.RETURNING, False, False),  # refused, returning to sender
    (27, "80", "", S.DELIVERED, False, False),  # signed
    (28, "10", "", S.INFO_RECEIVED, False, False),  # order information received
    (29, "85", "", S.AVAILABLE_FOR_PICKUP, False, True),  # in a parcel locker / pickup point
    (30, "90", "", S.RETURNED, False, False),  # returned to sender
    (50, "", "错分", S.EXCEPTION, True, False),  # mis-sorted
    (51, "", "破损", S.EXCEPTION, True, False),  # damaged
    (52, "", "丢失", S.EXCEPTION, True, False),  # lost
    (53, "", "异常", S.EXCEPTION, True, False),  # exception
    (60, "", "退回", S.RETURNING, False, False),
    (61, "", "拒收", S.RETURNING, False, False),
    (62, "", "签收", S.DELIVERED, False, False),
    (63, "", "派送中", S.OUT_FOR_DELIVERY, False, True),
    (64, "", "待取件", S.AVAILABLE_FOR_PICKUP, False, True),
    (65, "", "揽收", S.IN_TRANSIT, False, False),
    (66, "", "到达", S.IN_TRANSIT, False, False),
    (67, "", "发出", S.IN_TRANSIT, False, False),
]

SAMPLE_COLUMNS = {
    "waybill": "运单号|Waybill number|waybill",
    "event_time": "扫描时间|Scan time|time",
    "code": "操作码|Operation code|code",
    "description": "操作描述|Description|description",
    "order_number": "订单号|Order number|order_number",
    "outlet": "网点|Outlet|outlet",
    "city": "城市|City|city",
    "consignee_name": "收件人|Consignee",
    "consignee_phone": "收件人电话|Consignee phone",
    "consignee_address": "收件地址|Consignee address",
    "product_skus": "商品编码|SKU",
    "promised_by": "承诺送达时间|Promised by",
}

SAMPLE_OUTLETS = [
    ("杭州西湖文新营业点", "杭州", "文新营业点 刘站长", "0571-8888 0001"),
    ("上海浦东张江营业点", "上海", "张江营业点 陈站长", "021-5555 0002"),
    ("南京鼓楼营业点", "南京", "鼓楼营业点 何站长", "025-6666 0003"),
    ("武汉中转场", "武汉", "武汉中转场 调度台", "027-7777 0004"),
    ("成都中转场", "成都", "成都中转场 调度台", "028-3333 0005"),
]


@transaction.atomic
def ensure_sample_carrier() -> Carrier:
    """The SF carrier with the sample report's status map, column mapping and outlet contacts."""
    carrier, _created = Carrier.objects.get_or_create(code="SF", defaults={"name": "顺丰速运 SF Express"})
    if not carrier.status_map.exists():
        StatusMapping.objects.bulk_create(
            StatusMapping(carrier=carrier, position=position, code=code, keyword=keyword, status=status,
                          is_anomaly=anomaly, is_last_mile=last_mile)
            for position, code, keyword, status, anomaly, last_mile in SAMPLE_STATUS_MAP
        )
    ReportColumns.objects.get_or_create(carrier=carrier, defaults=SAMPLE_COLUMNS)
    for name, city, contact, phone in SAMPLE_OUTLETS:
        carrier.outlets.get_or_create(name=name, defaults={"city": city, "contact_name": contact, "phone": phone})
    return carrier
