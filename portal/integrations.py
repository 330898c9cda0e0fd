"""Integration clients: what an API-only integration account may write, and for which stores.

An account with the integration role is one `IntegrationClient`: one or more kinds (below) and the
stores it serves. Its token reaches only the write endpoints of its kinds (others answer 403) and,
within them, only its stores: `visible_store_ids()` of an integration user is the client's stores,
so every store field and every store-scoped row resolves through the ordinary `restrict()` scope
(another store answers as an unknown store).

A write endpoint says which kind of integration calls it with a class attribute (or an
`@action(integration_kind=...)` argument):

    class RefundRequestIngestView(APIView):
        integration_kind = Kind.MARKETPLACE_REFUNDS   # or the string "marketplace_refunds"

`STAFF_ONLY` declares a write endpoint that no integration calls. An endpoint that declares
nothing is closed to integrations too, and the test walking the API's URLs fails on it
(tests/portal/test_integration_kinds.py). The check is `portal.api.permissions.IntegrationKindPermission`,
in the API's default permission classes.
"""

from portal.models import IntegrationClient

# The kinds, defined with the model (portal.models.IntegrationClient.Kind) so that the model needs no
# import from here.
Kind = IntegrationClient.Kind


# A write endpoint no integration may call (staff and administrators only).
STAFF_ONLY = "staff_only"


def is_integration(user) -> bool:
    """An API-only integration account: the integration role, and nothing org-wide."""
    from portal.permissions import is_org_wide, user_roles
    from portal.roles import Role

    return bool(getattr(user, "is_authenticated", False)) and Role.INTEGRATION in user_roles(user) \
        and not is_org_wide(user)


def client_of(user):
    """The user's `IntegrationClient` (None: an integration account with no client reaches nothing)."""
    cached = getattr(user, "_portal_integration_client", False)
    if cached is False:
        cached = IntegrationClient.objects.filter(user_id=user.pk).first()
        user._portal_integration_client = cached
    return cached


def kinds_of(user) -> set[str]:
    client = client_of(user)
    return set(client.kinds) if client else set()


def declared_kind(view) -> str | None:
    """The kind a view (or the @action being run) declares; None when it declares nothing."""
    return getattr(view, "integration_kind", None)
