"""The import page and API: upload, small files at once, large files by a django-q2 task, progress
JSON, history, and whole-file errors."""

import io

import pytest
from django_q.conf import Conf

from logistics import imports
from logistics.models import Shipment, TrackingImport
from tests.logistics.factories import REPORT_TIME, sample_bytes, sample_xlsx, upload


def post_upload(client, content, name="report.csv", HTTP_ACCEPT_LANGUAGE=None, **fields):
    headers = {"HTTP_ACCEPT_LANGUAGE": HTTP_ACCEPT_LANGUAGE} if HTTP_ACCEPT_LANGUAGE else {}
    return client.post("/logistics/imports/", {"file": upload(content, name), "carrier": "SF", **fields}, **headers)


def test_upload_page_imports_a_small_file_at_once(portal, client):
    client.force_login(portal["logistics"])
    page = client.get("/logistics/imports/")
    assert page.status_code == 200 and 'data-testid="upload-form"' in page.content.decode()

    response = post_upload(client, sample_bytes(), store="clouddry-tmall")
    tracking_import = TrackingImport.objects.get()
    assert response.status_code == 302 and response.url == f"/logistics/imports/{tracking_import.pk}/"
    assert tracking_import.status == TrackingImport.Status.DONE
    assert tracking_import.uploaded_by == portal["logistics"]

    status = client.get(f"/logistics/imports/{tracking_import.pk}/status/").json()
    assert status["finished"] and status["percent"] == 100
    assert (status["rows_read"], status["events_added"], status["duplicates_skipped"], status["rows_rejected"]) == (
        25, 22, 1, 2)
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<progress" in page and 'data-testid="rejected-rows"' in page
    assert "<td>22</td><td>impossible timestamp" in page
    history = client.get("/logistics/imports/").content.decode()
    assert "<td >report.csv</td>" in history  # the uploaded file's name


def test_upload_form_errors(portal, client):
    client.force_login(portal["logistics"])
    response = client.post("/logistics/imports/", {"carrier": "SF"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    response = post_upload(client, b"%PDF-1.4", name="report.pdf")
    assert response.status_code == 400 and "Upload a CSV or XLSX file." in response.content.decode()
    response = client.post("/logistics/imports/", {"file": upload(b"a,b\n"), "carrier": "ZZ"})
    assert response.status_code == 400
    assert not TrackingImport.objects.exists()


def test_a_file_without_the_required_columns_fails_as_a_whole(portal, client):
    client.force_login(portal["logistics"])
    post_upload(client, "运单号,操作码\nSF1,50\n".encode(), store="clouddry-tmall")
    tracking_import = TrackingImport.objects.get()
    assert tracking_import.status == TrackingImport.Status.FAILED
    assert "扫描时间" in tracking_import.message
    assert not Shipment.objects.exists()


def test_a_large_file_is_imported_by_a_django_q_task(portal, client, monkeypatch,
                                                     django_capture_on_commit_callbacks):
    monkeypatch.setattr(imports, "INLINE_MAX_BYTES", 100)  # the sample is then "large"
    monkeypatch.setattr(Conf, "SYNC", True)  # django-q2 runs the task in this process
    client.force_login(portal["logistics"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_upload(client, sample_bytes("gbk"), store="clouddry-tmall")
    assert len(callbacks) == 1  # the task is queued only once the upload is committed
    tracking_import = TrackingImport.objects.get()
    assert response.status_code == 302
    assert tracking_import.status == TrackingImport.Status.DONE
    assert (tracking_import.rows_read, tracking_import.events_added) == (25, 22)
    assert tracking_import.file_format == "csv:gb18030"


def test_the_task_function_directly(portal, carrier):
    from logistics.tasks import run_import

    tracking_import = imports.create_import(carrier=carrier, store=portal.stores["swiftride-tmall"],
                                            uploaded_file=upload(sample_xlsx(), "r.xlsx"), actor=None,
                                            now=REPORT_TIME)
    assert run_import(tracking_import.pk) == TrackingImport.Status.DONE
    assert Shipment.objects.filter(store__code="swiftride-tmall").count() == 6
    assert run_import(tracking_import.pk) == TrackingImport.Status.DONE  # a finished import is not redone


def test_progress_is_recorded_per_batch(portal, carrier, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_ROWS", 5)
    seen = []
    real = TrackingImport.objects.filter

    def spy(*args, **kwargs):
        queryset = real(*args, **kwargs)
        original = queryset.update

        def update(**fields):
            if "rows_read" in fields:
                seen.append(fields["rows_read"])
            return original(**fields)

        queryset.update = update
        return queryset

    monkeypatch.setattr(TrackingImport.objects, "filter", spy)
    tracking_import = imports.create_import(carrier=carrier, store=portal.stores["clouddry-tmall"],
                                            uploaded_file=upload(sample_bytes()), actor=None, now=REPORT_TIME)
    result = imports.run_import(tracking_import.pk, now=REPORT_TIME)
    assert seen[:5] == [5, 10, 15, 20, 25] and result.rows_total == 25 and result.percent == 100


def test_api_upload(portal, client):
    client.force_login(portal["carrier-feed"])
    response = client.post("/api/v1/logistics/imports/", {"file": upload(sample_bytes("utf-8-sig")),
                                                          "carrier": "SF", "store": "clouddry-tmall"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "done" and body["events_added"] == 22 and body["duplicates_skipped"] == 1
    assert body["rejected_rows"] == [
        {"row": 22, "reason": "impossible timestamp “2026-13-45 25:61:00”"},
        {"row": 23, "reason": "the waybill number is missing"},
    ]
    assert client.get(body["status_url"]).json()["id"] == body["id"]
    response = client.post("/api/v1/logistics/imports/", {"carrier": "SF"})
    assert response.status_code == 400 and "file" in response.json()


@pytest.mark.parametrize("username, expected", [("agent", 403), ("chairman", 403), ("logistics", 302)])
def test_who_may_upload(portal, client, username, expected):
    client.force_login(portal[username])
    assert post_upload(client, io.BytesIO(sample_bytes()).getvalue(), store="clouddry-tmall").status_code == expected


def test_api_upload_answers_a_store_outside_scope_as_an_unknown_store(portal, client):
    from tests.logistics.factories import make_coordinator

    client.force_login(make_coordinator([portal.stores["clouddry-tmall"]]))
    answers = []
    for store in ("swiftride-tmall", "no-such-store"):
        response = client.post("/api/v1/logistics/imports/", {"file": upload(sample_bytes()), "carrier": "SF",
                                                              "store": store})
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1] == (
        400, {"store": ["Select a valid choice. That choice is not one of the available choices."]})
    assert not TrackingImport.objects.exists()


def test_only_the_import_task_relaxes_the_garbage_collector(portal, carrier, client, monkeypatch):
    """Process-wide collector thresholds change for the task (a worker running nothing else), never
    inside a web request such as an upload imported at once."""
    import gc

    from logistics import ingest, tasks
    from portal.memory import BULK_THRESHOLDS

    normal = gc.get_threshold()
    seen = []
    real_write = ingest.Ingestor.write
    monkeypatch.setattr(ingest.Ingestor, "write",
                        lambda self, *args: (seen.append(gc.get_threshold()), real_write(self, *args))[1])
    client.force_login(portal["logistics"])
    post_upload(client, sample_bytes(), store="clouddry-tmall")
    assert seen and set(seen) == {normal}

    seen.clear()
    tracking_import = imports.create_import(carrier=carrier, store=portal.stores["swiftride-tmall"],
                                            uploaded_file=upload(sample_xlsx(), "r.xlsx"), actor=None,
                                            now=REPORT_TIME)
    assert tasks.run_import(tracking_import.pk) == TrackingImport.Status.DONE
    assert seen and set(seen) == {BULK_THRESHOLDS}
    assert gc.get_threshold() == normal


def test_a_damaged_workbook_is_refused_at_the_upload_in_excel_terms(portal, client):
    """A zip that is not one: refused before anything is stored, at the file field, in Excel terms."""
    client.force_login(portal["logistics"])
    response = post_upload(client, b"PK\x03\x04" + b"\x00garbage" * 200, name="report.xlsx", store="clouddry-tmall",
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "not a readable Excel workbook" in response.content.decode()
    assert not TrackingImport.objects.exists()


def test_a_garbage_xlsx_is_answered_in_excel_terms_and_its_badge_is_red(portal, client):
    """Not a workbook at all (a renamed or garbled file): the import fails, in Excel terms, in red."""
    client.force_login(portal["logistics"])
    post_upload(client, bytes(range(256)) * 40, name="report.xlsx", store="clouddry-tmall")
    tracking_import = TrackingImport.objects.get()
    assert tracking_import.status == TrackingImport.Status.FAILED
    assert "not a readable Excel workbook" in tracking_import.message
    assert "encoding" not in tracking_import.message and "CSV (" not in tracking_import.message
    history = client.get("/logistics/imports/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'class="status bad" data-status="failed"' in history
    page = client.get(f"/logistics/imports/{tracking_import.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-status="failed" data-testid="import-status"' in page
