"""Browser: the embed snippet renders the badges on a plain HTML page served from another port
(another origin: CORS), the iframe is framed by a configured origin only, and the dashboard with
its charts fits a 390 px screen."""

import functools
import http.server
import threading
from datetime import date, timedelta

import pytest
from django.utils import timezone

from scores.models import BadgeState, EmbedSettings, StoreBadge
from tests.browser import page  # noqa: F401
from tests.factories import make_store
from tests.scores.factories import NOW, earned_badge

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def storefront(tmp_path):
    """A plain static web server on another port: the storefront."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _badges():
    store = make_store("embed-store", name="云晾旗舰店")
    for code, name, state in (("fast", "极速发货", BadgeState.EARNED), ("risky", "24小时解决", BadgeState.AT_RISK),
                              ("gone", "准时安装", BadgeState.LOST)):
        badge = earned_badge(code)
        badge.name_zh = name
        badge.save()
        StoreBadge.objects.create(store=store, badge=badge, state=state, since=date(2026, 11, 1), figure=0.97,
                                  sample=100, evaluated_on=date(2026, 11, 20), updated_at=NOW)
    return store


def test_the_script_snippet_renders_the_badges_on_a_storefront_page(page, live_server, storefront):  # noqa: F811
    _badges()
    folder, origin = storefront
    (folder / "index.html").write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Shop</title></head><body>'
        '<h1>Our shop</h1><div id="service-badges"></div>'
        f'<script src="{live_server.url}/embed/stores/embed-store/badges.js" data-target="service-badges" '
        'data-lang="zh-hans" async></script></body></html>', encoding="utf-8")
    page.goto(origin + "/index.html")
    page.wait_for_selector("#service-badges .service-badge")
    names = page.locator("#service-badges .service-badge span").all_inner_texts()
    assert names == ["极速发货", "24小时解决"]  # the lost badge is not shown; at risk still is
    icon = page.locator("#service-badges .service-badge img").first
    assert icon.evaluate("img => img.complete && img.naturalWidth > 0")


def test_the_iframe_is_framed_by_a_configured_origin_only(page, live_server, storefront):  # noqa: F811
    store = _badges()
    folder, origin = storefront
    (folder / "frame.html").write_text(
        '<!DOCTYPE html><html><body>'
        f'<iframe id="badges" src="{live_server.url}/embed/stores/embed-store/badges/?lang=en"></iframe>'
        '</body></html>', encoding="utf-8")
    page.goto(origin + "/frame.html")
    frame = page.frame_locator("#badges")
    with pytest.raises(Exception):  # noqa: B017 - no origin configured: the browser refuses to frame it
        frame.locator(".service-badge").first.wait_for(timeout=3000)
    EmbedSettings.objects.create(store=store, frame_origins=origin)
    # The page is cacheable for five minutes: another address, as a storefront editor would see
    # after the cache expired.
    (folder / "frame.html").write_text(
        '<!DOCTYPE html><html><body>'
        f'<iframe id="badges" src="{live_server.url}/embed/stores/embed-store/badges/?lang=en&amp;v=2"></iframe>'
        '</body></html>', encoding="utf-8")
    page.goto(origin + "/frame.html")
    frame.locator(".service-badge").first.wait_for()
    assert frame.locator(".service-badge span").all_inner_texts() == ["Fast dispatch", "Fast dispatch"]


def test_dashboard_charts_fit_a_narrow_screen(page, live_server):  # noqa: F811
    from django.contrib.auth import get_user_model

    from portal.roles import Role
    from scores.services import compute_range
    from tests.browser import log_in
    from tests.factories import make_team

    store = make_store("narrow-store")
    user = get_user_model().objects.create_user("narrow-manager", password="demo-pass-2026")
    from portal.services import add_member

    add_member(user=user, team=make_team(stores=[store]), role=Role.MANAGER)
    last = timezone.localdate() - timedelta(days=1)
    compute_range(last - timedelta(days=4), last, now=timezone.now())
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "narrow-manager")
    page.goto("/scores/?view=manager")
    page.wait_for_selector("[data-chart=score_trend] svg")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator("[data-testid=chart-score_trend] table td").count() > 0
