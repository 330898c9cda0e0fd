"""In a real browser: the manager's approvals inbox. A compensation offer above the logistics
coordinator's limit and a refund decision above the refund specialist's limit wait for the manager;
from the header's "待我审批" link the manager approves one and rejects the other on the row, staying
on the inbox, until it says nothing is left. At 390 px the inbox fits the screen and its approve
button works."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser import log_in, page  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ROWS = "[data-testid=approvals] tbody tr[data-approval]"
HOME = re.compile(r"^https?://[^/]+/$")  # where signing in lands


def _waiting():
    """The demo org; a 120 CNY cash offer on a stalled parcel (the coordinator may grant 50) offered
    at NOW, and a full refund of 2,599 CNY (above the specialist's limit) decided an hour later."""
    from django.contrib.auth import get_user_model

    from logistics.alerts import scan_logistics
    from logistics.models import Alert, Compensation
    from logistics.services import offer_compensation
    from logistics.setup import ensure_sample_carrier
    from portal.demo import load_portal_demo
    from portal.models import Store
    from refunds import services as refunds
    from refunds.demo import load_configuration
    from refunds.models import RefundDecision, RefundRequest
    from tests.logistics.factories import event, ingest
    from tests.refunds.factories import make_request
    from tickets.demo import _configuration

    load_portal_demo()
    carrier = ensure_sample_carrier()
    _configuration()
    load_configuration()
    users = get_user_model().objects.in_bulk(["logistics", "refund"], field_name="username")
    store = Store.objects.get(code="clouddry-tmall")

    ingest(carrier, store, [
        event("SF1", "2026-11-16 10:00:00", "50", "已揽收", "T-1"),
        event("SF1", "2026-11-17 09:55:12", "31", "已到达 武汉中转场", "T-1"),
    ], now=NOW)
    scan_logistics(now=NOW)
    alert = Alert.objects.get()
    compensation = offer_compensation(alert, actor=users["logistics"], now=NOW, kind="cash", amount="120",
                                      note="包裹滞留三天")
    assert compensation.status == Compensation.Status.PENDING_APPROVAL

    refund = make_request(store, now=NOW + timedelta(minutes=30), amount=Decimal("2599.00"), order_no="DRY-2599")
    decision = refunds.decide(refund, decision="approve", actor=users["refund"], now=NOW + timedelta(hours=1))
    assert decision.status == RefundDecision.Status.AWAITING_APPROVAL
    assert RefundRequest.objects.get(pk=refund.pk).status == RefundRequest.Status.AWAITING_APPROVAL
    return compensation, refund, decision


def _keys(page):  # noqa: F811
    return [row.get_attribute("data-approval") for row in page.locator(ROWS).all()]


def test_manager_approves_a_compensation_and_rejects_a_refund_decision_in_place(page):  # noqa: F811
    from django.contrib.auth import get_user_model

    from logistics.models import AlertEntry, Compensation
    from refunds.models import RefundDecision, RefundRequest

    compensation, refund, decision = _waiting()
    manager = get_user_model().objects.get(username="manager")
    log_in(page, "manager")
    page.wait_for_url(HOME)
    with page.expect_navigation():
        page.locator("nav.mainnav").get_by_role("link", name="待我审批", exact=True).click()
    assert page.url.endswith("/approvals/")

    # Both wait, oldest first, each saying what it is, how much and who asked.
    comp_key, refund_key = f"compensation:{compensation.pk}", f"refund:{refund.pk}"
    assert _keys(page) == [comp_key, refund_key]
    comp_row = page.locator(f"tr[data-approval='{comp_key}']")
    refund_row = page.locator(f"tr[data-approval='{refund_key}']")
    assert [cell.inner_text() for cell in comp_row.locator("td").all()[:5]] == [
        "补偿", "包裹 SF1 的现金 ¥120 · 包裹滞留三天", "¥120", "郑涛 Zheng Tao", "2026-11-20 09:00"]
    assert [cell.inner_text() for cell in refund_row.locator("td").all()[:5]] == [
        "退款处理结果", "订单 DRY-2599：同意（全额退款）", "¥2,599", "吴静 Wu Jing", "2026-11-20 10:00"]

    # Approve the compensation on its row: back on the inbox, which says so; the row is gone.
    with page.expect_navigation():
        page.locator(f"[data-testid='approve-{comp_key}']").click()
    assert page.url.endswith("/approvals/")
    assert page.locator("ul.messages li").all_inner_texts() == ["补偿已批准。"]
    assert _keys(page) == [refund_key]
    compensation.refresh_from_db()
    assert (compensation.status, compensation.decided_by) == (Compensation.Status.APPROVED, manager)
    assert AlertEntry.objects.filter(alert=compensation.alert, kind=AlertEntry.Kind.COMPENSATION_APPROVED,
                                     actor=manager).count() == 1

    # Reject the refund decision on its row, with a note: nothing is left to approve.
    refund_row.locator("input[name=note]").fill("金额过高，请先核实退货")
    with page.expect_navigation():
        page.locator(f"[data-testid='reject-{refund_key}']").click()
    assert page.url.endswith("/approvals/")
    assert page.locator("ul.messages li").all_inner_texts() == ["决定已驳回。"]
    assert page.locator(ROWS).count() == 0
    assert page.locator("[data-testid=approvals-empty]").inner_text() == "暂无待您审批的事项。"
    decision.refresh_from_db()
    assert (decision.status, decision.approved_by) == (RefundDecision.Status.DECLINED, manager)
    refund.refresh_from_db()
    assert (refund.status, refund.decision, refund.refund_amount) == (RefundRequest.Status.OPEN, "", None)
    assert refund.events.filter(kind="declined").values_list("note", flat=True).get() == "金额过高，请先核实退货"


def test_at_390_px_the_inbox_fits_and_its_approve_button_works(page):  # noqa: F811
    from django.contrib.auth import get_user_model

    from refunds.models import RefundDecision, RefundRequest

    compensation, refund, decision = _waiting()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "manager")
    page.wait_for_url(HOME)
    page.locator(".menu-toggle").click()  # the header folds into a menu on a phone
    with page.expect_navigation():
        page.locator("nav.mainnav").get_by_role("link", name="待我审批", exact=True).click()
    assert _keys(page) == [f"compensation:{compensation.pk}", f"refund:{refund.pk}"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    refund_key = f"refund:{refund.pk}"
    approve = page.locator(f"[data-testid='approve-{refund_key}']")
    expect(approve).to_be_visible()
    expect(approve).to_be_in_viewport()  # not scrolled off to the side of the table's box
    with page.expect_navigation():
        approve.click()
    assert page.url.endswith("/approvals/")
    assert page.locator("ul.messages li").all_inner_texts() == ["决定已批准。"]
    assert _keys(page) == [f"compensation:{compensation.pk}"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    decision.refresh_from_db()
    assert (decision.status, decision.approved_by) == (RefundDecision.Status.IN_FORCE,
                                                       get_user_model().objects.get(username="manager"))
    refund.refresh_from_db()
    assert (refund.status, refund.decision, refund.refund_amount) == (RefundRequest.Status.DECIDED, "approve",
                                                                      Decimal("2599.00"))
