"""The public badge endpoint and the storefront embeds: no login, caching, CORS, rate limit, CSP."""

from datetime import date

import pytest
from django.core.cache import cache
from django.test import Client

from refunds.models import ReturnPolicy
from scores.models import BadgeState, EmbedSettings, StoreBadge
from tests.factories import make_store
from tests.scores.factories import NOW, earned_badge, policy_badge

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def store():
    store = make_store("demo-store", name="云晾旗舰店")
    fast = earned_badge("fast", show_figure=True)
    slow = earned_badge("resolution", metric="resolution_24h_rate", threshold=0.9)
    lost = earned_badge("lost-one", metric="stall_rate")
    StoreBadge.objects.create(store=store, badge=fast, state=BadgeState.EARNED, since=date(2026, 11, 1), figure=0.97,
                              sample=120, evaluated_on=date(2026, 11, 20), updated_at=NOW)
    StoreBadge.objects.create(store=store, badge=slow, state=BadgeState.AT_RISK, since=date(2026, 10, 1),
                              figure=0.89, sample=300, evaluated_on=date(2026, 11, 20), updated_at=NOW)
    StoreBadge.objects.create(store=store, badge=lost, state=BadgeState.LOST, evaluated_on=date(2026, 11, 20),
                              updated_at=NOW)
    policy_badge(90)
    return store


URL = "/api/v1/public/stores/demo-store/badges/"


def test_lists_earned_and_at_risk_badges_without_login_in_the_language_asked(store):
    response = Client().get(URL + "?lang=en")
    assert response.status_code == 200
    assert response.json() == [
        {"code": "fast", "name": "Fast dispatch", "description": "Picked up within 48 hours", "since": "2026-11-01",
         "icon_url": "http://testserver/static/scores/icons/dispatch.svg", "figure": 0.97},
        {"code": "resolution", "name": "Fast dispatch", "description": "Picked up within 48 hours",
         "since": "2026-10-01", "icon_url": "http://testserver/static/scores/icons/dispatch.svg"},
    ]
    chinese = Client().get(URL, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5").json()
    assert chinese[0]["name"] == "极速发货" and "sample" not in chinese[0]


def test_the_policy_badge_appears_while_the_policy_is_active(store):
    assert [b["code"] for b in Client().get(URL).json()] == ["fast", "resolution"]
    policy = ReturnPolicy.objects.create(store=store, code="r90", name_zh="90天", window_days=90,
                                         active_from=date(2020, 1, 1))
    assert [b["code"] for b in Client().get(URL).json()] == ["fast", "resolution", "return-90"]  # by order, code
    policy.is_active = False
    policy.save()
    assert [b["code"] for b in Client().get(URL).json()] == ["fast", "resolution"]


def test_etag_cache_control_and_304(store):
    first = Client().get(URL)
    assert first["Cache-Control"] == "public, max-age=300" and first["ETag"]
    again = Client().get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == first["ETag"]
    StoreBadge.objects.filter(badge__code="fast").update(state=BadgeState.LOST)
    changed = Client().get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_cors_is_open_for_get_and_preflight(store):
    response = Client().get(URL, HTTP_ORIGIN="https://shop.example.com")
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = Client().options(URL, HTTP_ORIGIN="https://shop.example.com",
                                 HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert preflight.status_code == 204 and "GET" in preflight["Access-Control-Allow-Methods"]
    assert Client().post(URL).status_code == 405


def test_unknown_store_is_404(store):
    response = Client().get("/api/v1/public/stores/nobody/badges/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    assert Client().get("/embed/stores/nobody/badges.js").status_code == 404
    assert Client().get("/embed/stores/nobody/badges.svg").status_code == 404


def test_rate_limit_per_client_address(store, settings):
    settings.SCORES_PUBLIC_RATE_PER_MINUTE = 3
    client = Client(REMOTE_ADDR="10.0.0.1")
    assert [client.get(URL).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert client.get(URL)["Retry-After"] == "60"
    assert Client(REMOTE_ADDR="10.0.0.2").get(URL).status_code == 200  # another address has its own budget


def test_rate_limit_behind_a_proxy_counts_the_client_the_proxy_recorded(store, settings):
    settings.SCORES_PUBLIC_RATE_PER_MINUTE = 2
    settings.PROXY_COUNT = 1

    def get(client_address, forged=""):
        forwarded = f"{forged}, {client_address}" if forged else client_address
        return Client(REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=forwarded).get(URL).status_code

    assert [get("203.0.113.5") for _ in range(3)] == [200, 200, 429]
    assert get("203.0.113.5", forged="198.51.100.1") == 429  # what the client adds itself is ignored
    assert get("203.0.113.6") == 200  # another client behind the same proxy has its own budget


def test_the_iframe_page_may_be_framed_only_by_the_configured_origins(store):
    response = Client().get("/embed/stores/demo-store/badges/?lang=en")
    assert response.status_code == 200
    assert response["Content-Security-Policy"].endswith("frame-ancestors 'self'")  # the portal's own preview
    assert "X-Frame-Options" not in response
    assert b'data-code="fast"' in response.content and b"Fast dispatch" in response.content
    assert b'data-code="lost-one"' not in response.content
    EmbedSettings.objects.create(store=store, frame_origins="https://shop.example.com\nhttps://m.shop.example.com")
    policy = Client().get("/embed/stores/demo-store/badges/")["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://shop.example.com https://m.shop.example.com" in policy
    assert "script-src" not in policy and "default-src 'none'" in policy
    # Every other page keeps refusing to be framed.
    assert Client().get("/login/")["X-Frame-Options"] == "DENY"


def test_the_script_and_the_image(store):
    script = Client().get("/embed/stores/demo-store/badges.js")
    assert script.status_code == 200 and script["Content-Type"].startswith("text/javascript")
    assert b"/api/v1/public/stores/" in script.content
    image = Client().get("/embed/stores/demo-store/badges.svg?lang=en")
    assert image["Content-Type"] == "image/svg+xml" and image["ETag"]
    assert b"Fast dispatch" in image.content and b"<svg x=" in image.content  # the icon drawn inline


def test_embed_origins_are_validated():
    from django.core.exceptions import ValidationError

    from scores.services import save_embed_settings

    store = make_store()
    with pytest.raises(ValidationError):
        save_embed_settings(store=store, frame_origins="https://ok.example.com\njavascript:alert(1)", actor=None,
                            now=NOW)
    with pytest.raises(ValidationError):
        save_embed_settings(store=store, frame_origins="https://a.example.com; script-src *", actor=None, now=NOW)
