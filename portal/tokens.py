"""API tokens: hashed, named, expiring, revocable.

`create_token()` returns the new key once; only its SHA-256 digest is stored. `authenticate()`
finds a usable token by digest. `revoke()` ends tokens at once. Used by the API's authentication
class (portal/api/authentication.py), the `create_api_token` / `revoke_api_token` commands and admin.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from portal.models import ApiToken

# last_used_at is written at most this often per token: not a write per API call.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def new_key() -> str:
    """40 hex characters (160 random bits), the same shape as the keys clients hold today."""
    return secrets.token_hex(20)


def create_token(*, user, name: str = "default", expires_days: int | None = None, now) -> tuple[ApiToken, str]:
    """A new token for `user` named `name`; a usable token of that name is revoked (replaced).
    `expires_days`: None takes API_TOKEN_EXPIRES_DAYS, 0 never expires. Returns (token, key)."""
    if expires_days is None:
        expires_days = settings.API_TOKEN_EXPIRES_DAYS
    key = new_key()
    with transaction.atomic():
        ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).update(revoked_at=now)
        token = ApiToken.objects.create(
            user=user, name=name, prefix=key[:8], digest=digest(key), created_at=now,
            expires_at=now + timedelta(days=expires_days) if expires_days else None,
        )
    return token, key


def authenticate(key: str, *, now) -> ApiToken | None:
    """The usable token with this key (and its active user), or None."""
    token = (
        ApiToken.objects.usable(now).filter(digest=digest(key), user__is_active=True).select_related("user").first()
    )
    if token is not None and (token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def revoke(tokens, *, now) -> int:
    """Revoke the given tokens (a queryset) that are not revoked yet. Returns how many."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=now)
