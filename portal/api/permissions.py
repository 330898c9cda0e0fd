from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from portal import integrations
from portal.permissions import has_action

# DRF actions and the permission verbs they need.
ACTION_VERBS = {
    "list": "view",
    "retrieve": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
    "metadata": "view",
}


def verb_for(view) -> str | None:
    """The verb a request needs: an @action's `permission_action`, else the standard mapping."""
    explicit = getattr(view, "permission_action", None)
    if explicit:
        return explicit
    return ACTION_VERBS.get(getattr(view, "action", None) or "")


class RolePermission(BasePermission):
    """Default deny: authenticated, and the user's roles grant the verb on the view's model.

    Scope (which rows) is applied by `restrict` in the viewset's queryset, so an object outside the
    user's scope answers 404, and a verb the user's roles lack answers 403.
    """

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        model = getattr(view, "permission_model", None) or getattr(getattr(view, "queryset", None), "model", None)
        verb = verb_for(view)
        if model is None or verb is None:
            return False
        return has_action(request.user, model, verb)


class ApiDocsPermission(BasePermission):
    """The OpenAPI schema: anyone on the local product and in developer mode; signed-in users (or
    a valid token) when settings.API_DOCS_REQUIRE_LOGIN (production's default)."""

    def has_permission(self, request, view):
        from django.conf import settings

        return not settings.API_DOCS_REQUIRE_LOGIN or bool(request.user and request.user.is_authenticated)


class IntegrationKindPermission(BasePermission):
    """An integration account reaches only the endpoints of its client's kinds
    (`portal.integrations`): a view declares `integration_kind` (class attribute or
    `@action(integration_kind=...)`). A write to anything else, or to a view declaring nothing,
    answers 403; so does a read of a view that declares a kind the client lacks (a carrier feed
    may not poll the buyers' chat replies). Other reads are left to the role and the scope
    (`restrict`). Staff are not concerned."""

    message = _("This integration client may not call this endpoint (not one of its kinds).")
    code = "integration_kind"

    def has_permission(self, request, view):
        if not integrations.is_integration(request.user):
            return True
        kind = integrations.declared_kind(view)
        if request.method in SAFE_METHODS and kind in (None, integrations.STAFF_ONLY):
            return True
        return kind is not None and kind != integrations.STAFF_ONLY and kind in integrations.kinds_of(request.user)
