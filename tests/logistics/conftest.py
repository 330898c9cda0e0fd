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
def _media_in_tmp(settings, tmp_path):
    """Uploaded report files go to a temporary directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
