"""POST /api/v1/refunds/ and the request's actions: idempotency, the ticket and its fixed deadline,
eligibility, holds, decisions with approval, evidence, the pack, disputes, the outbound feed."""

import io
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portal.models import OutboundMessage
from refunds.models import EvidenceFile, RefundEvent, RefundRequest
from tests.refunds.factories import deliver, payload, pdf_bytes, png_bytes
from tickets.models import Ticket

URL = "/api/v1/refunds/"


@pytest.fixture
def integration(desk, api):
    return api.as_user(desk["integration"])


def test_first_post_creates_a_request_with_its_ticket_a_repeat_returns_it(desk, integration):
    body = payload(respond_by=(timezone.now() + timedelta(hours=30)).isoformat())
    first = integration.post(URL, body)
    assert first.status_code == 201, first.json()
    data = first.json()
    assert data["status"] == "open" and data["hold"] is None
    assert set(data) >= {"id", "status", "respond_by", "ticket", "eligibility", "hold", "suggested_rule"}
    assert data["eligibility"]["eligible"] is True and data["eligibility"]["policy"] == "hassle-free-90"
    assert "Delivery date unknown" in data["eligibility"]["reason"]
    ticket = Ticket.objects.get(pk=data["ticket"])
    assert ticket.queue.team.name == "退款组"
    assert ticket.resolution_due.isoformat() == RefundRequest.objects.get().respond_by.isoformat()
    again = integration.post(URL, body)
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    assert RefundRequest.objects.count() == 1 and Ticket.objects.count() == 1


def test_default_deadline_per_kind_when_the_platform_sends_none(desk, integration):
    data = integration.post(URL, payload()).json()
    refund = RefundRequest.objects.get(pk=data["id"])
    assert refund.respond_by - refund.requested_at == timedelta(hours=48)
    assert not refund.respond_by_from_platform
    data = integration.post(URL, payload(kind="exchange", goods_shipped=True)).json()
    refund = RefundRequest.objects.get(pk=data["id"])
    assert refund.respond_by - refund.requested_at == timedelta(days=5)


def test_an_open_refund_ticket_of_the_same_order_is_linked_not_duplicated(desk, integration):
    from tickets.services import create_ticket

    store = desk.stores["clouddry-tmall"]
    existing = create_ticket(store=store, actor=None, now=timezone.now(), order_no="ORD-LINK",
                             description="我要退款", category="refund")
    data = integration.post(URL, payload(order_no="ORD-LINK")).json()
    assert data["ticket"] == existing.pk
    existing.refresh_from_db()
    assert existing.resolution_due_fixed_at == RefundRequest.objects.get().respond_by


def test_repeat_changes_while_undecided_and_cancel(desk, integration):
    body = payload()
    rid = integration.post(URL, body).json()["id"]
    changed = integration.post(URL, {**body, "amount": "150.00", "buyer_statement": "只退一部分"})
    assert changed.status_code == 200 and changed.json()["amount"] == "150.00"
    assert RefundEvent.objects.filter(request_id=rid, kind="changed").count() == 1
    cancelled = integration.post(URL, {**body, "cancelled": True})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    refund = RefundRequest.objects.get(pk=rid)
    assert refund.ticket.status == "resolved"
    assert integration.post(URL, {**body, "amount": "120.00"}).status_code == 409


def test_after_a_decision_a_changing_repeat_is_409_and_a_same_one_200(desk, integration, api):
    body = payload()
    rid = integration.post(URL, body).json()["id"]
    decided = api.as_user(desk["refund"]).post(f"{URL}{rid}/decide/", {"decision": "approve"})
    assert decided.status_code == 200 and decided.json()["status"] == "decided"
    assert decided.json()["refund_amount"] == "199.00"
    assert integration.post(URL, body).status_code == 200
    conflict = integration.post(URL, {**body, "amount": "99.00"})
    assert conflict.status_code == 409 and "no longer change" in conflict.json()["detail"]
    assert RefundRequest.objects.get(pk=rid).amount == Decimal("199.00")


@pytest.mark.parametrize("field, value, error_field", [
    ("store", "no-such-store", "store"),
    ("amount", "0", "amount"),
    ("amount", "-5", "amount"),
    ("amount", "300.00", "amount"),  # above the order amount
    ("amount", True, "amount"),
    ("amount", "1.234", "amount"),
    ("requested_at", "2026-11-01T10:00:00", "requested_at"),  # no offset
    ("requested_at", "yesterday", "requested_at"),
    ("respond_by", "2020-01-01T00:00:00+08:00", "respond_by"),  # before the request
    ("kind", "refund_and_more", "kind"),
    ("reason", "no_reason", "reason"),
    ("goods_shipped", "yes", "goods_shipped"),
    ("platform_request_id", 12, "platform_request_id"),
    ("return_carrier", "NOPE", "return_carrier"),
])
def test_bad_input_is_400_with_field_errors_and_writes_nothing(desk, integration, field, value, error_field):
    response = integration.post(URL, payload(**{field: value}))
    assert response.status_code == 400
    assert error_field in response.json()
    assert RefundRequest.objects.count() == 0 and Ticket.objects.count() == 0


def test_a_store_outside_the_callers_scope_is_an_unknown_store(desk, api):
    from portal.models import Team
    from portal.roles import Role
    from tests.factories import make_team, make_user

    team = make_team("退款二组", kind=Team.Kind.REFUND_DESK, stores=[desk.stores["clouddry-tmall"]])
    specialist = make_user("refund-dry", role=Role.REFUND_SPECIALIST, team=team)
    response = api.as_user(specialist).post(URL, payload(store="swiftride-tmall"))
    assert response.status_code == 400 and response.json()["store"] == ["Unknown store."]
    assert api.as_user(specialist).post(URL, payload()).status_code == 201


def test_roles_without_the_add_permission_cannot_post(desk, api):
    assert api.as_user(desk["agent"]).post(URL, payload()).status_code == 403
    assert api.as_user(desk["trainer"]).get(URL).status_code == 403


def test_return_is_held_until_the_return_parcel_is_delivered(desk, integration, api):
    body = payload(kind="return_and_refund", goods_shipped=True, return_waybill="SF9900001", return_carrier="SF")
    data = integration.post(URL, body).json()
    assert data["status"] == "awaiting_return" and data["hold"] == "awaiting_return"
    refund = RefundRequest.objects.get(pk=data["id"])
    assert refund.return_shipment.direction == "return"
    refused = api.as_user(desk["refund"]).post(f"{URL}{refund.pk}/decide/", {"decision": "approve"})
    assert refused.status_code == 400 and "not back yet" in refused.json()["decision"][0]
    delivered_at = timezone.now() - timedelta(minutes=30)
    deliver(refund.store, "SF9900001", refund.order_no, at=delivered_at)
    refund.refresh_from_db()
    assert refund.status == "open" and refund.goods_received_via == "parcel"
    assert refund.refund_due_at == refund.goods_received_at + timedelta(hours=24)
    assert refund.events.filter(kind="received").exists()
    assert api.as_user(desk["refund"]).post(f"{URL}{refund.pk}/decide/", {"decision": "approve"}).status_code == 200


def test_goods_recorded_as_received_by_hand(desk, integration, api):
    data = integration.post(URL, payload(goods_shipped=True)).json()
    assert data["status"] == "awaiting_return"
    response = api.as_user(desk["refund"]).post(f"{URL}{data['id']}/received/", {})
    assert response.status_code == 200 and response.json()["status"] == "open"
    refund = RefundRequest.objects.get(pk=data["id"])
    assert refund.goods_received_by == desk["refund"] and refund.goods_received_via == "manual"


def test_eligibility_from_the_delivery_date_and_the_e_bike_activation_exclusion(desk, integration, api):
    from refunds import services

    store = desk.stores["swiftride-tmall"]
    deliver(store, "SF9900100", "BIKE-1", at=timezone.now() - timedelta(days=3))
    data = integration.post(URL, payload("swiftride-tmall", order_no="BIKE-1", product_sku="EBIKE-S3",
                                         reason="changed_mind", amount="3299.00", order_amount="3299.00",
                                         goods_shipped=True, kind="return_and_refund")).json()
    assert data["eligibility"]["eligible"] is True and data["eligibility"]["policy"] == "no-reason-7"
    assert data["eligibility"]["window_ends"] is not None
    assert data["suggested_rule"]["code"] == "ebike-activated-personal"
    refund = RefundRequest.objects.get(pk=data["id"])
    services.set_flags(refund, flags=["activated"], actor=desk["refund"], now=timezone.now())
    refund.refresh_from_db()
    assert refund.eligible is False and "Activated" in refund.eligibility_reason
    deliver(store, "SF9900101", "BIKE-2", at=timezone.now() - timedelta(days=10))
    late = integration.post(URL, payload("swiftride-tmall", order_no="BIKE-2", product_sku="EBIKE-S3",
                                         reason="changed_mind", amount="100.00")).json()
    assert late["eligibility"]["eligible"] is False and "Outside the 7-day window" in late["eligibility"]["reason"]


def test_partial_from_the_rule_and_the_approval_limit(desk, integration, api):
    store = desk.stores["swiftride-tmall"]
    deliver(store, "SF9900200", "BIKE-3", at=timezone.now() - timedelta(days=2))
    rid = integration.post(URL, payload("swiftride-tmall", order_no="BIKE-3", product_sku="EBIKE-S3",
                                        reason="changed_mind", amount="3299.00", order_amount="3299.00")).json()["id"]
    specialist = api.as_user(desk["refund"])
    too_much = specialist.post(f"{URL}{rid}/decide/", {"decision": "partial", "amount": "4000.00"})
    assert too_much.status_code == 400 and "above the amount requested" in too_much.json()["amount"][0]
    waiting = specialist.post(f"{URL}{rid}/decide/", {"decision": "partial", "rule": "ebike-activated-personal"})
    assert waiting.status_code == 202 and waiting.json()["status"] == "awaiting_approval"
    refund = RefundRequest.objects.get(pk=rid)
    pending = refund.decisions.get()
    assert pending.amount == Decimal("2604.15")  # 3299 - 15 % - 200
    assert "15 % depreciation" in pending.calculation
    assert desk["manager"].notifications.filter(subject__contains="waits for your approval").exists()
    assert not OutboundMessage.objects.exists()
    approved = api.as_user(desk["manager"]).post(f"{URL}{rid}/approve/", {})
    assert approved.status_code == 200 and approved.json()["status"] == "decided"
    assert approved.json()["refund_amount"] == "2604.15"
    message = OutboundMessage.objects.get(topic="refund_decision")
    assert message.payload["decision"] == "partial" and message.payload["refund_amount"] == "2604.15"
    assert RefundRequest.objects.get(pk=rid).ticket.status == "resolved"
    again = specialist.post(f"{URL}{rid}/decide/", {"decision": "approve"})
    assert again.status_code == 400 and "already" in again.json()["decision"][0]


def test_reject_needs_the_rules_evidence_then_dispute_and_ruling(desk, integration, api):
    rid = integration.post(URL, payload("swiftride-tmall", product_sku="EBIKE-S3", reason="battery",
                                        amount="3299.00", order_amount="3299.00")).json()["id"]
    specialist = api.as_user(desk["refund"])
    refused = specialist.post(f"{URL}{rid}/decide/", {"decision": "reject", "rule": "ebike-battery-idle"})
    assert refused.status_code == 400
    assert "Battery log" in refused.json()["decision"][0] and "Photo" in refused.json()["decision"][0]
    client = specialist  # multipart through the underlying test client
    from django.test import Client

    web = Client()
    web.force_login(desk["refund"])
    photo = web.post(f"{URL}{rid}/evidence/", {"kind": "photo", "file": SimpleUploadedFile("p.png", png_bytes())})
    assert photo.status_code == 201, photo.content
    log = web.post(f"{URL}{rid}/evidence/", {"kind": "battery_log", "file": SimpleUploadedFile("log.pdf", pdf_bytes())})
    assert log.status_code == 201 and log.json()["content_type"] == "application/pdf"
    rejected = client.post(f"{URL}{rid}/decide/", {"decision": "reject", "rule": "ebike-battery-idle"})
    assert rejected.status_code == 200 and rejected.json()["decision"] == "reject"
    disputed = client.post(f"{URL}{rid}/dispute/", {"submitted_on": timezone.localdate().isoformat()})
    assert disputed.status_code == 200 and disputed.json()["status"] == "disputed"
    bad = client.post(f"{URL}{rid}/ruling/", {"ruling": "split"})
    assert bad.status_code == 400 and "amount" in bad.json()
    ruled = client.post(f"{URL}{rid}/ruling/", {"ruling": "split", "amount": "1000.00", "note": "各担一半"})
    assert ruled.status_code == 200
    assert ruled.json()["status"] == "closed" and ruled.json()["ruling_amount"] == "1000.00"


def test_evidence_type_is_decided_by_content_and_files_are_served_by_scope(desk, integration):
    from django.test import Client

    rid = integration.post(URL, payload()).json()["id"]
    web = Client()
    web.force_login(desk["refund"])
    fake = web.post(f"{URL}{rid}/evidence/", {"kind": "photo",
                                              "file": SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not an image")})
    assert fake.status_code == 400 and "whatever its name says" in fake.json()["file"][0]
    html = web.post(f"{URL}{rid}/evidence/", {"kind": "document",
                                              "file": SimpleUploadedFile("x.pdf", b"<html><script>1</script>")})
    assert html.status_code == 400
    ok = web.post(f"{URL}{rid}/evidence/", {"kind": "photo", "file": SimpleUploadedFile("x.txt", png_bytes())})
    assert ok.status_code == 201 and ok.json()["content_type"] == "image/png"
    evidence = EvidenceFile.objects.get()
    assert evidence.thumbnail and evidence.file.name.endswith(".png")
    served = web.get(ok.json()["url"])
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == png_bytes()
    thumb = web.get(ok.json()["url"] + "?thumb=1")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    from portal.models import Team
    from portal.roles import Role
    from tests.factories import make_team, make_user

    team = make_team("退款二组", kind=Team.Kind.REFUND_DESK, stores=[desk.stores["swiftride-tmall"]])
    web.force_login(make_user("refund-bike", role=Role.REFUND_SPECIALIST, team=team))  # the e-bike store only
    assert web.get(ok.json()["url"]).status_code == 404
    web.logout()
    assert web.get(ok.json()["url"]).status_code == 302


def test_size_limits_per_file_and_per_request(desk, integration):
    from django.test import Client

    from refunds.models import RefundDeskSettings

    rid = integration.post(URL, payload()).json()["id"]
    RefundDeskSettings.objects.filter(store__code="clouddry-tmall").update(max_file_bytes=2000,
                                                                           max_request_bytes=3000)
    web = Client()
    web.force_login(desk["refund"])
    big = web.post(f"{URL}{rid}/evidence/", {"kind": "photo", "file": SimpleUploadedFile("big.png", png_bytes(
        size=(800, 800)) + b"\0" * 4000)})
    assert big.status_code == 400 and "larger than" in big.json()["file"][0]
    small = png_bytes(size=(20, 20))
    assert web.post(f"{URL}{rid}/evidence/", {"kind": "photo", "file": SimpleUploadedFile("a.png", small)}).status_code == 201
    RefundDeskSettings.objects.filter(store__code="clouddry-tmall").update(max_request_bytes=len(small) + 10)
    over = web.post(f"{URL}{rid}/evidence/", {"kind": "photo", "file": SimpleUploadedFile("b.png", small)})
    assert over.status_code == 400 and "exceed" in over.json()["file"][0]


def test_evidence_pack_pdf_embeds_the_cjk_font_and_the_zip_has_the_originals(desk, integration, api):
    from django.test import Client

    rid = integration.post(URL, payload(buyer_statement="电池充不进电")).json()["id"]
    web = Client()
    web.force_login(desk["refund"])
    web.post(f"{URL}{rid}/evidence/", {"kind": "photo", "file": SimpleUploadedFile("电池.png", png_bytes())})
    log = pdf_bytes()
    web.post(f"{URL}{rid}/evidence/", {"kind": "battery_log", "file": SimpleUploadedFile("log.pdf", log)})
    pdf = web.get(f"{URL}{rid}/evidence-pack.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert b"PortalSansSC" in pdf.content and b"/FontFile3" in pdf.content  # embedded, not referenced
    assert b"/Subtype /Image" in pdf.content  # the photo is embedded
    archive = zipfile.ZipFile(io.BytesIO(web.get(f"{URL}{rid}/evidence-pack.zip").content))
    names = archive.namelist()
    assert any(name.endswith(".pdf") and name.startswith("evidence-pack") for name in names)
    assert archive.read("evidence/01-photo-电池.png") == png_bytes()
    assert archive.read("evidence/02-battery_log-log.pdf") == log


def test_outbound_feed_lists_decisions_after_the_cursor(desk, integration, api):
    first = integration.post(URL, payload()).json()["id"]
    second = integration.post(URL, payload()).json()["id"]
    api.as_user(desk["refund"]).post(f"{URL}{first}/decide/", {"decision": "approve"})
    api.as_user(desk["refund"]).post(f"{URL}{second}/decide/", {"decision": "exchange"})
    feed = api.as_user(desk["integration"]).get("/api/v1/refunds/outbound/").json()
    assert [item["payload"]["request_id"] for item in feed["results"]] == [first, second]
    assert feed["more"] is False and feed["next_cursor"] == feed["results"][-1]["cursor"]
    rest = api.get("/api/v1/refunds/outbound/", since=feed["results"][0]["cursor"]).json()
    assert [item["payload"]["decision"] for item in rest["results"]] == ["exchange"]
    assert api.get("/api/v1/refunds/outbound/", since="abc").status_code == 400
    assert api.get("/api/v1/refunds/outbound/", limit="0").status_code == 400
    # The demo stores have no webhook: fetched counts as delivered.
    assert set(OutboundMessage.objects.filter(topic="refund_decision").values_list("status", flat=True)) == {"sent"}


def test_the_list_is_by_deadline_and_scoped(desk, integration, api):
    integration.post(URL, payload(respond_by=(timezone.now() + timedelta(hours=40)).isoformat()))
    integration.post(URL, payload("swiftride-tmall", respond_by=(timezone.now() + timedelta(hours=5)).isoformat()))
    rows = api.as_user(desk["refund"]).get(URL).json()["results"]
    assert [row["store"] for row in rows] == ["swiftride-tmall", "clouddry-tmall"]
    assert [row["store"] for row in api.as_user(desk["agent2"]).get(URL).json()["results"]] == ["swiftride-tmall"]
