"""Related fields whose choices go through `restrict`: a row outside the caller's scope is refused
with the same message as a row that does not exist (the API never confirms it exists).

Every writable related field of every serializer is one of these (tests/portal/test_scoped_fields.py
walks them all), except the few a named rule lets reach beyond the caller's scope (a transfer's
destination), which that test lists.
"""

from django.contrib.auth import get_user_model
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portal.inputs import in_year_range, iso_date, year_range_message
from portal.permissions import restrict, users_in_scope


class RestrictedRelatedFieldMixin:
    """Choices: the field's queryset narrowed by `restrict(request.user, scope_action)`; a subclass
    may narrow further with `narrow(queryset, user)`."""

    scope_action = "view"

    def narrow(self, queryset, user):
        return queryset

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return self.narrow(restrict(super().get_queryset(), user, self.scope_action), user)


class RestrictedSlugRelatedField(RestrictedRelatedFieldMixin, serializers.SlugRelatedField):
    pass


class RestrictedPrimaryKeyRelatedField(RestrictedRelatedFieldMixin, serializers.PrimaryKeyRelatedField):
    pass


class ScopedUserField(RestrictedRelatedFieldMixin, serializers.PrimaryKeyRelatedField):
    """A person by id: active members of the teams in the caller's scope (org-wide roles: anyone active).
    Users have no `restrict` rule of their own; `portal.permissions.users_in_scope` is theirs."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", get_user_model().objects.filter(is_active=True))
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return users_in_scope(serializers.PrimaryKeyRelatedField.get_queryset(self), getattr(request, "user", None))


# --- Strict scalar fields: what every writable field of every serializer is built from --------------
#
# DRF's own CharField turns 12, true or a list into text, BooleanField reads "no" as false but
# other strings differently per version, IntegerField takes "12" and 12.0. These accept exactly the
# JSON type (tests/portal/test_strict_fields.py holds every serializer to them).


class StrictCharField(serializers.CharField):
    """A JSON string, nothing else; no NUL and no lone surrogate (DRF's validators for both)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)  # before trimming: the schema's maxLength
        return super().to_internal_value(data)


class StrictSlugField(serializers.SlugField, StrictCharField):
    """A slug given as a JSON string (DRF's SlugField would turn 0 into "0")."""


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer, nothing else (DRF's IntegerField would accept "12", 12.0 or true); bounded to a
    64-bit integer unless narrower bounds are given."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", -(2**63))
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false (or "true"/"false" from a form); "no", 0 or "yes" are refused, not guessed."""

    default_error_messages = {"invalid": _("Give true or false.")}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if data in ("true", "false"):
            return data == "true"
        self.fail("invalid")


class StrictDateTimeField(serializers.DateTimeField):
    """An ISO 8601 string between MIN_YEAR and MAX_YEAR (a year-1 time with a +14:00 offset cannot
    even be converted to UTC)."""

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="ISO 8601")
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is not None and not in_year_range(parsed):
            raise serializers.ValidationError(year_range_message(), code="range")
        return super().to_internal_value(value)


class StrictDateField(serializers.DateField):
    """A date as the JSON string YYYY-MM-DD between MIN_YEAR and MAX_YEAR (DRF's DateField also reads
    20261128 and stores year 1 or 9999)."""

    def to_internal_value(self, value):
        parsed = iso_date(value)
        if parsed is None:
            self.fail("invalid", format="YYYY-MM-DD")
        if not in_year_range(parsed):
            raise serializers.ValidationError(year_range_message(dates=True), code="range")
        return parsed
