"""Helpers for the logistics tests: the sample carrier, stores, users, files and events."""

import io
import itertools
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from logistics.ingest import Ingestor
from logistics.models import Shipment
from portal.models import Team
from portal.roles import Role
from tests.factories import make_store, make_team, make_user

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "carrier_daily_report_sample.csv"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# The sample report's date: every expectation of data/README.md is evaluated at this time.
REPORT_TIME = datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
_seq = itertools.count(1)


def at(text: str) -> datetime:
    """'2026-11-19 07:58' in Shanghai time."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def make_logistics_team(stores, name=None):
    return make_team(name or f"Logistics {next(_seq)}", kind=Team.Kind.LOGISTICS, stores=stores)


def make_coordinator(stores, team=None, username=None):
    return make_user(username, role=Role.LOGISTICS_COORDINATOR, team=team or make_logistics_team(stores))


def sample_bytes(encoding="utf-8") -> bytes:
    text = SAMPLE.read_text(encoding="utf-8")
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode(encoding)


def sample_xlsx() -> bytes:
    """The sample report as an XLSX workbook (times as real date cells where valid, like Excel saves them)."""
    import csv

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for n, record in enumerate(csv.reader(io.StringIO(SAMPLE.read_text(encoding="utf-8")))):
        if n > 0:
            try:
                record[2] = datetime.fromisoformat(record[2])
            except ValueError:
                pass
            if record[3].isdigit():
                record[3] = int(record[3])
        sheet.append(record)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(content: bytes, name="report.csv"):
    return SimpleUploadedFile(name, content)


def ingest(carrier, store, rows, *, now=REPORT_TIME, strict=False):
    """Ingest raw event dicts (numbered from 1) for `store`."""
    return Ingestor(carrier, now=now, store=store).ingest(list(enumerate(rows, start=1)), strict=strict)


def event(waybill, time, code, description="", order="", **extra):
    return {"waybill": waybill, "time": time, "code": code, "description": description, "order_number": order,
            **extra}


def shipment(waybill, **filters) -> Shipment:
    return Shipment.objects.get(waybill_number=waybill, **filters)


__all__ = ["make_store", "make_user", "Role"]
