"""Formula injection: every CSV/XLSX export neutralises cells a spreadsheet would run as a formula
(portal/exports.py), and no export writes CSV or a workbook any other way."""

import csv
import io
import re
from pathlib import Path

import pytest

from portal.exports import csv_writer, safe_cell

ROOT = Path(__file__).resolve().parents[2]
APPS = ["portal", "tickets", "logistics", "installation", "training", "refunds", "scores"]
# Files that write CSV but are no export: the demo's sample carrier report, the exports module itself.
NOT_EXPORTS = {"portal/exports.py", "logistics/demo.py"}


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_is_neutralised(value):
    assert safe_cell(value) == "'" + value
    out = io.StringIO()
    csv_writer(out).writerow(["ok", value, 12, None])
    assert next(csv.reader(io.StringIO(out.getvalue())))[1] == "'" + value


def test_plain_values_are_kept():
    assert [safe_cell(v) for v in ["王小明", "T-1", 5, -5, None, ""]] == ["王小明", "T-1", 5, -5, None, ""]


def test_no_export_writes_csv_or_a_workbook_around_the_shared_helper():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py") if (ROOT / app).exists() else []:
            relative = path.relative_to(ROOT).as_posix()
            if relative in NOT_EXPORTS or "/migrations/" in relative:
                continue
            text = path.read_text(encoding="utf-8")
            if re.search(r"csv\.(writer|DictWriter)\(|Workbook\(|xlsxwriter", text):
                offenders.append(relative)
    assert offenders == [], "write exports through portal.exports (csv_writer / safe_row)"


@pytest.mark.django_db
def test_the_ticket_export_neutralises_a_buyer_nick_and_an_order_number(client):
    from portal.roles import Role
    from tests.factories import make_user
    from tests.tickets.factories import World
    from tickets.models import Ticket

    world = World()
    world.ticket(buyer_nick="=HYPERLINK(\"http://evil\",\"click\")", order_no="@SUM(1+1)")
    manager = make_user("exporter", role=Role.MANAGER, team=world.team)
    client.force_login(manager)
    response = client.get("/tickets/export.csv?view=all", HTTP_ACCEPT_LANGUAGE="en")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(text)))
    assert Ticket.objects.count() == 1
    assert row["buyer nick"].startswith("'=HYPERLINK") and row["order number"].startswith("'@SUM")
