"""Small `make_*` helpers shared by the app test packages."""

import itertools

from django.contrib.auth import get_user_model

from portal.models import Store, Team
from portal.roles import Role, ensure_roles
from portal.services import add_member

_seq = itertools.count(1)


def make_store(code=None, **fields):
    n = next(_seq)
    return Store.objects.create(
        code=code or f"store-{n}", name=fields.pop("name", f"Store {n}"),
        marketplace=fields.pop("marketplace", Store.Marketplace.TMALL), brand=fields.pop("brand", "Brand"), **fields,
    )


def make_team(name=None, kind=Team.Kind.CUSTOMER_SERVICE, parent=None, stores=()):
    team = Team.objects.create(name=name or f"Team {next(_seq)}", kind=kind, parent=parent)
    team.stores.set(stores)
    return team


def make_user(username=None, *, role=None, team=None, **fields):
    """A user; with `role` and `team`, a member of that team in that role (roles are created first)."""
    user = get_user_model().objects.create_user(
        username=username or f"user{next(_seq)}", password="pw-test-123", email=fields.pop("email", "u@example.com"),
        **fields,
    )
    if role is not None:
        ensure_roles()
        add_member(user=user, team=team or make_team(), role=role)
    return user


def make_integration(username=None, *, kinds, stores=(), team=None):
    """An API-only integration account with its client (`portal.integrations`): `kinds`, `stores`."""
    from portal.models import IntegrationClient

    user = make_user(username, role=Role.INTEGRATION, team=team)
    client = IntegrationClient.objects.create(user=user, name=user.username, kinds=list(kinds))
    client.stores.set(stores)
    return user
