"""The malformed-payload corpus (tests/portal/malformed_corpus.py) against every write endpoint and
the upload: each case answers 400 with the field's error (or `detail` for a body that is no JSON
object), never a 5xx, and the database is exactly as before.

The demo data is loaded once for the module; every case runs in a savepoint of it, as the
permission matrix does. Requests are made by the demo administrator (every role check passes, so
the answer is the input's).
"""

import hashlib
import io
import zipfile

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings
from rest_framework.test import APIClient

from portal.permissions import governed_models
from tests.portal.malformed_corpus import UPLOADS, cases

IDS = {}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], LANGUAGE_CODE="en"
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("load_demo", stdout=io.StringIO())
            _find_ids()
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _find_ids():
    from django.utils import timezone

    from installation.models import InstallationJob
    from logistics import appointments
    from logistics.models import Alert
    from tickets.models import EscalationPolicy, Queue, Ticket

    tickets = Ticket.objects.filter(status__in=["new", "open", "pending"]).order_by("pk")
    admin = apps.get_model("auth", "User").objects.get(username="admin")
    alert = Alert.objects.filter(status=Alert.Status.OPEN).order_by("pk").first()
    now = timezone.now()
    dispatch = appointments.create_dispatch(
        alert, actor=admin, now=now, planned_pickup=now, planned_dropoff=now + timezone.timedelta(hours=2),
        cost=50, driver_name="周师傅", driver_phone="13900001111")
    IDS.update({
        "ticket": tickets[0].pk, "other_ticket": tickets[1].pk,
        "queue": Queue.objects.exclude(pk=tickets[0].queue_id).order_by("pk").first().pk,
        "policy": EscalationPolicy.objects.order_by("pk").first().pk,
        "team": apps.get_model("portal", "Team").objects.order_by("pk").first().pk,
        "job": InstallationJob.objects.exclude(node__in=["completed", "cancelled"]).order_by("pk").first().pk,
        "alert": alert.pk, "dispatch": dispatch.pk,
    })


def fingerprint() -> str:
    """Every row of every model of the portal's apps (and users), hashed: equal means unchanged."""
    digest = hashlib.sha256()
    for model in [*governed_models(), apps.get_model("auth", "User")]:
        for row in model._default_manager.order_by("pk").values_list():
            digest.update(repr(row).encode())
    return digest.hexdigest()


def _fill(value):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in IDS:
        return IDS[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v) for v in value]
    return value


def _admin_client():
    api = APIClient()
    api.force_authenticate(apps.get_model("auth", "User").objects.get(username="admin"))
    return api


CASES = cases()


def test_the_corpus_is_large_enough():
    assert len(CASES) + len(UPLOADS) >= 200


@pytest.mark.parametrize("method, path, body, raw, key", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_payload(world, db, method, path, body, raw, key):
    url = path.format(**IDS)
    before = fingerprint()
    api = _admin_client()
    headers = {"HTTP_IDEMPOTENCY_KEY": "corpus", "HTTP_ACCEPT_LANGUAGE": "en"}
    if raw is not None:
        response = getattr(api, method)(url, raw, content_type="application/json", **headers)
    else:
        response = getattr(api, method)(url, _fill(body), format="json", **headers)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    assert response.status_code == 400, response.content[:500]
    assert key in response.json(), response.content[:500]
    assert fingerprint() == before


def _bomb():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(310):
                member.write(b"\0" * (1 << 20))
    return out.getvalue()


@pytest.mark.parametrize("name, content, fields, key", UPLOADS, ids=[u[0] + "-" + str(n) for n, u in enumerate(UPLOADS)])
def test_malformed_upload(world, db, name, content, fields, key):
    before = fingerprint()
    content = _bomb() if content == "zip-bomb" else content
    response = _admin_client().post("/api/v1/logistics/imports/", {"file": SimpleUploadedFile(name, content), **fields},
                                    format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    if key is None:
        # Accepted as a file, then refused as a whole: an import that failed with its reason, no events.
        assert response.status_code == 201 and response.json()["status"] == "failed", response.content[:500]
        from logistics.models import TrackingEvent

        assert not TrackingEvent.objects.filter(tracking_import_id=response.json()["id"]).exists()
        return
    assert response.status_code == 400 and key in response.json(), response.content[:500]
    assert fingerprint() == before
