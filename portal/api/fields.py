"""Related fields whose choices go through `restrict`: a row outside the caller's scope is refused
with the same message as a row that does not exist (the API never confirms it exists)."""

from rest_framework import serializers

from portal.permissions import restrict


class RestrictedRelatedFieldMixin:
    """Choices: the field's queryset narrowed by `restrict(request.user, scope_action)`."""

    scope_action = "view"

    def get_queryset(self):
        request = self.context.get("request")
        return restrict(super().get_queryset(), getattr(request, "user", None), self.scope_action)


class RestrictedSlugRelatedField(RestrictedRelatedFieldMixin, serializers.SlugRelatedField):
    pass


class RestrictedPrimaryKeyRelatedField(RestrictedRelatedFieldMixin, serializers.PrimaryKeyRelatedField):
    pass
