"""Hostile input on the refund desk, each a defect found by probing and fixed: a clear 400 (or the
message at the field of the page's form), what was typed kept, nothing stored, never a 500."""

import struct
import zlib
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from refunds.models import EvidenceFile, RefundDeskSettings, RefundRequest, ResponsibilityRule, ReturnPolicy
from tests.admin_forms import read_admin_form
from tests.refunds.factories import make_request, payload

URL = "/api/v1/refunds/"
YEARS = "Give a time between the years 2000 and 2100."
DATE_YEARS = "Give a date between the years 2000 and 2100."


def _client(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _partial(desk):
    """A request decided as a partial refund (a contested decision: it may be disputed)."""
    refund = make_request(desk.stores["clouddry-tmall"])
    response = _client(desk["refund"]).post(f"{URL}{refund.pk}/decide/", {"decision": "partial", "amount": "50.00"},
                                            content_type="application/json")
    assert response.status_code == 200, response.json()
    return refund


def _errors_at(html, name):
    """The error text shown at the page form's field `name`."""
    return html.split(f'name="{name}"')[1].split('<span class="errors">')[1].split("</span>")[0]


def _png_of(width, height) -> bytes:
    """A valid grayscale PNG of the given size: a few hundred KB that decode to width x height bytes."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\0" * (width + 1)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


# --- The API ------------------------------------------------------------------------------------


def test_the_refund_api_parses_json_through_the_portals_bounded_parser(desk, api):
    # The viewset named DRF's own JSONParser (and a form parser) instead of the portal's: deep
    # nesting was a 500 (RecursionError) and a form post was taken for a JSON body.
    api.as_user(desk["integration"])
    deep = api.raw.post(URL, "[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert (deep.status_code, deep.json()) == (400, {"detail": "The JSON is nested deeper than 32 levels."})
    form = api.raw.post(URL, "store=clouddry-tmall&platform_request_id=F-1&amount=1",
                        content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415
    assert not RefundRequest.objects.exists()


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_the_list_refuses_an_updated_since_outside_the_years(desk, api, since):
    # Was a 500: the filter's time cannot be converted to UTC for the query (refunds/filtersets.py).
    response = api.as_user(desk["refund"]).get(URL, updated_since=since)
    assert (response.status_code, response.json()) == (400, {"updated_since": [YEARS]})


@pytest.mark.parametrize("submitted_on, message", [
    ("0001-01-01", DATE_YEARS),
    ("1999-12-31", DATE_YEARS),
    ("20261128", "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."),
    ("2026-11-28T00:00:00", "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."),
    (20261128, "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."),
])
def test_a_dispute_date_outside_the_years_or_not_yyyy_mm_dd_is_refused(desk, api, submitted_on, message):
    # Were stored as given: 0001-01-01, or 20261128 read as a compact ISO date.
    refund = _partial(desk)
    response = api.as_user(desk["refund"]).post(f"{URL}{refund.pk}/dispute/", {"submitted_on": submitted_on})
    assert (response.status_code, response.json()) == (400, {"submitted_on": [message]})
    refund.refresh_from_db()
    assert (refund.status, refund.dispute_submitted_on) == ("decided", None)
    assert not refund.events.filter(kind="dispute").exists()


@pytest.mark.parametrize("submitted_on, message", [
    ("9999-12-31", DATE_YEARS),
    ("0001-01-01", DATE_YEARS),
    ((timezone.localdate() + timedelta(days=2)).isoformat(), "The date cannot be in the future."),
])
def test_a_ruling_records_no_impossible_submission_date(desk, api, submitted_on, message):
    # Was stored: a ruling on a contested decision records its submission date, unchecked.
    refund = _partial(desk)
    response = api.as_user(desk["refund"]).post(f"{URL}{refund.pk}/ruling/", {"ruling": "merchant",
                                                                              "submitted_on": submitted_on})
    assert (response.status_code, response.json()) == (400, {"submitted_on": [message]})
    refund.refresh_from_db()
    assert (refund.status, refund.ruling, refund.dispute_submitted_on) == ("decided", "", None)


@pytest.mark.parametrize("amount", ["١٢", "1E+2", "12.5e1", "0x10", "1_000"],
                         ids=["arabic-indic-digits", "exponent", "exponent-2", "hex", "underscore"])
def test_an_amount_is_ascii_digits_with_a_point_nothing_else(desk, api, amount):
    # Were read as 12, 100 and 125 (Decimal takes other digits and exponents; the schema does not).
    refund = make_request(desk.stores["clouddry-tmall"])
    response = api.as_user(desk["refund"]).post(f"{URL}{refund.pk}/decide/", {"decision": "partial",
                                                                              "amount": amount})
    assert (response.status_code, response.json()) == (400, {"amount": ['Give an amount in yuan, e.g. "199.00".']})
    refund.refresh_from_db()
    assert (refund.status, refund.decisions.count()) == ("open", 0)


def _mp4(moov_body: bytes) -> bytes:
    ftyp = struct.pack(">I4s4sI4s", 20, b"ftyp", b"isom", 0, b"isom")
    return ftyp + struct.pack(">I4s", 8 + len(moov_body), b"moov") + moov_body


@pytest.mark.parametrize("video", [
    _mp4(struct.pack(">I4s", 40, b"mvhd") + b"\0" * 4),  # the movie header cut short
    _mp4(struct.pack(">I4s", 8, b"mvhd")),  # a movie header with no version byte
], ids=["cut-short", "no-version"])
def test_a_truncated_mp4_is_refused_at_the_file(desk, api, video):
    # Was a 500 (struct.error, IndexError) reading the movie header (refunds/evidence.py).
    refund = make_request(desk.stores["clouddry-tmall"])
    api.as_user(desk["refund"])
    response = api.raw.post(f"{URL}{refund.pk}/evidence/", {"kind": "video", "note": "clip",
                                                            "file": SimpleUploadedFile("clip.mp4", video)})
    assert (response.status_code, response.json()) == (400, {"file": [
        "The video cannot be read (no MP4 movie header)."]})
    assert not EvidenceFile.objects.exists()


@pytest.mark.parametrize("name, data, message", [
    ("notes.jpg", b"just some text, named like a photo", "Only JPEG, PNG or WebP images, PDF documents and MP4 "
                                                          "videos are accepted; this file's content is none of "
                                                          "them (whatever its name says)."),
    ("empty.jpg", b"", "The submitted file is empty."),
    ("bomb.png", _png_of(8000, 8000), "The image is too large (more than 60 megapixels)."),
    ("huge.jpg", b"\xff\xd8\xff\xe0" + b"\0" * (50 * 1024 * 1024), "The file is larger than 20 MB."),
], ids=["text-named-jpg", "zero-bytes", "decompression-bomb", "50-MB"])
def test_hostile_uploads_are_refused_at_the_file_and_nothing_is_stored(desk, api, name, data, message):
    refund = make_request(desk.stores["clouddry-tmall"])
    api.as_user(desk["refund"])
    response = api.raw.post(f"{URL}{refund.pk}/evidence/", {"kind": "photo", "file": SimpleUploadedFile(name, data)})
    assert (response.status_code, response.json()) == (400, {"file": [message]})
    assert not EvidenceFile.objects.exists() and not refund.events.filter(kind="evidence").exists()


def test_the_evidence_pack_of_a_request_id_with_a_newline_or_quote_downloads(desk, api):
    # Was a 500: the marketplace's id went into the Content-Disposition header as it is (BadHeaderError).
    body = payload(platform_request_id='TM-RF\n"42"')
    created = api.as_user(desk["integration"]).post(URL, body)
    assert created.status_code == 201, created.json()
    rid = created.json()["id"]
    api.as_user(desk["refund"])
    for url, name in [(f"{URL}{rid}/evidence-pack.pdf", "evidence-pack-clouddry-tmall-TM-RF__42_.pdf"),
                      (f"/refunds/{rid}/evidence-pack.zip", "evidence-pack-clouddry-tmall-TM-RF__42_.zip")]:
        response = api.raw.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert RefundRequest.objects.get(pk=rid).platform_request_id == 'TM-RF\n"42"'  # stored as sent


# --- The pages ----------------------------------------------------------------------------------


def test_the_desk_list_answers_an_out_of_range_filter_and_a_30_digit_page(desk):
    refund = make_request(desk.stores["clouddry-tmall"])
    client = _client(desk["refund"])
    # Was a 500 (the time cannot be converted to UTC): the filter form says why.
    response = client.get("/refunds/all/", {"updated_since": "0001-01-01T00:00:00+14:00"})
    assert response.status_code == 200 and YEARS in response.content.decode()
    # Was a 500 (the capped count's LIMIT overflowed the database integer): the last page is shown.
    response = client.get("/refunds/all/", {"page": "9" * 30})
    assert response.status_code == 200 and f'href="/refunds/{refund.pk}/"' in response.content.decode()


@pytest.mark.parametrize("received_at, message", [
    ("0001-01-01T00:00", YEARS),  # was a 500: a year-1 time cannot be compared with now
    ("1999-12-31T23:00", YEARS),
])
def test_goods_received_at_an_impossible_time_is_refused_at_the_field(desk, received_at, message):
    refund = make_request(desk.stores["clouddry-tmall"], kind="return_and_refund")
    response = _client(desk["refund"]).post(f"/refunds/{refund.pk}/received/", {"received_at": received_at})
    assert response.status_code == 400
    html = response.content.decode()
    assert _errors_at(html, "received_at") == message and f'value="{received_at}"' in html
    refund.refresh_from_db()
    assert (refund.status, refund.goods_received_at) == ("awaiting_return", None)


@pytest.mark.parametrize("submitted_on", ["0001-01-01", "1999-12-31"])
def test_the_dispute_form_refuses_a_date_outside_the_years(desk, submitted_on):
    refund = _partial(desk)
    response = _client(desk["refund"]).post(f"/refunds/{refund.pk}/dispute/", {"submitted_on": submitted_on,
                                                                               "note": "pack sent"})
    assert response.status_code == 400
    html = response.content.decode()
    assert _errors_at(html, "submitted_on") == DATE_YEARS and "pack sent" in html
    refund.refresh_from_db()
    assert (refund.status, refund.dispute_submitted_on) == ("decided", None)


def test_a_form_posted_in_the_wrong_state_says_why(desk):
    # Each was a 400 page without a word: the refused form is not on the page in the new state.
    refund = _partial(desk)
    client = _client(desk["refund"])
    twice = client.post(f"/refunds/{refund.pk}/decide/", {"decision": "approve"})
    assert twice.status_code == 400 and "The request is already Decided." in twice.content.decode()
    approve = _client(desk["manager"]).post(f"/refunds/{refund.pk}/approve/", {})
    assert approve.status_code == 400 and "No decision on this request waits for approval." in approve.content.decode()
    assert client.post(f"/refunds/{refund.pk}/close/", {}).status_code == 302
    again = client.post(f"/refunds/{refund.pk}/close/", {})
    assert again.status_code == 400 and "Only a decided request can be closed." in again.content.decode()
    dispute = client.post(f"/refunds/{refund.pk}/dispute/", {"submitted_on": "2026-11-01"})
    assert dispute.status_code == 400
    assert "Only a rejected or partial refund decision can be disputed." in dispute.content.decode()
    refund.refresh_from_db()
    assert (refund.status, refund.decision, refund.dispute_submitted_on) == ("closed", "partial", None)
    assert refund.decisions.count() == 1


# --- Admin ----------------------------------------------------------------------------------------


@pytest.fixture
def root(desk):
    return _client(get_user_model().objects.create_superuser("root", "root@example.com", "pw-test-123"))


def _admin_errors_at(html, name):
    """The errors Django admin lists at the field `name`."""
    errors = html.split(f'id="id_{name}_error">')[1].split("</ul>")[0]
    return [item.split("</li>")[0] for item in errors.split("<li>")[1:]]


def _change(root, model, pk, **values):
    url = f"/admin/refunds/{model}/{pk}/change/"
    data, _options = read_admin_form(root.get(url).content.decode(), model)
    return root.post(url, {**data, **values})


@pytest.mark.parametrize("field", ["refund_only_hours", "return_hours", "refund_after_receipt_hours"])
def test_desk_hours_that_would_overflow_every_deadline_are_refused(desk, root, field):
    # Was saved: then every request of the store failed (timedelta overflow) on arrival or receipt.
    settings = RefundDeskSettings.objects.get(store__code="clouddry-tmall")
    before = getattr(settings, field)
    response = _change(root, "refunddesksettings", settings.pk, **{field: str(10**9)})
    assert response.status_code == 200
    assert _admin_errors_at(response.content.decode(), field) == ["At most 8784 hours."]
    settings.refresh_from_db()
    assert getattr(settings, field) == before
    created = _client(desk["integration"]).post(URL, payload(), content_type="application/json")
    assert created.status_code == 201


@pytest.mark.parametrize("field, value, message", [
    ("window_days", str(10**9), "At most 3660 days."),  # overflowed the window's end date
    ("active_from", "0001-01-01", DATE_YEARS),
    ("active_to", "9999-12-31", DATE_YEARS),
])
def test_a_return_policy_out_of_bounds_is_refused_at_the_field(desk, root, field, value, message):
    policy = ReturnPolicy.objects.get(code="hassle-free-90")
    before = (policy.window_days, policy.active_from, policy.active_to)
    response = _change(root, "returnpolicy", policy.pk, **{field: value})
    assert response.status_code == 200 and _admin_errors_at(response.content.decode(), field) == [message]
    policy.refresh_from_db()
    assert (policy.window_days, policy.active_from, policy.active_to) == before


@pytest.mark.parametrize("value", ["null", ""])
def test_an_empty_or_null_list_in_admin_is_an_empty_list(desk, root, value):
    # Was a 500 (NOT NULL constraint failed): the JSON field's None went to the database.
    policy = ReturnPolicy.objects.get(code="hassle-free-90")
    assert _change(root, "returnpolicy", policy.pk, excluded_flags=value).status_code == 302
    policy.refresh_from_db()
    assert policy.excluded_flags == []
    rule = ResponsibilityRule.objects.get(code="no-fault-found")
    assert _change(root, "responsibilityrule", rule.pk, required_evidence=value).status_code == 302
    rule.refresh_from_db()
    assert rule.required_evidence == []


def test_an_evidence_file_missing_from_storage_is_not_found(desk, api):
    refund = make_request(desk.stores["clouddry-tmall"])
    api.as_user(desk["refund"])
    png = _png_of(20, 20)
    assert api.raw.post(f"{URL}{refund.pk}/evidence/",
                        {"kind": "photo", "file": SimpleUploadedFile("p.png", png)}).status_code == 201
    evidence = EvidenceFile.objects.get()
    evidence.file.storage.delete(evidence.file.name)
    response = _client(desk["refund"]).get(f"/refunds/{refund.pk}/evidence/{evidence.pk}/")
    assert response.status_code == 404
