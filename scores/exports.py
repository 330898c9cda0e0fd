"""CSV and XLSX downloads of the dashboards' charts (the data table under each chart).

Spreadsheet formula injection is neutralised by the portal's one helper (`portal.exports`:
`csv_writer` and `xlsx_bytes` pass every cell through its `safe_cell`): a text cell starting with
= + - @ (or a tab / carriage return) gets a leading apostrophe. Numbers stay numbers.
"""

import io
from datetime import date, datetime

from django.http import HttpResponse

from portal.exports import csv_writer, xlsx_bytes


def plain_cell(value):
    """The value as a spreadsheet cell: None is empty, dates ISO text, numbers as they are, the rest
    text (translated labels included); the writer then neutralises it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def csv_response(filename: str, columns, rows) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow([plain_cell(c) for c in columns])
    for row in rows:
        writer.writerow([plain_cell(v) for v in row])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(filename: str, title: str, columns, rows) -> HttpResponse:
    data = xlsx_bytes(title, [[plain_cell(c) for c in columns], *([plain_cell(v) for v in row] for row in rows)])
    response = HttpResponse(data,
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
