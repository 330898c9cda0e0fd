"""The malformed-payload corpus (tests/portal/malformed_corpus.py) against every write endpoint and
the upload: each case answers 400 with the field's error (or `detail` for a body that is no JSON
object), never a 5xx, and the database is exactly as before; each endpoint's valid body, sent as it
is, is accepted.

The demo data is loaded once for the module; every case runs in a savepoint of it, as the
permission matrix does. Requests are made by the demo administrator (every role check passes, so
the answer is the input's).
"""

import hashlib
import io
import zipfile
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import override_settings
from rest_framework.test import APIClient

from portal.permissions import governed_models
from tests.portal.malformed_corpus import ENDPOINTS, UPLOADS, cases

IDS = {}
# The fingerprint of the state every case starts from (each runs in a savepoint of it), taken once.
BASELINE = {}


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
            BASELINE["fingerprint"] = fingerprint()
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _find_ids():
    from django.utils import timezone

    from installation.models import InstallationJob
    from logistics import appointments
    from logistics.models import Alert
    from logistics.services import offer_compensation
    from tickets.models import EscalationPolicy, Queue, Ticket

    tickets = Ticket.objects.filter(status__in=["new", "open", "pending"]).order_by("pk")
    admin = apps.get_model("auth", "User").objects.get(username="admin")
    alert, other_alert, third_alert = Alert.objects.filter(status=Alert.Status.OPEN).order_by("pk")[:3]
    now = timezone.now()
    # The dispatch and the offer waiting for approval on alerts of their own: `{alert}` stays as the
    # demo left it, so the acknowledge and dispatch entries' valid bodies are accepted.
    dispatch = appointments.create_dispatch(
        other_alert, actor=admin, now=now, planned_pickup=now, planned_dropoff=now + timezone.timedelta(hours=2),
        cost=50, driver_name="周师傅", driver_phone="13900001111")
    coordinator = apps.get_model("auth", "User").objects.get(username="logistics")
    offer = offer_compensation(third_alert, actor=coordinator, now=now, kind="cash", amount=Decimal("120"))
    assert offer.status == "pending_approval", offer.status
    IDS.update({
        "ticket": tickets[0].pk, "other_ticket": tickets[1].pk,
        "queue": Queue.objects.exclude(pk=tickets[0].queue_id).order_by("pk").first().pk,
        "policy": EscalationPolicy.objects.order_by("pk").first().pk,
        "team": apps.get_model("portal", "Team").objects.order_by("pk").first().pk,
        "job": InstallationJob.objects.exclude(node__in=["completed", "cancelled"]).order_by("pk").first().pk,
        "alert": alert.pk, "dispatch": dispatch.pk, "offer_alert": third_alert.pk, "offer": offer.pk,
    })
    _find_refund_ids()
    _find_training_ids(admin, now)


def _find_refund_ids():
    from refunds.models import RefundRequest

    def first(**conditions):
        return RefundRequest.objects.filter(**conditions).order_by("pk").values_list("pk", flat=True)[0]

    IDS.update({
        "refund": first(status="open"), "refund_waiting": first(status="awaiting_approval"),
        "refund_held": first(status="awaiting_return"),
        "refund_contested": first(status="decided", decision__in=["reject", "partial"]),
        "refund_disputed": first(status="disputed"),
    })


def _find_training_ids(admin, now):
    """The demo's training rows, an assignment of the administrator's with an attempt in progress (only
    the agent answers their own attempt) and a draft scenario (the demo's are all published)."""
    from django.utils import timezone

    from tickets.models import Queue
    from training import services
    from training.models import Assignment, Attempt, CertificationRequirement, QueueGate, Scenario

    scenario = Scenario.objects.filter(status="published").order_by("pk").first()
    [assignment] = services.assign_scenario(scenario, agents=[admin], due_at=now + timezone.timedelta(days=7),
                                            actor=admin, now=now)
    attempt = services.start_attempt(scenario, agent=admin, assignment=assignment, actor=admin, now=now)
    draft = services.create_scenario(actor=admin, now=now, title="草稿 Draft", turns=[{"text": "在吗？"}])
    submitted = Attempt.objects.filter(status="submitted").order_by("pk").first()
    categories = list(submitted.rubric.categories.order_by("position").values_list("pk", flat=True))
    assert len(categories) == 4, categories  # the grade entry's valid body grades the standard rubric's four
    requirements = list(CertificationRequirement.objects.order_by("pk"))
    gate = QueueGate.objects.order_by("pk").first()
    IDS.update({
        "scenario": scenario.pk, "draft_scenario": draft.pk, "rubric": scenario.rubric_id,
        "agent": apps.get_model("auth", "User").objects.get(username="agent").pk, "assignment": assignment.pk,
        "other_assignment": Assignment.objects.exclude(agent=admin).order_by("pk").first().pk,
        "attempt": attempt.pk, "submitted_attempt": submitted.pk,
        **{f"category{n}": pk for n, pk in enumerate(categories, start=1)},
        "requirement": requirements[0].pk, "other_requirement_code": requirements[1].code,
        "gate": gate.pk, "gated_queue": gate.queue_id,
        "free_queue": Queue.objects.exclude(pk__in=QueueGate.objects.values("queue")).order_by("pk").first().pk,
    })


def _tables() -> list[tuple[str, str]]:
    """(table, primary key column) of every model of the portal's apps, their many-to-many tables, users."""
    models = [*governed_models(), apps.get_model("auth", "User")]
    models += [field.remote_field.through for model in models for field in model._meta.local_many_to_many
               if field.remote_field.through._meta.auto_created]
    return [(model._meta.db_table, model._meta.pk.column) for model in models]


def fingerprint() -> str:
    """Every row of those tables as stored, hashed: equal means unchanged. Plain SQL: the ORM's
    conversion of each value made this most of a case's time."""
    digest = hashlib.sha256()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, pk in _tables():
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {quote(pk)}")
            digest.update(table.encode())
            digest.update(repr(cursor.fetchall()).encode())
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
    api = _admin_client()
    headers = {"HTTP_IDEMPOTENCY_KEY": "corpus", "HTTP_ACCEPT_LANGUAGE": "en"}
    if raw is not None:
        response = getattr(api, method)(url, raw, content_type="application/json", **headers)
    else:
        response = getattr(api, method)(url, _fill(body), format="json", **headers)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    assert response.status_code == 400, response.content[:500]
    assert key in response.json(), response.content[:500]
    # The demo state the case started from (a savepoint of it), hashed once for the module.
    assert fingerprint() == BASELINE["fingerprint"]


@pytest.mark.parametrize("method, path, body", [
    pytest.param(method, path, body, id=f"{method} {path}")
    for method, path, body, _fields in ENDPOINTS])
def test_valid_body_is_accepted(world, db, method, path, body):
    """Each case changes one field of a body the endpoint accepts, so the 400 is that field's."""
    response = getattr(_admin_client(), method)(path.format(**IDS), _fill(body), format="json",
                                                HTTP_IDEMPOTENCY_KEY="corpus-valid", HTTP_ACCEPT_LANGUAGE="en")
    assert 200 <= response.status_code < 300, (response.status_code, response.content[:500])


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
