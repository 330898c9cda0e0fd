import pytest

from logistics.setup import ensure_sample_carrier
from tests.factories import make_store


@pytest.fixture
def carrier(db):
    return ensure_sample_carrier()


@pytest.fixture
def store(db):
    return make_store("clouddry-tmall", name="云晾智能晾衣架天猫旗舰店")


@pytest.fixture
def other_store(db):
    return make_store("swiftride-tmall", name="速骑电动车天猫旗舰店")


@pytest.fixture(autouse=True)
def _media_in_tmp_and_english(settings, tmp_path):
    """Uploaded report files go to a temporary directory; messages are asserted in English."""
    from django.utils import translation

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def portal(demo, carrier):
    """The portal demo (users by name, one per role) with the sample carrier; stores by code in .stores."""
    from portal.models import Store

    class Portal(dict):
        stores = {store.code: store for store in Store.objects.all()}

    return Portal(demo)


@pytest.fixture
def api(client):
    """A test client speaking JSON as `user`: api.as_user(user).post(url, data, headers)."""

    class Api:
        raw = client  # the test client itself, for a body that is not a dict or a multipart upload

        def as_user(self, user):
            client.force_login(user)
            return self

        def get(self, url, **params):
            return client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")

        def post(self, url, data=None, **headers):
            headers.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
            return client.post(url, data or {}, content_type="application/json", **headers)

    return Api()
