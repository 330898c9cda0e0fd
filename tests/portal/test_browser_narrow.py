"""At 390x844 (a phone) the main pages have no horizontal document scroll: the header folds into
a menu button, wide tables scroll inside their own box, badges keep their words whole."""

import pytest
from django.core.management import call_command

from tests.browser import log_in, page  # noqa: F401  (fixture)

WIDTH, HEIGHT = 390, 844

# Who opens which pages (each role sees its own pages).
PAGES = {
    "director": ["/", "/inbox/", "/tickets/escalations/", "/logistics/alerts/", "/logistics/installations/",
                 "/logistics/shipments/", "/settings/"],
    "logistics": ["/logistics/alerts/", "first-alert", "/logistics/imports/"],
    "installer": ["/logistics/installations/", "first-job"],
    "refund": ["/refunds/", "/refunds/disputes/", "first-refund", "/approvals/"],
    "manager": ["/approvals/", "/scores/", "/scores/stores/clouddry-tmall/", "/scores/official/"],
    "trainer": ["/training/", "/training/scenarios/", "first-scenario", "/training/candidates/",
                "/training/compliance/", "/training/assignments/", "/training/attempts/", "/training/courses/",
                "/training/metrics/"],
    "agent": ["/training/my/", "/training/record/", "first-own-attempt"],
}

WIDEST = """() => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > window.innerWidth + 1 && el.offsetParent !== null) {
      out.push(el.tagName + '.' + el.className + ' ' + Math.round(r.right));
    }
  }
  return out.slice(0, 8);
}"""


def _resolve(path):
    from installation.models import InstallationJob
    from logistics.models import Alert

    if path == "first-alert":
        return f"/logistics/alerts/{Alert.objects.order_by('pk').first().pk}/"
    if path == "first-job":
        return f"/logistics/installations/{InstallationJob.objects.order_by('pk').first().pk}/"
    if path == "first-refund":
        from refunds.models import RefundRequest

        return f"/refunds/{RefundRequest.objects.filter(status='disputed').order_by('pk').first().pk}/"
    if path == "first-scenario":
        from training.models import Scenario

        return f"/training/scenarios/{Scenario.objects.order_by('pk').first().pk}/"
    if path == "first-own-attempt":
        from training.models import Attempt

        return f"/training/attempts/{Attempt.objects.filter(agent__username='agent').order_by('pk').first().pk}/"
    return path


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_main_pages_fit_a_phone(page):  # noqa: F811
    call_command("load_demo", stdout=open("/dev/null", "w"))
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    too_wide = {}
    for username, paths in PAGES.items():
        page.context.clear_cookies()
        log_in(page, username)
        page.wait_for_url("**/")
        for path in paths:
            url = _resolve(path)
            response = page.goto(url)
            assert response.status == 200, url
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > WIDTH:
                too_wide[url] = (width, page.evaluate(WIDEST))
    assert not too_wide, too_wide


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_header_folds_into_a_menu_button(page):  # noqa: F811
    call_command("load_demo", stdout=open("/dev/null", "w"))
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    log_in(page, "director")
    page.wait_for_url("**/")
    nav = page.locator(".mainnav")
    assert nav.is_hidden()
    page.locator(".menu-toggle").click()
    assert nav.is_visible()
    assert page.locator(".menu-toggle").get_attribute("aria-expanded") == "true"
    page.locator(".menu-toggle").click()
    assert nav.is_hidden()
    # At desktop width the navigation is always shown and the button is not.
    page.set_viewport_size({"width": 1280, "height": 800})
    assert nav.is_visible() and page.locator(".menu-toggle").is_hidden()
