"""Helpers for the refund desk tests: request payloads, requests through the service, files, parcels."""

import io
import itertools
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from refunds import services
from refunds.models import ReasonCode

_seq = itertools.count(1)


def payload(store_code="clouddry-tmall", **fields):
    """A valid `POST /api/v1/refunds/` body (requested an hour ago)."""
    n = next(_seq)
    body = {
        "store": store_code, "platform_request_id": f"RQ-{n}", "order_no": f"ORD-{n}", "kind": "refund_only",
        "amount": "199.00", "order_amount": "299.00", "reason": "quality", "buyer_statement": "坏了",
        "requested_at": (timezone.now() - timedelta(hours=1)).isoformat(), "goods_shipped": False,
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def make_request(store, *, now=None, actor=None, **fields):
    """A request received through the service (the API's input, already validated)."""
    n = next(_seq)
    now = now or timezone.now()
    data = {"platform_request_id": f"SV-{n}", "order_no": f"SVO-{n}", "kind": "refund_only",
            "amount": Decimal("199.00"), "reason": ReasonCode.objects.get(code="quality"), "buyer_statement": "",
            "requested_at": now - timedelta(hours=1), "goods_shipped": False}
    for key, value in fields.items():
        data[key] = ReasonCode.objects.get(code=value) if key == "reason" else value
    request, _created = services.receive_request(store=store, data=data, actor=actor, now=now)
    return request


def png_bytes(size=(400, 300), color=(200, 50, 50)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def png_upload(name="photo.png"):
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def pdf_bytes() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "battery log")
    return bytes(pdf.output())


def deliver(store, waybill, order, *, at, carrier_code="SF"):
    """The carrier reports the parcel delivered (through the logistics ingest, hooks and all)."""
    from logistics.ingest import Ingestor
    from logistics.models import Carrier

    carrier = Carrier.objects.get(code=carrier_code)
    rows = [{"waybill": waybill, "order_number": order, "time": (at - timedelta(hours=20)).isoformat(), "code": "50",
             "description": "已揽收", "outlet": "上海浦东营业部", "city": "上海"},
            {"waybill": waybill, "order_number": order, "time": at.isoformat(), "code": "80",
             "description": "已签收", "outlet": "天津武清营业部", "city": "天津"}]
    return Ingestor(carrier, now=at + timedelta(minutes=5), store=store).ingest(list(enumerate(rows)))
