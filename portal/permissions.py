"""The one permission path: `restrict(queryset, user, action)`.

An action is a verb: "view", "add", "change", "delete" or a domain verb such as "assign". The
user must hold the model permission `<app>.<action>_<model>` (given by their roles' groups), and
the queryset is then narrowed to the rows in the user's scope by the rule the model's app
registered with `@scope_rule(Model)`. UI views, API viewsets, exports and admin all call this, so
they cannot disagree about who sees what.

It fails closed: every model of the portal's apps needs a rule, or an explicit
`unscoped(Model, reason=...)` for configuration that every holder of the model permission may
see in full. A model with neither is a start-up error (system check portal.E010) and
`restrict()` on it raises `ImproperlyConfigured`; it never answers "everything".
"""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q, QuerySet

from portal.roles import ORG_WIDE_ROLES, ROLE_APPS, Role

ScopeRule = Callable[[QuerySet, object, str], QuerySet]
_RULES: dict[type, ScopeRule] = {}
_UNSCOPED: dict[type, str] = {}


def scope_rule(model):
    """Register the function that narrows `model` querysets to a user's scope."""

    def register(func: ScopeRule) -> ScopeRule:
        _RULES[model] = func
        return func

    return register


def unscoped(model, *, reason: str) -> None:
    """Declare that `model` has no row scope: the model permission alone decides (every row or none).

    For organisation-wide configuration and system bookkeeping only; `reason` says why no row of it
    needs hiding from a holder of the permission (it is listed by `scope_registry()`).
    """
    if not reason.strip():
        raise ImproperlyConfigured(f"unscoped({model._meta.label}) needs a reason.")
    _UNSCOPED[model] = reason
    _RULES[model] = _every_row


def _every_row(queryset, user, action):
    return queryset


def scope_registry() -> dict[type, str | None]:
    """Every model with a registered rule: None for a scope rule, the reason for an `unscoped` one."""
    return {model: _UNSCOPED.get(model) for model in _RULES}


def portal_apps() -> list[str]:
    """The labels of the portal's own apps: every model of these needs a scope rule."""
    return ["portal", *ROLE_APPS]


def governed_models() -> list[type]:
    """The models of the portal's apps (auto-created many-to-many tables aside)."""
    from django.apps import apps

    models = []
    for label in portal_apps():
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        models.extend(config.get_models())
    return models


def rule_for(model) -> ScopeRule:
    """The scope rule of `model`; a model without one is a configuration error, never "all rows"."""
    try:
        return _RULES[model]
    except KeyError:
        raise ImproperlyConfigured(
            f"No scope rule for {model._meta.label}: register one with @scope_rule({model.__name__}) in its "
            f"app's permissions module, or declare unscoped({model.__name__}, reason=...)."
        ) from None


def permission_name(model, action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def has_action(user, model, action: str) -> bool:
    """Whether the user's roles allow `action` on `model` at all (scope aside)."""
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(permission_name(model, action)))


def restrict(queryset: QuerySet, user, action: str = "view") -> QuerySet:
    """The rows of `queryset` the user may perform `action` on."""
    model = queryset.model
    rule = rule_for(model)
    if not has_action(user, model, action):
        return queryset.none()
    if user.is_superuser:
        return queryset
    return rule(queryset, user, action)


def access(queryset: QuerySet, user, action: str, pk):
    """Fetch-and-check for views: the row `pk` of `queryset` that the user may `action`. A verb the
    user's roles lack is refused (PermissionDenied, 403); a row outside their scope, or none, is not
    found (Http404), exactly as a row that does not exist."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404
    from django.utils.translation import gettext as _

    if not has_action(user, queryset.model, action):
        raise PermissionDenied(_("Your role does not allow this."))
    obj = restrict(queryset, user, action).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def can(user, obj, action: str = "view") -> bool:
    """Whether the user may perform `action` on this one object (same rule as `restrict`)."""
    return restrict(type(obj)._default_manager.filter(pk=obj.pk), user, action).exists()


# --- Role and scope helpers shared by every app's rules ---------------------------------------


def user_roles(user) -> set[str]:
    """The roles a user holds (the names of their role groups), cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_portal_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._portal_roles = cached
    return cached


def is_org_wide(user) -> bool:
    return user.is_superuser or bool(user_roles(user) & {str(r) for r in ORG_WIDE_ROLES})


def visible_team_ids(user) -> set[int]:
    """Teams in the user's scope: their own teams, every team below a team they lead or manage,
    and all customer-service teams for a manager. Cached on the user object for the request."""
    cached = getattr(user, "_portal_team_ids", None)
    if cached is not None:
        return cached
    from portal.models import Membership, Team

    parents = dict(Team.objects.values_list("id", "parent_id"))
    memberships = list(Membership.objects.filter(user=user).values_list("team_id", "role"))
    ids = {team_id for team_id, _ in memberships}
    heads = {team_id for team_id, role in memberships if role in {Role.TEAM_LEAD, Role.MANAGER, Role.DIRECTOR}}
    for team_id in parents:
        node, seen = team_id, set()
        while node is not None and node not in seen:
            if node in heads:
                ids.add(team_id)
                break
            seen.add(node)
            node = parents.get(node)
    if Role.MANAGER in user_roles(user):
        ids |= set(Team.objects.filter(kind=Team.Kind.CUSTOMER_SERVICE).values_list("id", flat=True))
    user._portal_team_ids = ids
    return ids


def visible_store_ids(user) -> set[int]:
    """Stores served by the teams in the user's scope; for an integration account, the stores its
    `IntegrationClient` serves (`portal.integrations`), whatever its team."""
    from portal.models import IntegrationClient, Team

    cached = getattr(user, "_portal_store_ids", None)
    if cached is None and Role.INTEGRATION in user_roles(user) and not is_org_wide(user):
        cached = user._portal_store_ids = set(
            IntegrationClient.stores.through.objects.filter(integrationclient__user_id=user.pk)
            .values_list("store_id", flat=True))
    if cached is None:
        cached = set(
            Team.stores.through.objects.filter(team_id__in=visible_team_ids(user)).values_list("store_id", flat=True)
        )
        user._portal_store_ids = cached
    return cached


def by_store(prefix: str = "") -> ScopeRule:
    """The scope rule of rows that belong to a store: `prefix` is the path to the row holding
    `store_id` ("" for the row itself, "shipment__" for a shipment's events). Org-wide roles see
    every store, everyone else `visible_store_ids()` (an integration account: its client's stores)."""

    def rule(queryset, user, action):
        if is_org_wide(user):
            return queryset
        return queryset.filter(**{f"{prefix}store_id__in": visible_store_ids(user)})

    return rule


def users_in_scope(queryset, user):
    """The people of `queryset` that `user` may pick (an assignee, a recipient): members of the teams
    in the user's scope; everyone for org-wide roles; no one for an anonymous caller."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if is_org_wide(user):
        return queryset
    return queryset.filter(memberships__team_id__in=visible_team_ids(user)).distinct()


# --- Rules of the portal's own models ---------------------------------------------------------


def _register_core_rules():
    from portal.models import (
        ApiToken,
        IntegrationClient,
        Membership,
        Notification,
        OutboundMessage,
        PiiAccess,
        ProductLine,
        Profile,
        Store,
        Team,
    )

    unscoped(ProductLine, reason="The product lines (drying racks, e-bikes) are configuration every role works by.")

    @scope_rule(OutboundMessage)
    def outbound_scope(queryset, user, action):
        # The marketplace feed of a store: its integration client and the store's staff who may view it.
        if is_org_wide(user):
            return queryset
        return queryset.filter(store__in=restrict(Store.objects.all(), user, "view"))

    @scope_rule(Store)
    def store_scope(queryset, user, action):
        if is_org_wide(user):
            return queryset
        # An integration client's stores are its visible stores (portal.integrations).
        return queryset.filter(pk__in=visible_store_ids(user))

    @scope_rule(Team)
    def team_scope(queryset, user, action):
        if is_org_wide(user):
            return queryset
        return queryset.filter(pk__in=visible_team_ids(user))

    @scope_rule(Membership)
    def membership_scope(queryset, user, action):
        if is_org_wide(user):
            return queryset
        return queryset.filter(team_id__in=visible_team_ids(user))

    @scope_rule(Notification)
    def notification_scope(queryset, user, action):
        # An inbox is personal; administrators see the outbox to follow up failed deliveries.
        if user.is_superuser or Role.ADMIN in user_roles(user):
            return queryset
        return queryset.filter(Q(recipient=user))

    @scope_rule(PiiAccess)
    def pii_access_scope(queryset, user, action):
        # The audit of personal-data reveals is for administrators only, whatever else a role holds.
        if user.is_superuser or Role.ADMIN in user_roles(user):
            return queryset
        return queryset.none()

    @scope_rule(ApiToken)
    def api_token_scope(queryset, user, action):
        # Clients' API keys (digests): administrators only, whatever else a role holds.
        if user.is_superuser or Role.ADMIN in user_roles(user):
            return queryset
        return queryset.none()

    @scope_rule(Profile)
    def profile_scope(queryset, user, action):
        # Contact details for the notification channels: one's own; administrators everyone's.
        if Role.ADMIN in user_roles(user):
            return queryset
        return queryset.filter(user=user)

    @scope_rule(IntegrationClient)
    def integration_client_scope(queryset, user, action):
        # Which integration may write what is administrators' configuration; a client sees its own.
        if user.is_superuser or Role.ADMIN in user_roles(user):
            return queryset
        return queryset.filter(user=user)
