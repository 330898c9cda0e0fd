"""Suite-wide fixtures: roles exist, time is pinned by tests, no network for notifications."""

import pytest


@pytest.fixture(autouse=True)
def _english_unless_asked(settings):
    """Tests read English text unless they ask for Chinese (Accept-Language, or a test that sets
    LANGUAGE_CODE itself); the product's own default stays zh-hans."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test starts with an empty cache of its own (throttle counts, cached metrics): an
    in-process cache here; the product uses a file or Redis cache shared by its workers."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture
def demo(db):
    """The demo org chart and users (portal part), returned as {username: user}."""
    from django.contrib.auth import get_user_model

    from portal.demo import load_portal_demo

    load_portal_demo()
    return {user.username: user for user in get_user_model().objects.all()}
