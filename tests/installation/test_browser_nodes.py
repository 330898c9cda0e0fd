"""A real browser: the installation coordinator records a job's next nodes on its page. First on
site with a note, then completed with a proof photo. The photo is uploaded, thumbnailed and served
back. A file that is not a photo, or a photo over the size limit, is refused at the field; the note
stays typed and nothing is recorded. The page and its node form also work on a 390 px phone screen."""

import io
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser import log_in, page  # noqa: F401  (fixture)
from tests.installation.factories import load_demo_world

ORDER = "T20261116013"  # the demo job dispatched to 周师傅 (云晾自营安装队), waiting for him on site


def _jpeg(path, size=(640, 480)):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (30, 140, 60)).save(out, format="JPEG")
    path.write_bytes(out.getvalue())
    return path


def _noisy_jpeg(path, size=(2400, 1800)):
    """A real JPEG larger than the 5 MB limit (noise does not compress)."""
    from PIL import Image

    data = random.Random(7).randbytes(size[0] * size[1] * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", size, data).save(out, format="JPEG", quality=100)
    path.write_bytes(out.getvalue())
    return path


@pytest.fixture
def demo_job(settings, tmp_path):
    """The demo data at a pinned `now`; photos go to a private folder under tmp_path."""
    from installation.models import InstallationJob

    load_demo_world(settings, tmp_path, now=timezone.now())
    job = InstallationJob.objects.get(order_number=ORDER)
    assert job.node == "dispatched"
    return job


def _submit(tab, form):
    """Click the form's submit button and return the response of the page it leads to."""
    with tab.expect_navigation() as navigation:
        form.locator("button[type=submit]").click()
    return navigation.value


def _step(tab, node):
    return tab.locator(f"[data-testid=installation-stepper] .step[data-node={node}]")


def _last_event(tab):
    return tab.locator("[data-testid=installation-events] > li").last


def _private_files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_coordinator_records_on_site_then_completed_with_a_photo(page, demo_job, tmp_path):  # noqa: F811
    from django.contrib.auth import get_user_model
    from PIL import Image

    from installation.models import InstallationEvent

    job = demo_job
    installer = get_user_model().objects.get(username="installer")
    who = installer.get_full_name() or installer.username

    log_in(page, "installer")
    page.goto(f"/logistics/installations/{job.pk}/")
    assert _step(page, "dispatched").get_attribute("class") == "step current"
    assert _step(page, "on_site").get_attribute("class") == "step todo"

    # On site: open that node's form, type a note, record it.
    on_site = page.locator("[data-testid=form-node-on_site]")
    on_site.locator("summary").click()
    on_site.locator("[name=event-on_site-note]").fill("师傅已到达客户家，开始安装")
    assert _submit(page, on_site).status == 200
    assert page.locator(".messages").inner_text() == "已记录：已上门。"
    event = InstallationEvent.objects.get(job=job, node="on_site")
    assert (event.from_node, event.actor, event.note, event.source) == (
        "dispatched", installer, "师傅已到达客户家，开始安装", "staff")
    job.refresh_from_db()
    assert (job.node, job.on_site_at) == ("on_site", event.at)
    assert _step(page, "dispatched").get_attribute("class") == "step done"
    assert _step(page, "on_site").get_attribute("class") == "step current"
    assert _step(page, "on_site").locator(".when").inner_text() == timezone.localtime(event.at).strftime(
        "%Y-%m-%d %H:%M")
    assert _step(page, "on_site").locator(".who").inner_text() == who
    assert _last_event(page).locator("strong").inner_text() == "已上门"
    assert _last_event(page).locator("div").inner_text() == "师傅已到达客户家，开始安装"

    # Completed: a photo from the phone as the proof, and a note.
    photo = _jpeg(tmp_path / "rack-done.jpg")
    completed = page.locator("[data-testid=form-node-completed]")
    completed.locator("summary").click()
    completed.locator("[name=event-completed-photos]").set_input_files(str(photo))
    completed.locator("[name=event-completed-note]").fill("安装完成，晾衣架升降正常")
    assert _submit(page, completed).status == 200
    assert page.locator(".messages").inner_text() == "已记录：已完成。"

    event = InstallationEvent.objects.get(job=job, node="completed")
    stored = f"installation/{job.pk}/event-{event.pk}-1.jpg"
    assert (event.from_node, event.actor, event.note, event.photos, event.photo_files) == (
        "on_site", installer, "安装完成，晾衣架升降正常", [], [stored])
    job.refresh_from_db()
    assert (job.node, job.completed_at, job.customer_confirmed) == ("completed", event.at, False)
    private = tmp_path / "private"
    thumb_name = f"installation/{job.pk}/event-{event.pk}-1-thumb.jpg"
    assert _private_files(private) == sorted([stored, thumb_name])
    assert (private / stored).read_bytes() == photo.read_bytes()
    with Image.open(private / thumb_name) as thumb:
        assert (thumb.format, thumb.size) == ("JPEG", (320, 240))

    # The stepper shows the job done; the timeline lists the event with its note; no more forms.
    assert page.locator("[data-testid=installation-stepper]").get_attribute("data-node") == "completed"
    assert _step(page, "on_site").get_attribute("class") == "step done"
    assert _step(page, "completed").get_attribute("class") == "step done"
    assert _step(page, "completed").locator(".who").inner_text() == who
    assert _last_event(page).locator("strong").inner_text() == "已完成"
    assert _last_event(page).locator("div").inner_text() == "安装完成，晾衣架升降正常"
    assert page.locator("[data-testid=form-installation-event]").count() == 0

    # The thumbnail is shown; its link serves the photo itself, the thumbnail's address a JPEG thumbnail.
    url = f"/logistics/installations/{job.pk}/photos/{event.pk}/0/"
    images = page.locator("[data-testid=installation-photos] img")
    assert images.count() == 1
    image = images.first
    assert image.get_attribute("src") == url + "?size=thumb"
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [320, 240]
    link = page.locator("[data-testid=installation-photos] a")
    assert link.get_attribute("href") == url
    full = page.request.get(link.get_attribute("href"))
    assert (full.status, full.headers["content-type"]) == (200, "image/jpeg")
    assert full.body() == photo.read_bytes()
    thumbnail = page.request.get(image.get_attribute("src"))
    assert (thumbnail.status, thumbnail.headers["content-type"]) == (200, "image/jpeg")
    with Image.open(io.BytesIO(thumbnail.body())) as served:
        assert served.size == (320, 240)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_file_that_is_not_a_photo_or_too_large_is_refused_at_the_field(page, demo_job, tmp_path):  # noqa: F811
    from django.contrib.auth import get_user_model

    from installation.models import InstallationEvent
    from installation.services import record_event

    job = demo_job
    installer = get_user_model().objects.get(username="installer")
    record_event(job, node="on_site", actor=installer, now=timezone.now() - timedelta(minutes=30),
                 note="师傅已到达")
    events = InstallationEvent.objects.filter(job=job).count()
    private = tmp_path / "private"

    log_in(page, "installer")
    page.goto(f"/logistics/installations/{job.pk}/")
    completed = page.locator("[data-testid=form-node-completed]")
    photos = completed.locator("[name=event-completed-photos]")
    photo_errors = completed.locator("p:has([name=event-completed-photos]) .errors")
    note = completed.locator("[name=event-completed-note]")

    def refused_keeping_the_note(error):
        assert photo_errors.inner_text() == error
        assert note.input_value() == "安装完成，客户在场"
        assert InstallationEvent.objects.filter(job=job).count() == events  # nothing recorded
        job.refresh_from_db()
        assert job.node == "on_site"
        assert _private_files(private) == []

    # A text file renamed .jpg.
    fake = tmp_path / "proof.jpg"
    fake.write_text("这不是照片，只是一段文字。\n", encoding="utf-8")
    completed.locator("summary").click()
    note.fill("安装完成，客户在场")
    photos.set_input_files(str(fake))
    assert _submit(page, completed).status == 400
    assert completed.get_attribute("open") == ""  # the form with the error stays open
    assert completed.locator(".errors[role=alert]").inner_text() == "请修正以下错误。"
    refused_keeping_the_note("proof.jpg: 该文件不是 JPEG、PNG 或 WebP 图片。")
    assert _step(page, "on_site").get_attribute("class") == "step current"

    # A real photo over the 5 MB limit, sent from the page with the error.
    big = _noisy_jpeg(tmp_path / "big.jpg")
    assert big.stat().st_size > 5 * 1024 * 1024
    photos.set_input_files(str(big))
    assert _submit(page, completed).status == 400
    refused_keeping_the_note("big.jpg: 照片大于 5 MB。")

    # With a good photo the same form records the completion, with the note that was kept.
    photos.set_input_files(str(_jpeg(tmp_path / "good.jpg")))
    assert _submit(page, completed).status == 200
    assert page.locator(".messages").inner_text() == "已记录：已完成。"
    event = InstallationEvent.objects.get(job=job, node="completed")
    assert (event.note, event.photo_files) == ("安装完成，客户在场", [f"installation/{job.pk}/event-{event.pk}-1.jpg"])
    assert _last_event(page).locator("div").inner_text() == "安装完成，客户在场"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_job_page_and_its_node_form_fit_a_phone_screen(page, demo_job):  # noqa: F811
    from installation.models import InstallationEvent

    job = demo_job
    log_in(page, "installer")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/logistics/installations/{job.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    on_site = page.locator("[data-testid=form-node-on_site]")
    on_site.locator("summary").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the open form fits too
    on_site.locator("[name=event-on_site-note]").fill("师傅已到达")
    button = on_site.locator("button[type=submit]")
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert _submit(page, on_site).status == 200
    assert page.locator(".messages").inner_text() == "已记录：已上门。"
    assert _step(page, "on_site").get_attribute("class") == "step current"
    assert InstallationEvent.objects.get(job=job, node="on_site").note == "师傅已到达"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
