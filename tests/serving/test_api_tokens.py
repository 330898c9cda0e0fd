"""API tokens: hashed at rest, named, several per client, expiring, revocable from admin and a
command; plain-text DRF keys of an older install are migrated to the hashed form and keep working."""

import hashlib
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from portal.models import ApiToken
from portal.roles import Role
from portal.tokens import create_token
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def status(key):
    return Client().get("/api/v1/stores/", HTTP_AUTHORIZATION=f"Token {key}").status_code


def create(*args):
    out = StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def client_user():
    return make_user("marketplace", role=Role.INTEGRATION)


def test_the_command_prints_only_the_key_and_only_its_hash_is_stored(client_user):
    output = create("marketplace", "--name", "chat", "--expires-days", "30")
    key = output.strip()
    assert output == key + "\n" and re.fullmatch(r"[0-9a-f]{40}", key)
    token = ApiToken.objects.get(user=client_user, name="chat")
    assert token.digest == hashlib.sha256(key.encode()).hexdigest() and token.prefix == key[:8]
    assert key not in {getattr(token, f.attname) for f in ApiToken._meta.fields}  # never stored as such
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert status(key) == 200


def test_several_named_tokens_per_client_and_revoking_one_leaves_the_others(client_user):
    chat, refunds = create("marketplace", "--name", "chat").strip(), create("marketplace", "--name", "refunds").strip()
    assert status(chat) == status(refunds) == 200
    out = StringIO()
    call_command("revoke_api_token", "marketplace", "--name", "chat", stdout=out)
    assert "1 token(s) revoked" in out.getvalue()
    assert (status(chat), status(refunds)) == (401, 200)
    call_command("revoke_api_token", "marketplace", "--prefix", refunds[:6], stdout=StringIO())  # "at least 6"
    assert status(refunds) == 401
    with pytest.raises(CommandError, match="nothing revoked"):
        call_command("revoke_api_token", "marketplace", "--all")


def test_an_expired_token_is_refused(client_user):
    token, key = create_token(user=client_user, now=timezone.now(), expires_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert status(key) == 401
    never, key = create_token(user=client_user, name="forever", expires_days=0, now=timezone.now())
    assert never.expires_at is None and status(key) == 200


def test_an_inactive_user_s_token_is_refused(client_user):
    _token, key = create_token(user=client_user, now=timezone.now())
    client_user.is_active = False
    client_user.save()
    assert status(key) == 401


def test_admin_revokes_tokens_and_never_shows_a_key(client_user, demo):
    token, key = create_token(user=client_user, now=timezone.now())
    admin = Client()
    admin.force_login(demo["admin"])
    page = admin.get("/admin/portal/apitoken/").content.decode()
    assert token.prefix in page and key not in page and token.digest not in page
    response = admin.post("/admin/portal/apitoken/", {"action": "revoke_tokens", "_selected_action": [token.pk]})
    assert response.status_code == 302
    assert status(key) == 401
    # A member of staff without the admin role reaches no token at all.
    staff = make_user("staff-agent", role=Role.AGENT)
    staff.is_staff = True
    staff.save()
    other = Client()
    other.force_login(staff)
    assert other.get("/admin/portal/apitoken/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_plain_text_drf_keys_are_migrated_to_hashed_tokens_that_keep_working():
    """An install from before: the authtoken table with plain keys; the data migration hashes them."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("portal.migrations.0006_api_tokens")
    user = make_user("old-client", role=Role.INTEGRATION)
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id integer)")
        cursor.execute("INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
                       [old_key, timezone.now(), user.pk])
    try:
        with connection.schema_editor() as editor:
            migration.hash_plain_text_tokens(apps, editor)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM authtoken_token")
            assert cursor.fetchone()[0] == 0  # no plain-text key left
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE authtoken_token")
    assert ApiToken.objects.get(user=user).digest == hashlib.sha256(old_key.encode()).hexdigest()
    assert status(old_key) == 200
