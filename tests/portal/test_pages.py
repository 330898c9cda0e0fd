"""The UI shell: login, home with teams and stores, language switch, friendly error pages."""

import pytest
from django.test import override_settings


def test_anonymous_is_sent_to_login(db, client):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_login_with_a_wrong_password_says_so(demo, client):
    page = client.post("/login/", {"username": "agent", "password": "nope"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Please enter a correct username and password" in page.content.decode()


def test_home_shows_teams_and_stores_in_chinese_by_default(demo, client, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the product default (the suite reads English otherwise)
    client.post("/login/", {"username": "agent", "password": "demo-pass-2026"})
    page = client.get("/").content.decode()
    assert "我的团队" in page and "晾衣架客服组" in page and "云晾智能晾衣架天猫旗舰店" in page
    assert "速骑电动车天猫旗舰店" not in page  # not the agent's store


def test_language_switch_to_english(demo, client):
    client.force_login(demo["agent"])
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert "My teams" in page and 'lang="en"' in page


def test_home_for_a_user_without_teams_has_an_empty_state(db, client):
    from tests.factories import make_user

    client.force_login(make_user("new"))
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You are not a member of any team yet" in page


def test_logout(demo, client):
    client.force_login(demo["agent"])
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


@override_settings(DEBUG=False)
def test_friendly_404(demo, client):
    client.force_login(demo["agent"])
    page = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 404 and "outside your scope" in page.content.decode()


@override_settings(DEBUG=False)
def test_friendly_403(demo, client):
    client.force_login(demo["integration"])
    page = client.get("/inbox/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 403 and "Your role does not allow" in page.content.decode()


def test_friendly_500_renders_without_a_database():
    from django.test import RequestFactory
    from django.utils import translation

    from portal.views import error_500

    with translation.override("en"):
        response = error_500(RequestFactory().get("/"))
    assert response.status_code == 500 and b"Something went wrong" in response.content


@pytest.mark.parametrize("path", ["/static/portal/portal.css", "/static/portal/portal.js"])
def test_assets_are_local(demo, client, path):
    client.force_login(demo["agent"])
    page = client.get("/").content.decode()
    assert path in page
    assert "cdn" not in page.lower()
