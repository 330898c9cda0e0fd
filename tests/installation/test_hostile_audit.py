"""Hostile input on installation jobs, each a defect found by probing and fixed: a clear 400 (or the
message at the field of the page's form), what was typed kept, nothing stored, never a 500."""

import struct
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from installation.models import InstallationEvent, InstallationJob, Product
from tests.admin_forms import read_admin_form
from tests.installation.factories import (
    make_installation_coordinator,
    make_job,
    make_partner,
    make_product,
)

pytestmark = pytest.mark.django_db
JOBS = "/logistics/installations/"
YEARS = "Give a time between the years 2000 and 2100."


@pytest.fixture(autouse=True)
def _private_in_tmp(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


def _client(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _errors_at(html, name):
    """The error text shown at the page form's field `name`."""
    return html.split(f'name="{name}"')[1].split('<span class="errors">')[1].split("</span>")[0]


def _png(width, height, pixels=None) -> bytes:
    """A grayscale PNG with valid chunk checksums: its pixel data compressed (width x height), or `pixels`."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    if pixels is None:
        packer = zlib.compressobj(9)
        row = b"\0" * (width + 1)
        pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


@pytest.fixture
def on_site(portal):
    store = portal.stores["clouddry-tmall"]
    return make_job(store, product=make_product(store), partner=make_partner([store]),
                    now=timezone.now() - timedelta(hours=5), path=["scheduled", "dispatched", "on_site"])


@pytest.mark.parametrize("photo, message", [
    # Passed the format check (chunk checksums only), then was a 500 making its thumbnail.
    (_png(100, 100, pixels=b"not a zlib stream"), "proof.png: The image is damaged and cannot be read."),
    # 8000 x 8000 pixels in 200 KB: was decoded in full (64 MB, more for a bigger one) for its thumbnail.
    (_png(8000, 8000), "proof.png: The image is too large (more than 60 megapixels)."),
], ids=["damaged", "bomb"])
def test_a_photo_that_does_not_decode_or_is_a_bomb_is_refused_at_the_field(portal, on_site, settings, photo, message):
    response = _client(portal["installer"]).post(f"{JOBS}{on_site.pk}/events/", {
        "event-completed-node": "completed", "event-completed-note": "installed",
        "event-completed-photos": [SimpleUploadedFile("proof.png", photo, content_type="image/png")]})
    assert response.status_code == 400
    html = response.content.decode()
    assert _errors_at(html, "event-completed-photos") == message and "installed</textarea>" in html
    on_site.refresh_from_db()
    assert on_site.node == "on_site" and not InstallationEvent.objects.filter(job=on_site, node="completed").exists()
    assert not any(path.is_file() for path in Path(settings.PRIVATE_MEDIA_ROOT).rglob("*"))


@pytest.mark.parametrize("field, value", [
    ("appointment_start", "0001-01-01T00:00"),  # was a 500: a year-1 time cannot be converted to UTC
    ("appointment_start", "9999-12-31T22:00"),  # was a 500: its completion due time overflowed
    ("appointment_end", "9999-12-31T23:59"),  # was stored
])
def test_the_event_form_refuses_an_appointment_outside_the_years(portal, field, value):
    store = portal.stores["clouddry-tmall"]
    job = make_job(store, product=make_product(store), now=timezone.now() - timedelta(hours=5))
    data = {"event-scheduled-node": "scheduled", "event-scheduled-appointment_start": "2026-12-20T10:00",
            "event-scheduled-appointment_end": "2026-12-20T12:00", "event-scheduled-note": "客户约了上午"}
    if value.startswith("9999"):
        data["event-scheduled-appointment_end"] = "9999-12-31T23:59"
    data[f"event-scheduled-{field}"] = value
    response = _client(portal["installer"]).post(f"{JOBS}{job.pk}/events/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert _errors_at(html, f"event-scheduled-{field}") == YEARS and "客户约了上午" in html
    job.refresh_from_db()
    assert (job.node, job.appointment_start, job.appointment_end) == ("requested", None, None)
    assert job.events.count() == 1


@pytest.mark.parametrize("data, message", [
    ({"appointment_start": "0001-01-01T00:00", "appointment_end": "0001-01-01T02:00"}, YEARS),
    ({"appointment_start": "9999-12-31T20:00", "appointment_end": "9999-12-31T23:00"}, YEARS),
    # Was a 500: the hidden alert id went into reverse() as -1.
    ({"appointment_start": "2026-12-21T14:00", "appointment_end": "2026-12-21T16:00", "alert": "-1"},
     "Ensure this value is greater than or equal to 1."),
])
def test_moving_an_appointment_to_an_impossible_window_is_refused(portal, data, message):
    store = portal.stores["clouddry-tmall"]
    job = make_job(store, product=make_product(store), now=timezone.now() - timedelta(hours=5), path=["scheduled"])
    before = (job.appointment_start, job.appointment_end)
    client = _client(portal["installer"])
    response = client.post(f"{JOBS}{job.pk}/move/", data)
    assert (response.status_code, response["Location"]) == (302, f"{JOBS}{job.pk}/")
    assert f"The appointment was not moved: {message}" in client.get(response["Location"]).content.decode()
    job.refresh_from_db()
    assert (job.node, job.appointment_start, job.appointment_end) == ("scheduled", *before)


def test_a_job_cannot_go_to_a_partner_that_does_not_serve_its_store(portal, api):
    store, other = portal.stores["clouddry-tmall"], portal.stores["swiftride-tmall"]
    elsewhere = make_partner([other], "swiftride-crew")
    api.as_user(make_installation_coordinator([store]))
    # Was created: a job its partner's API user can never see (their client serves only the other store).
    response = api.post("/api/v1/installations/", {"store": "clouddry-tmall", "partner": "swiftride-crew"})
    assert (response.status_code, response.json()) == (400, {"partner": [
        "This installation partner does not serve the store."]})
    page = _client(portal["installer"]).post(f"{JOBS}add/", {"store": store.pk, "partner": elsewhere.pk,
                                                             "order_number": "T-9"})
    assert page.status_code == 400
    assert _errors_at(page.content.decode(), "partner") == "This installation partner does not serve the store."
    assert not InstallationJob.objects.exists()


@pytest.mark.parametrize("field", ["booking_sla_hours", "completion_sla_hours"])
def test_product_hours_that_would_overflow_every_due_time_are_refused(portal, field):
    # Was saved: then every delivery of the product failed in the carrier ingest (timedelta overflow).
    product = make_product(portal.stores["clouddry-tmall"])
    root = _client(get_user_model().objects.create_superuser("root", "root@example.com", "pw-test-123"))
    url = f"/admin/installation/product/{product.pk}/change/"
    data, _options = read_admin_form(root.get(url).content.decode(), "product")
    response = root.post(url, {**data, field: str(10**9)})
    assert response.status_code == 200
    errors = response.content.decode().split(f'id="id_{field}_error">')[1].split("</ul>")[0]
    assert errors == "<li>At most 8784 hours.</li>"
    assert getattr(Product.objects.get(pk=product.pk), field) == getattr(product, field)
