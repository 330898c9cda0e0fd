"""A real browser: the refund specialist contests an e-bike battery refund: uploads the evidence the
rule asks for, rejects under the rule, downloads the evidence pack PDF, then records the platform's
ruling. The request page also fits a 390 px wide phone screen."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.browser import log_in, page  # noqa: F401  (fixture)
from tests.refunds.factories import make_request, pdf_bytes, png_bytes


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_contested_decision_upload_evidence_download_the_pack_record_the_ruling(page, tmp_path, settings):  # noqa: F811
    from logistics.setup import ensure_sample_carrier
    from portal.demo import load_portal_demo
    from refunds.demo import load_configuration
    from refunds.models import RefundRequest
    from tickets.demo import _configuration

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    load_portal_demo()
    ensure_sample_carrier()
    _configuration()
    load_configuration()
    from portal.models import Store

    bike = Store.objects.get(code="swiftride-tmall")
    now = timezone.now()
    refund = make_request(bike, now=now - timedelta(hours=2), reason="battery", product_sku="EBIKE-S3",
                          amount=Decimal("3299.00"), buyer_statement="电池充不进电")
    photo, log = tmp_path / "battery.png", tmp_path / "bms-log.pdf"
    photo.write_bytes(png_bytes())
    log.write_bytes(pdf_bytes())

    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "refund")
    page.goto(f"/refunds/{refund.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no horizontal scroll on a phone
    assert "ebike-battery-idle" in page.locator("[data-testid=refund-suggested-rule]").inner_text()

    # Rejecting without the rule's evidence is refused at the form.
    form = page.locator("[data-testid=form-refund-decide]")
    form.locator("select[name=decision]").select_option("reject")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "ebike-battery-idle" in page.locator("[data-testid=form-refund-decide] span.errors").inner_text()

    for kind, path in (("photo", photo), ("battery_log", log)):
        uploader = page.locator("[data-testid=form-refund-evidence]")
        uploader.locator("select[name=kind]").select_option(kind)
        uploader.locator("input[name=file]").set_input_files(str(path))
        uploader.locator("button[type=submit]").click()
        page.wait_for_load_state()
    assert page.locator("[data-testid=refund-evidence] li").count() == 2
    assert page.locator("[data-testid=refund-evidence] img").count() == 1  # the photo's thumbnail

    form = page.locator("[data-testid=form-refund-decide]")
    form.locator("select[name=decision]").select_option("reject")
    form.locator("select[name=rule]").select_option("ebike-battery-idle")
    form.locator("textarea[name=note]").fill("BMS 日志显示 5 个月未充电")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=refund-status]").get_attribute("data-status") == "decided"

    with page.expect_download() as download_info:
        page.locator("[data-testid=refund-pack-pdf]").click()
    download = download_info.value
    pack = (tmp_path / "pack.pdf")
    download.save_as(str(pack))
    data = pack.read_bytes()
    assert data.startswith(b"%PDF") and b"/FontFile3" in data and b"/Subtype /Image" in data
    assert download.suggested_filename == f"evidence-pack-swiftride-tmall-{refund.platform_request_id}.pdf"

    ruling = page.locator("[data-testid=form-refund-ruling]")
    ruling.locator("select[name=ruling]").select_option("merchant")
    ruling.locator("textarea[name=note]").fill("平台判定买家责任")
    ruling.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=refund-status]").get_attribute("data-status") == "closed"
    assert "平台判定买家责任" in page.locator("[data-testid=refund-ruling]").inner_text()
    refund = RefundRequest.objects.get(pk=refund.pk)
    assert (refund.status, refund.decision, refund.ruling) == ("closed", "reject", "merchant")
    assert refund.dispute_submitted_on is not None
