"""Carrier report files: detect format and encoding, map the columns, ingest in batches.

CSV in UTF-8, UTF-8 with BOM or GBK (detected; GB18030, GBK's superset, is used to decode) and
XLSX. Row numbers are those a spreadsheet shows: the header is row 1, the first data row row 2;
blank rows are skipped but keep their number. Small files are read during the upload request,
large ones by a django-q2 task; either way `run_import` does the work and records progress after
every batch, so the upload page can show a progress bar.
"""

import codecs
import csv
import logging
from collections.abc import Iterator
from itertools import islice
from operator import itemgetter
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from logistics.ingest import BatchResult, Ingestor
from logistics.models import ReportColumns, TrackingImport
from logistics.permissions import ingest_store_ids

log = logging.getLogger(__name__)

BATCH_ROWS = 10000
# Files up to this size are imported while the upload request waits; larger ones by a task. An
# XLSX is compressed: it is measured by its uncompressed worksheets and its row count.
INLINE_MAX_BYTES = 256 * 1024
INLINE_MAX_XLSX_BYTES = 2 * 1024 * 1024
INLINE_MAX_ROWS = 5000
# An XLSX expanding beyond this (or compressed more than MAX_XLSX_RATIO times) is refused: a zip bomb.
MAX_XLSX_UNCOMPRESSED = 300 * 1024 * 1024
MAX_XLSX_RATIO = 1000
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
CHUNK = 1 << 20
XLSX_MAGIC = b"PK\x03\x04"


def XLSX_DAMAGED():  # noqa: N802  (a message, translated when raised)
    return _("This .xlsx file is not a readable Excel workbook (it may be damaged, or another kind of file "
             "renamed to .xlsx). Open it in Excel or WPS and save it again as .xlsx, or export it as CSV.")


class ImportFailed(Exception):
    """The file as a whole cannot be read (no row was imported because of it)."""


def inspect_file(path) -> tuple[str, str, int]:
    """(format, encoding, data rows) of a report file. Reads the file once for a CSV."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head.startswith(XLSX_MAGIC):
        return "xlsx", "", _xlsx_rows(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFailed(_("This is an old binary Excel file (.xls); save it as XLSX or CSV."))
    if str(path).lower().endswith(".xlsx"):
        # Named like a workbook but not one (damaged, or another file renamed): say so in Excel's
        # terms, not as a text file whose encoding is unknown.
        raise ImportFailed(XLSX_DAMAGED())
    encoding, lines = _detect_encoding(path)
    return "csv", encoding, max(lines - 1, 0)


def _decodes(path, encoding) -> tuple[bool, int]:
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 0
    last = b""
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
                lines += chunk.count(b"\n")
                last = chunk
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False, 0
    if last and not last.endswith(b"\n"):
        lines += 1
    return True, lines


def _detect_encoding(path) -> tuple[str, int]:
    with open(path, "rb") as handle:
        head = handle.read(3)
    if head.startswith(codecs.BOM_UTF8):
        ok, lines = _decodes(path, "utf-8-sig")
        if ok:
            return "utf-8-sig", lines
    for encoding in ("utf-8", "gb18030"):
        ok, lines = _decodes(path, encoding)
        if ok:
            return encoding, lines
    from charset_normalizer import from_path

    best = from_path(path).best()
    if best is None:
        raise ImportFailed(_("The file's text encoding was not recognised; save it as UTF-8 or GBK CSV."))
    ok, lines = _decodes(path, best.encoding)
    return best.encoding, lines


def _xlsx_rows(path) -> int:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        log.info("XLSX %s cannot be opened: %s", path, exc)
        raise ImportFailed(XLSX_DAMAGED()) from exc
    try:
        return max((workbook.worksheets[0].max_row or 1) - 1, 0)
    finally:
        workbook.close()


def _header_map(header, columns: ReportColumns) -> dict[str, int]:
    """{pipeline key: column index} from the header row and the carrier's column mapping."""
    names = [str(cell or "").strip().lstrip("\ufeff").lower() for cell in header]
    wanted_names = {alias.strip().lower() for field_name in ReportColumns.FIELDS
                    for alias in (getattr(columns, field_name) or "").split("|") if alias.strip()}
    twice = sorted({name for name in names if name in wanted_names and names.count(name) > 1})
    if twice:
        # Which of two same-named columns holds the data cannot be guessed.
        raise ImportFailed(_("The header has the column “%(column)s” more than once; keep one.")
                           % {"column": twice[0]})
    found = {}
    for field_name in ReportColumns.FIELDS:
        wanted = getattr(columns, field_name)
        if not wanted:
            continue
        aliases = [alias.strip().lower() for alias in wanted.split("|") if alias.strip()]
        index = next((names.index(alias) for alias in aliases if alias in names), None)
        if index is None:
            if field_name in ReportColumns.REQUIRED:
                raise ImportFailed(_("The header has no column “%(column)s” (%(field)s).") % {
                    "column": wanted, "field": ReportColumns._meta.get_field(field_name).verbose_name})
            continue
        found["time" if field_name == "event_time" else field_name] = index
    if "code" not in found and "description" not in found:
        raise ImportFailed(_("The header has neither the operation code nor the description column."))
    return found


def _rows(records, columns, *, text_only=False) -> Iterator[tuple[int, dict]]:
    """(row number, raw event) for each non-blank record after the header (row 1).

    text_only: every cell is a str (CSV), so a blank-row test can join them."""
    try:
        header = next(records)
    except StopIteration:
        raise ImportFailed(_("The file is empty.")) from None
    mapping = _header_map(header, columns)
    keys, indexes = list(mapping), list(mapping.values())
    width_needed = max(indexes) + 1
    pick = itemgetter(*indexes) if len(indexes) > 1 else (lambda record: (record[indexes[0]],))
    for number, record in enumerate(records, start=2):
        if text_only:
            if not "".join(record).strip():
                continue
        elif not any(cell not in (None, "") and str(cell).strip() for cell in record):
            continue
        if len(record) >= width_needed:
            yield number, dict(zip(keys, pick(record), strict=True))
        else:  # a short row: the missing cells are empty
            yield number, {key: record[index] if index < len(record) else None for key, index in mapping.items()}


def read_rows(path, file_format, encoding, columns: ReportColumns) -> Iterator[tuple[int, dict]]:
    if file_format == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            yield from _rows(workbook.worksheets[0].iter_rows(values_only=True), columns)
        finally:
            workbook.close()
        return
    with open(path, encoding=encoding, newline="") as handle:
        yield from _rows(csv.reader(handle), columns, text_only=True)


def batched(iterable, size):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def create_import(*, carrier, uploaded_file, actor, now, store=None) -> TrackingImport:
    """Store an uploaded report file as a queued import."""
    if uploaded_file.size == 0:
        raise ImportFailed(_("The file is empty."))
    if uploaded_file.size > MAX_UPLOAD_BYTES:
        raise ImportFailed(_("The file is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES >> 20})
    suffix = Path(uploaded_file.name).suffix.lower()
    if suffix not in {".csv", ".txt", ".xlsx"}:
        raise ImportFailed(_("Upload a CSV or XLSX file."))
    head = uploaded_file.read(4)
    uploaded_file.seek(0)
    if head.startswith(XLSX_MAGIC):
        xlsx_uncompressed(uploaded_file)  # refuses a zip bomb before it is stored
        uploaded_file.seek(0)
    return TrackingImport.objects.create(
        carrier=carrier, store=store, file=uploaded_file, original_name=Path(uploaded_file.name).name[:255],
        size=uploaded_file.size, uploaded_by=actor, created_at=now,
    )


def xlsx_uncompressed(file) -> int:
    """The uncompressed size of an XLSX (a zip archive). Raises ImportFailed for a damaged archive or
    one that expands beyond MAX_XLSX_UNCOMPRESSED or MAX_XLSX_RATIO times its size (a zip bomb);
    reads only the archive's directory."""
    import zipfile

    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFailed(XLSX_DAMAGED()) from exc
    total = sum(member.file_size for member in members)
    packed = max(sum(member.compress_size for member in members), 1)
    if total > MAX_XLSX_UNCOMPRESSED or total > MAX_XLSX_RATIO * packed:
        raise ImportFailed(_("The XLSX file expands to %(mb)s MB (%(ratio)s times its size): refused as a "
                             "possible zip bomb. Save the report as CSV, or split it.")
                           % {"mb": total >> 20, "ratio": total // packed})
    return total


def runs_inline(tracking_import) -> bool:
    """Whether an import is small enough to run while the upload request waits: a CSV by its size, an
    XLSX by its uncompressed size and its row count (never by its compressed size)."""
    path = tracking_import.file.path
    with open(path, "rb") as handle:
        is_xlsx = handle.read(4).startswith(XLSX_MAGIC)
    if not is_xlsx:
        return tracking_import.size <= INLINE_MAX_BYTES
    try:
        if xlsx_uncompressed(path) > INLINE_MAX_XLSX_BYTES:
            return False
        return _xlsx_rows(path) <= INLINE_MAX_ROWS
    except ImportFailed:
        return True  # fails at once, with its message, in the request


def start_import(tracking_import, *, now) -> bool:
    """Run a small import now, or hand a large one to a django-q2 task. Returns True if it ran now."""
    if runs_inline(tracking_import):
        run_import(tracking_import.pk, now=now)
        return True
    from django_q.tasks import async_task

    pk = tracking_import.pk
    transaction.on_commit(
        lambda: async_task("logistics.tasks.run_import", pk, task_name=f"logistics-import-{pk}")
    )
    return False


def run_import(import_id, *, now, clock=None) -> TrackingImport:
    """Read one uploaded report: ingest its rows in batches, recording progress after each batch.

    A crash part-way leaves the batches already done in place; running the import again adds
    only what is missing (ingest is idempotent). `clock` (default: always `now`) stamps progress.
    """
    clock = clock or (lambda: now)
    tracking_import = TrackingImport.objects.select_related("carrier", "store", "uploaded_by").get(pk=import_id)
    if tracking_import.is_finished:
        return tracking_import
    TrackingImport.objects.filter(pk=import_id).update(status=TrackingImport.Status.RUNNING, started_at=clock())
    progress = {}
    try:
        columns = ReportColumns.objects.filter(carrier=tracking_import.carrier).first()
        if columns is None:
            raise ImportFailed(_("Carrier %(carrier)s has no report column mapping; an administrator adds it.")
                               % {"carrier": tracking_import.carrier.code})
        path = tracking_import.file.path
        file_format, encoding, total = inspect_file(path)
        TrackingImport.objects.filter(pk=import_id).update(
            file_format=f"{file_format}:{encoding}" if encoding else file_format, rows_total=total
        )
        user = tracking_import.uploaded_by
        ingestor = Ingestor(
            tracking_import.carrier, now=now, actor=user, store=tracking_import.store,
            allowed_store_ids=ingest_store_ids(user) if user is not None else None,
            tracking_import=tracking_import, time_format=columns.time_format,
        )
        result = BatchResult()
        rejected_count = 0
        for batch in batched(read_rows(path, file_format, encoding, columns), BATCH_ROWS):
            one = ingestor.ingest(batch)
            rejected_count += len(one.rejected)
            room = TrackingImport.MAX_REJECTED_LISTED - len(result.rejected)
            one.rejected = [{"row": r["row"], "reason": r["reason"]} for r in one.rejected[:max(room, 0)]]
            result.merge(one)
            progress = {
                "rows_read": result.read, "events_added": result.added, "duplicates": result.duplicates,
                "shipments_created": result.shipments_created, "rejected_count": rejected_count,
            }
            TrackingImport.objects.filter(pk=import_id).update(**progress)
        TrackingImport.objects.filter(pk=import_id).update(
            status=TrackingImport.Status.DONE, finished_at=clock(), rejected_rows=result.rejected, **progress
        )
    except (ImportFailed, UnicodeDecodeError, csv.Error) as exc:
        message = str(exc)
        if isinstance(exc, csv.Error):  # e.g. a cell over the csv module's 128 KB limit: say what it means
            message = _("The file is not a readable CSV table: %(error)s") % {"error": message[:200]}
        TrackingImport.objects.filter(pk=import_id).update(
            status=TrackingImport.Status.FAILED, finished_at=clock(), message=message
        )
    except Exception as exc:
        log.exception("Import %s failed", import_id)
        TrackingImport.objects.filter(pk=import_id).update(
            status=TrackingImport.Status.FAILED, finished_at=clock(),
            message=_("Unexpected error: %(error)s. Rows already imported are kept; upload the file again to "
                      "finish (nothing is added twice).") % {"error": exc},
        )
    tracking_import.refresh_from_db()
    return tracking_import
