"""Web and API hardening: login lockout, API throttles, CSP and Permissions-Policy, no inline
script, no public media URL, API docs behind login in production, e-mail settings from the env."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve

from portal.roles import Role
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "right-pass-2026"  # noqa: S105


@pytest.fixture
def person(db):
    user = make_user("lockme", role=Role.AGENT)
    user.set_password(PASSWORD)
    user.save()
    return user


def login(client, password, username="lockme"):
    return client.post("/login/", {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_login_and_the_right_one_no_longer_works(person, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "wrong").status_code == 200  # the form again, with its error
    locked = login(client, "wrong")
    assert locked.status_code == 429 and 'data-testid="locked-out"' in locked.content.decode()
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    right = login(client, PASSWORD)
    assert right.status_code == 429 and "_auth_user_id" not in client.session
    # Other users from the same address are not locked out by someone else's attempts.
    other = make_user("someone", role=Role.AGENT)
    other.set_password(PASSWORD)
    other.save()
    assert login(client, PASSWORD, username="someone").status_code == 302


def test_the_lockout_page_is_translated(person, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/login/", {"username": "lockme", "password": "x"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert response.status_code == 429 and "登录失败次数过多" in html


def test_a_success_resets_the_failure_count(person, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "wrong")
    assert login(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "wrong").status_code == 200


def test_api_throttle_answers_429_with_retry_after_and_integration_gets_more(db, client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/min", "user": "3/min", "integration": "6/min"},
    }
    agent = make_user("throttled-agent", role=Role.AGENT)
    partner = make_user("throttled-partner", role=Role.INTEGRATION)
    client.force_login(agent)
    assert [client.get("/api/v1/stores/").status_code for _ in range(4)] == [200, 200, 200, 429]
    throttled = client.get("/api/v1/stores/")
    assert throttled.status_code == 429 and 0 < int(throttled["Retry-After"]) <= 60
    client.force_login(partner)  # another client: counted apart, at the integration rate
    assert [client.get("/api/v1/stores/").status_code for _ in range(7)] == [200] * 6 + [429]
    client.logout()  # anonymous callers of what is open to them (the schema here): per address
    assert [client.get("/api/schema/").status_code for _ in range(3)] == [200, 200, 429]


def test_pages_send_a_content_security_policy_without_inline_script_and_a_permissions_policy(db, client):
    response = client.get("/login/")
    policy = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in response["Content-Security-Policy"].split(";") if part.strip()
    )
    assert policy["script-src"] == "'self'" and "unsafe" not in policy["script-src"]
    assert policy["default-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"""<[^>]*\son[a-z]+\s*=\s*["']""", re.I)


def test_no_template_has_inline_script_or_event_handlers():
    templates = [p for p in ROOT.rglob("templates/**/*.html") if ".venv" not in p.parts]
    assert len(templates) > 20
    offenders = []
    for path in templates:
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, re.compile("javascript:", re.I)):
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)[:60]}" for m in pattern.finditer(text)]
    assert offenders == []


def test_api_docs_use_the_split_views_that_need_no_inline_script(db, client):
    html = client.get("/api/docs/").content.decode()
    assert INLINE_SCRIPT.search(html) is None and "?script" in html
    script = client.get("/api/docs/?script")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_api_docs_and_schema_need_a_login_when_the_setting_says_so(db, client, settings):
    settings.API_DOCS_REQUIRE_LOGIN = True
    assert client.get("/api/schema/").status_code == 401
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/login/")
    client.force_login(make_user("reader", role=Role.AGENT))
    assert client.get("/api/schema/").status_code == 200 and client.get("/api/docs/").status_code == 200
    client.logout()
    settings.API_DOCS_REQUIRE_LOGIN = False
    assert client.get("/api/schema/").status_code == 200


@pytest.mark.parametrize("url", ["/media/logistics/imports/report.csv", "/media/x.jpg"])
def test_uploaded_files_have_no_public_url(url):
    with pytest.raises(Resolver404):
        resolve(url)


def run_settings(**env):
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "PORTAL_MODE", "SECRET_KEY", "ALLOWED_HOSTS"}}
    code = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({k: str(getattr(s, k)) for k in ('DEBUG', 'PORTAL_MODE', 'EMAIL_FILE_PATH', 'EMAIL_USE_SSL',"
        " 'EMAIL_TIMEOUT', 'SESSION_COOKIE_SECURE', 'API_DOCS_REQUIRE_LOGIN', 'SECRET_KEY')}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env={**base, "DJANGO_SETTINGS_MODULE": "portal.settings", **env})
    return result.returncode, (json.loads(result.stdout) if result.returncode == 0 else result.stderr)


def test_every_email_setting_comes_from_the_environment(tmp_path):
    code, values = run_settings(PORTAL_DATA_DIR=str(tmp_path), EMAIL_FILE_PATH=str(tmp_path / "mails"),
                                EMAIL_USE_SSL="1", EMAIL_TIMEOUT="7")
    assert code == 0, values
    assert (values["EMAIL_FILE_PATH"], values["EMAIL_USE_SSL"], values["EMAIL_TIMEOUT"]) == (
        str(tmp_path / "mails"), "True", "7.0")


def test_modes_debug_off_unless_asked_and_no_fallback_key_outside_developer_mode(tmp_path):
    code, local = run_settings(PORTAL_DATA_DIR=str(tmp_path))
    assert code == 0 and local["DEBUG"] == "False" and local["PORTAL_MODE"] == "local"
    assert local["SESSION_COOKIE_SECURE"] == "False" and local["API_DOCS_REQUIRE_LOGIN"] == "False"
    assert local["SECRET_KEY"] == (tmp_path / "secret_key").read_text().strip()
    assert run_settings(PORTAL_DATA_DIR=str(tmp_path))[1]["SECRET_KEY"] == local["SECRET_KEY"]  # kept
    code, production = run_settings(DEBUG="0", SECRET_KEY="k" * 50, ALLOWED_HOSTS="portal.example.com")
    assert production["SESSION_COOKIE_SECURE"] == "True" and production["API_DOCS_REQUIRE_LOGIN"] == "True"
    code, error = run_settings(DEBUG="0", ALLOWED_HOSTS="portal.example.com")
    assert code != 0 and "SECRET_KEY must be set" in error
    code, developer = run_settings(DEBUG="1", PORTAL_DATA_DIR=str(tmp_path / "dev"))
    assert developer["DEBUG"] == "True" and not (tmp_path / "dev" / "secret_key").exists()


def test_behind_a_proxy_the_lockout_counts_the_forwarded_client_address(person, client, settings):
    settings.PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "lockme", "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.7")
    # Another client behind the same proxy is not locked out; the one that failed is.
    other = client.post("/login/", {"username": "lockme", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert other.status_code == 302
    client.logout()
    again = client.post("/login/", {"username": "lockme", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert again.status_code == 429
