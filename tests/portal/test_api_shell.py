"""The API shell: token and session auth, default deny, pagination, JSON errors, schema and docs offline."""

import re
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from portal.models import Store
from portal.tokens import create_token


def test_create_api_token_prints_only_a_new_key(demo, capsys):
    call_command("create_api_token", "integration")
    first = capsys.readouterr().out.strip()
    call_command("create_api_token", "integration")
    second = capsys.readouterr().out.strip()
    assert re.fullmatch(r"[0-9a-f]{40}", first) and re.fullmatch(r"[0-9a-f]{40}", second)
    assert first != second
    # The old key of the same (default) name no longer works; only the new one does.
    client = Client()
    assert client.get("/api/v1/stores/", HTTP_AUTHORIZATION=f"Token {first}").status_code == 401
    assert client.get("/api/v1/stores/", HTTP_AUTHORIZATION=f"Token {second}").status_code == 200


def test_create_api_token_for_unknown_user_fails(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user named"):
        call_command("create_api_token", "ghost")


def test_token_auth_works_and_anonymous_is_denied(demo, client):
    key = create_token(user=demo["integration"], now=timezone.now())[1]
    assert client.get("/api/v1/stores/").status_code == 401
    response = client.get("/api/v1/stores/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert client.get("/api/v1/stores/", HTTP_AUTHORIZATION="Token not-a-key").status_code == 401


def test_default_deny_for_a_user_without_roles(db, client):
    from tests.factories import make_user

    client.force_login(make_user("nobody"))
    assert client.get("/api/v1/stores/").status_code == 403
    assert client.get("/api/v1/teams/").status_code == 403


def test_pagination_shape(demo, client):
    for n in range(60):
        Store.objects.create(code=f"s{n:03}", name=f"S{n}", marketplace="tmall", brand="b")
    client.force_login(demo["admin"])
    body = client.get("/api/v1/stores/?page=2").json()
    assert body["count"] == 62 and len(body["results"]) == 12 and body["previous"] and body["next"] is None
    assert len(client.get("/api/v1/stores/?page_size=500").json()["results"]) == 62  # capped at 200
    assert client.get("/api/v1/stores/?page=9").status_code == 404


def test_field_errors_are_json(demo, client):
    client.force_login(demo["admin"])
    response = client.post(
        "/api/v1/stores/", {"code": "bad code!", "name": "", "marketplace": "mars"}, content_type="application/json"
    )
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) >= {"code", "name", "marketplace", "brand"}
    assert Store.objects.count() == 2
    malformed = client.post("/api/v1/stores/", "{not json", content_type="application/json")
    assert malformed.status_code == 400 and "detail" in malformed.json()


def test_schema_and_docs_are_served_without_internet(demo, client):
    client.force_login(demo["agent"])
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/v1/stores/" in schema.json()["paths"]
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower() and "https://" not in docs.replace("https://swagger.io", "")


def test_create_api_token_stdout_is_only_the_key(demo, tmp_path):
    """Run as a subprocess, the way an operator does: stdout carries only the key."""
    db = tmp_path / "t.sqlite3"
    env = {"SQLITE_PATH": str(db), "PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "portal.settings"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], check=True, env=env)
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from django.contrib.auth.models import User; User.objects.create_user('bot')"], check=True, env=env
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "create_api_token", "bot"], check=True, env=env, capture_output=True, text=True
    ).stdout
    assert re.fullmatch(r"[0-9a-f]{40}\n", out)


