import pytest

from tests.training.factories import TrainingWorld


@pytest.fixture
def tw(db):
    return TrainingWorld()
