"""CSV and XLSX exports: every cell goes through `safe_cell`, so text a customer or a carrier typed
(a buyer nick, an order number) can never run as a spreadsheet formula.

A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with an
apostrophe (OWASP's advice for CSV injection): Excel, WPS and LibreOffice show it as text.
Numbers, dates and empty cells are left as they are. Write CSV with `csv_writer()`; an XLSX export
passes each row through `safe_row()`. tests/portal/test_exports.py fails on a `csv.writer` or a
workbook created anywhere else in the apps.
"""

import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row):
    return [safe_cell(value) for value in row]


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows):
        for row in rows:
            self._writer.writerow(safe_row(row))


class Echo:
    """A file-like object whose write returns the line, for streaming csv_writer output."""

    def write(self, value):
        return value


def csv_writer(file, **kwargs):
    """`csv.writer(file, **kwargs)` whose rows are neutralised cell by cell (`safe_cell`)."""
    return _SafeWriter(csv.writer(file, **kwargs))


def xlsx_bytes(title: str, rows) -> bytes:
    """An XLSX file of one sheet named `title` holding `rows` (the first row: the headers), every
    cell through `safe_cell`."""
    import io

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(title or "data")[:31])
    for row in rows:
        sheet.append(safe_row(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
