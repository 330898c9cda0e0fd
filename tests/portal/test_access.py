"""`portal.permissions.access`: the one fetch-and-check of the views."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from portal.models import Store
from portal.permissions import access
from portal.roles import Role
from tests.factories import make_store, make_team, make_user


@pytest.mark.django_db
def test_access_refuses_a_missing_verb_and_hides_rows_outside_scope():
    mine, other = make_store("mine"), make_store("other")
    team = make_team("CS", stores=[mine])
    agent = make_user("a", role=Role.AGENT, team=team)
    assert access(Store.objects.all(), agent, "view", mine.pk) == mine
    with pytest.raises(Http404):
        access(Store.objects.all(), agent, "view", other.pk)  # exists, outside the scope
    with pytest.raises(Http404):
        access(Store.objects.all(), agent, "view", 999999)  # does not exist: the same answer
    with pytest.raises(PermissionDenied):
        access(Store.objects.all(), agent, "delete", mine.pk)
