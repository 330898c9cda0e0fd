"""The refund desk tests run on the demo org (the refund desk team 退款组 serves both stores), the
sample carrier, the ticket queues of the tickets demo configuration and the demo rulebook."""

import pytest

from tests.logistics.conftest import _media_in_tmp_and_english, api, carrier  # noqa: F401


@pytest.fixture(autouse=True)
def _private_files_in_tmp(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def desk(demo, carrier):  # noqa: F811
    """The demo org with the refund desk's configuration (queues, policies, rules), no requests."""
    from refunds.demo import load_configuration
    from tickets.demo import _configuration

    _configuration()
    load_configuration()

    class Desk(dict):
        pass

    from portal.models import Store

    result = Desk(demo)
    result.stores = {store.code: store for store in Store.objects.all()}
    return result
