"""The refund desk pages: the lists by deadline, the request page's forms (refusals at the field,
what was typed kept), the ticket's refund panel, the approvals source, and the metrics."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from portal.registry import approvals_for
from refunds import services
from refunds.models import RefundRequest
from tests.refunds.factories import make_request, png_bytes


def _client(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_the_desk_lists_open_requests_by_deadline_and_has_a_tab_per_state(desk):
    dry, bike = desk.stores["clouddry-tmall"], desk.stores["swiftride-tmall"]
    now = timezone.now()
    later = make_request(dry, now=now, respond_by=now + timedelta(hours=40))
    sooner = make_request(bike, now=now, respond_by=now + timedelta(hours=3))
    held = make_request(dry, now=now, goods_shipped=True)
    html = _client(desk["refund"]).get("/refunds/").content.decode()
    assert html.index(f'href="/refunds/{sooner.pk}/"') < html.index(f'href="/refunds/{later.pk}/"')
    assert f'href="/refunds/{held.pk}/"' not in html
    held_page = _client(desk["refund"]).get("/refunds/awaiting-return/").content.decode()
    assert f'href="/refunds/{held.pk}/"' in held_page and f'href="/refunds/{later.pk}/"' not in held_page
    for url in ("/refunds/awaiting-approval/", "/refunds/disputes/", "/refunds/all/"):
        assert _client(desk["refund"]).get(url).status_code == 200
    assert _client(desk["trainer"]).get("/refunds/").status_code == 403


def test_the_desk_page_queries_do_not_grow_with_the_requests(desk, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    dry = desk.stores["clouddry-tmall"]
    client = _client(desk["refund"])
    make_request(dry)
    client.get("/refunds/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/refunds/").status_code == 200
    for _ in range(12):
        make_request(dry)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/refunds/").status_code == 200
    assert len(few.captured_queries) <= 15


def test_the_request_page_shows_eligibility_the_suggested_rule_and_the_calculation(desk):
    bike = desk.stores["swiftride-tmall"]
    refund = make_request(bike, reason="changed_mind", product_sku="EBIKE-S3", amount=Decimal("3299.00"))
    html = _client(desk["refund"]).get(f"/refunds/{refund.pk}/").content.decode()
    assert "ebike-activated-personal" in html
    assert "3299.00 − 15 % depreciation − 200.00 fee = 2604.15" in html
    assert "Delivery date unknown" in html
    assert 'data-testid="form-refund-decide"' in html and 'data-testid="form-refund-evidence"' in html
    agent_html = _client(desk["agent2"]).get(f"/refunds/{refund.pk}/").content.decode()
    assert 'data-testid="form-refund-decide"' not in agent_html  # agents read the summary only


def test_a_refused_decision_shows_the_message_at_the_field_and_keeps_what_was_typed(desk):
    refund = make_request(desk.stores["clouddry-tmall"], amount=Decimal("199.00"))
    response = _client(desk["refund"]).post(f"/refunds/{refund.pk}/decide/", {
        "decision": "partial", "amount": "500.00", "note": "买家同意部分退款"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "The amount is above the amount requested" in html
    assert 'value="500.00"' in html and "买家同意部分退款" in html
    assert RefundRequest.objects.get(pk=refund.pk).status == "open"
    ok = _client(desk["refund"]).post(f"/refunds/{refund.pk}/decide/", {"decision": "partial", "amount": "100.00"})
    assert ok.status_code == 302
    assert RefundRequest.objects.get(pk=refund.pk).refund_amount == Decimal("100.00")


def test_a_rejected_upload_says_why_on_the_page(desk):
    refund = make_request(desk.stores["clouddry-tmall"])
    client = _client(desk["refund"])
    response = client.post(f"/refunds/{refund.pk}/evidence/", {
        "kind": "photo", "file": SimpleUploadedFile("photo.jpg", b"GIF89a not really")})
    assert response.status_code == 400
    assert "whatever its name says" in response.content.decode()
    ok = client.post(f"/refunds/{refund.pk}/evidence/", {"kind": "photo",
                                                         "file": SimpleUploadedFile("p.png", png_bytes())})
    assert ok.status_code == 302
    html = client.get(f"/refunds/{refund.pk}/").content.decode()
    assert f"/refunds/{refund.pk}/evidence/" in html and "?thumb=1" in html


def test_above_the_limit_the_decision_waits_and_the_approver_sees_it(desk):
    refund = make_request(desk.stores["clouddry-tmall"], amount=Decimal("2599.00"))
    response = _client(desk["refund"]).post(f"/refunds/{refund.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 302
    assert RefundRequest.objects.get(pk=refund.pk).status == "awaiting_approval"
    items = approvals_for(desk["manager"])
    assert [item.key for item in items] == [f"refund:{refund.pk}"] and items[0].amount == Decimal("2599.00")
    assert approvals_for(desk["refund"]) == []
    approve = _client(desk["manager"]).post(items[0].approve_url, {"note": "同意"})
    assert approve.status_code == 302
    assert RefundRequest.objects.get(pk=refund.pk).status == "decided"


def test_the_linked_ticket_shows_the_request(desk):
    from tickets.models import Queue
    from tickets.services import create_ticket

    bike = desk.stores["swiftride-tmall"]
    # The buyer wrote to customer service first: the agent's own ticket of the order gets linked.
    ticket = create_ticket(store=bike, actor=None, now=timezone.now(), queue=Queue.objects.get(name="电动车客服"),
                           category="refund", order_no="BIKE-PANEL", description="电池坏了，要退款")
    refund = make_request(bike, reason="battery", order_no="BIKE-PANEL")
    assert refund.ticket_id == ticket.pk
    response = _client(desk["agent2"]).get(f"/tickets/{ticket.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="refund-panel"' in html and refund.platform_request_id in html
    desk_html = _client(desk["refund"]).get(f"/tickets/{make_request(bike).ticket_id}/").content.decode()
    assert 'data-testid="refund-panel"' in desk_html


def test_metrics_by_their_definitions(desk, api):
    dry = desk.stores["clouddry-tmall"]
    now = timezone.now()
    refunder = desk["refund"]
    approve = make_request(dry, now=now - timedelta(hours=10), amount=Decimal("100.00"))
    services.decide(approve, decision="approve", actor=refunder, now=now - timedelta(hours=6))  # 5 h after
    partial = make_request(dry, now=now - timedelta(hours=10), amount=Decimal("200.00"), reason="changed_mind")
    services.decide(partial, decision="partial", amount=Decimal("150.00"), actor=refunder, now=now - timedelta(hours=1))
    rejected = make_request(dry, now=now - timedelta(hours=80), amount=Decimal("300.00"),
                            respond_by=now - timedelta(hours=70))
    services.add_evidence(rejected, upload=SimpleUploadedFile("p.png", png_bytes()), kind="photo", actor=refunder,
                          now=now - timedelta(hours=60))
    from refunds.models import ResponsibilityRule

    services.decide(rejected, decision="reject", rule=ResponsibilityRule.objects.get(code="no-fault-found"),
                    actor=refunder, now=now - timedelta(hours=50))  # after its deadline
    services.record_ruling(rejected, ruling="merchant", actor=refunder, now=now - timedelta(hours=2))
    make_request(dry, now=now)  # undecided
    body = api.as_user(desk["manager"]).get("/api/v1/metrics/refunds/", store="clouddry-tmall").json()
    assert body["requests"] == 4 and body["decided"] == 3
    assert body["median_hours_to_decision"] == 10.0  # 5 h, 10 h (partial), 31 h (reject)
    assert body["decided_before_deadline_share"] == round(2 / 3, 4)
    assert body["approval_share"] == body["partial_share"] == body["reject_share"] == round(1 / 3, 4)
    assert body["disputes"] == 1 and body["dispute_win_rate"] == 1.0
    assert body["amount_refunded"] == "250.00"
    assert body["amount_saved"] == "350.00"  # 50 on the partial, 300 on the contested one
    assert body["refund_rate_by_reason"] == {"changed_mind": 1.0, "quality": 0.5}
    assert api.get("/api/v1/metrics/refunds/", store="nope").status_code == 400
    assert api.get("/api/v1/metrics/refunds/", **{"from": "2026-13-01"}).status_code == 400
    assert api.as_user(desk["trainer"]).get("/api/v1/metrics/refunds/").status_code == 403


def test_the_admin_refuses_unknown_evidence_kinds_and_excluded_conditions(desk):
    from django.core.exceptions import ValidationError

    from refunds.models import ResponsibilityRule, ReturnPolicy

    rule = ResponsibilityRule.objects.get(code="no-fault-found")
    rule.required_evidence = ["photo", "selfie"]
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert "required_evidence" in refused.value.message_dict
    rule.required_evidence = "photo"  # not a list
    with pytest.raises(ValidationError):
        rule.full_clean()
    rule.required_evidence = ["photo", "battery_log"]
    rule.full_clean()
    policy = ReturnPolicy.objects.first()
    policy.excluded_flags = ["activated", 3]
    with pytest.raises(ValidationError) as refused:
        policy.full_clean()
    assert "excluded_flags" in refused.value.message_dict
    policy.excluded_flags = ["activated", "used"]
    policy.full_clean()
