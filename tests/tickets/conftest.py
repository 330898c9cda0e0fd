import pytest

from tests.tickets.factories import World


@pytest.fixture
def world(db):
    return World()
