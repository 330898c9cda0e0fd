"""Logistics demo data: the SF carrier, the sample daily report imported as if it arrived today,
a few e-bike parcels, and the alerts the scan raises for them. Idempotent."""

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from logistics.alerts import scan_logistics
from logistics.imports import create_import, run_import
from logistics.ingest import Ingestor
from logistics.models import Shipment
from logistics.setup import ensure_sample_carrier
from portal.models import Store

SAMPLE = Path(__file__).parent / "demo_data" / "carrier_daily_report_sample.csv"
REPORT_TIME = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def shifted_sample(shift: timedelta) -> bytes:
    """The sample report with every valid scan time moved by `shift` (the impossible one stays)."""
    rows = list(csv.reader(io.StringIO(SAMPLE.read_text(encoding="utf-8"))))
    for row in rows[1:]:
        try:
            row[2] = (datetime.fromisoformat(row[2]) + shift).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            pass
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def load_demo(*, now):
    carrier = ensure_sample_carrier()
    if Shipment.objects.filter(waybill_number="SF1400000000101").exists():
        return
    dry = Store.objects.get(code="clouddry-tmall")
    bike = Store.objects.get(code="swiftride-tmall")
    coordinator = get_user_model().objects.filter(username="logistics").first()
    shift = now - REPORT_TIME
    tracking_import = create_import(
        carrier=carrier, store=dry, actor=coordinator, now=now,
        uploaded_file=ContentFile(shifted_sample(shift), name="carrier_daily_report_sample.csv"),
    )
    run_import(tracking_import.pk, now=now)

    def ago(hours):
        return (now - timedelta(hours=hours)).isoformat()

    rows = [
        # An e-bike promised for yesterday evening, still at the hub.
        {"waybill": "SF1400000000808", "order_number": "T20261118021", "time": ago(40), "code": "50",
         "description": "已揽收", "outlet": "天津武清营业部", "city": "天津", "consignee_name": "刘洋",
         "consignee_phone": "13711112222", "consignee_address": "北京市海淀区中关村大街 1 号",
         "product_skus": "EBIKE-S3", "promised_by": ago(14)},
        {"waybill": "SF1400000000808", "order_number": "T20261118021", "time": ago(20), "code": "31",
         "description": "已到达 北京中转场", "outlet": "北京中转场", "city": "北京"},
        # Ordered, label printed, never picked up.
        {"waybill": "SF1400000000909", "order_number": "T20261118030", "time": ago(30), "code": "10",
         "description": "已下单，等待揽收", "outlet": "天津武清营业部", "city": "天津", "product_skus": "BATTERY-48V"},
        # Delivered the normal way.
        {"waybill": "SF1400000001010", "order_number": "T20261117040", "time": ago(60), "code": "50",
         "description": "已揽收", "outlet": "天津武清营业部", "city": "天津"},
        {"waybill": "SF1400000001010", "order_number": "T20261117040", "time": ago(10), "code": "80",
         "description": "已签收，签收人：本人", "outlet": "上海浦东张江营业点", "city": "上海"},
    ]
    Ingestor(carrier, now=now, actor=coordinator, store=bike).ingest(list(enumerate(rows)))
    scan_logistics(now=now)
