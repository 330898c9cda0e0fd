"""A real browser: the move-in day rescue. From the appointment-at-risk alert the installation
coordinator dispatches an own delivery, marks it picked up and delivered with a photo; the job's
stepper and the parcel's timeline show it. The alert page fits a 390 px phone screen."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser import log_in, page  # noqa: F401  (fixture)
from tests.installation.factories import load_demo_world


def _png(path):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 16), (20, 120, 200)).save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return path


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dispatch_an_own_delivery_from_the_alert(page, settings, tmp_path):  # noqa: F811
    from logistics.models import Alert, Dispatch, EventSource, Shipment

    now = timezone.now()
    load_demo_world(settings, tmp_path, now=now)
    alert = Alert.objects.get(kind="appointment_at_risk", status="open")

    log_in(page, "installer")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/logistics/alerts/{alert.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.locator("[data-testid=alert-installation] [data-testid=alert-appointment]").inner_text() != "—"

    local = timezone.localtime(now)
    form = page.locator("[data-testid=form-dispatch]")
    form.locator("[name=dispatch-planned_pickup]").fill((local + timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M"))
    form.locator("[name=dispatch-planned_dropoff]").fill((local + timedelta(minutes=70)).strftime("%Y-%m-%dT%H:%M"))
    form.locator("[name=dispatch-cost]").fill("80")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    dispatch = Dispatch.objects.get(alert=alert)
    assert page.locator(f"[data-testid=dispatch-{dispatch.pk}] [data-testid=dispatch-status]").inner_text() != ""

    page.locator("[data-testid=form-picked-up] button[type=submit]").click()
    page.wait_for_load_state()
    delivered = page.locator("[data-testid=form-delivered]")
    delivered.locator("input[type=file]").set_input_files(str(_png(tmp_path / "proof.png")))
    delivered.locator(f"[name=d{dispatch.pk}-recipient]").fill("林晓")
    delivered.locator("button[type=submit]").click()
    page.wait_for_load_state()
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.DELIVERED
    assert page.locator("[data-testid=alert-status]").get_attribute("data-status") == "closed"
    photo = page.request.get(page.locator("[data-testid=dispatch-photo]").get_attribute("href"))
    assert photo.status == 200 and photo.headers["content-type"] == "image/png"

    # The job's stepper shows the own delivery as done.
    page.goto(f"/logistics/installations/{alert.installation_job_id}/")
    step = page.locator("[data-testid=installation-stepper] [data-testid=stepper-own-delivery]")
    assert "done" in step.get_attribute("class")
    assert "林晓" not in step.inner_text()  # the stepper names the driver, not the recipient
    # The parcel's timeline shows the merchant's own delivery.
    parcel = Shipment.objects.get(pk=alert.shipment_id)
    assert parcel.events.filter(status="delivered", source=EventSource.MERCHANT_DELIVERY).count() == 1
    page.goto(f"/logistics/shipments/{parcel.pk}/")
    assert "林晓" in page.locator("main").inner_text()
