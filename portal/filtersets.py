import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import YearBounded
from portal.models import Notification, Store, Team

# --- Bounded filters: a query parameter out of range is a 400 at the parameter, never an overflow ---

MAX_ID = 2**53


class BoundedNumberFilter(django_filters.NumberFilter):
    """A number between `min_value` (default 0) and `max_value` (default MAX_ID): `?stuck_hours=1e9`
    or `?ticket=1e30` is refused as a bad value instead of overflowing a date or an integer column."""

    def __init__(self, *args, min_value=0, max_value=MAX_ID, **kwargs):
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)


class BoundedIntegerFilter(BoundedNumberFilter):
    """A whole number (an id, a level): `?level=0.5` is a 400."""

    field_class = forms.IntegerField


class _RawBooleanWidget(django_filters.widgets.BooleanWidget):
    """Renders as django-filter's yes/no select, but hands the field the raw value to check."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class _StrictNullBooleanField(forms.NullBooleanField):
    """true or false (or nothing); anything else is an error, not silently "no filter"."""

    widget = _RawBooleanWidget

    def to_python(self, value):
        if value in (None, "", "unknown"):
            return None
        if value in (True, "true", "True"):
            return True
        if value in (False, "false", "False"):
            return False
        raise forms.ValidationError(_("Give true or false."), code="invalid")

    def validate(self, value):
        pass




class StrictBooleanFilter(django_filters.BooleanFilter):
    """A boolean query parameter: `true` or `false`; `?acknowledged=0` is a 400."""

    field_class = _StrictNullBooleanField


class _BoundedIsoDateTimeField(YearBounded, django_filters.fields.IsoDateTimeField):
    pass


class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time between MIN_YEAR and MAX_YEAR (a year-1 time cannot be converted to UTC)."""

    field_class = _BoundedIsoDateTimeField


class AnyYesNoSelect(_RawBooleanWidget):
    """A yes/no filter whose empty choice reads "Any" (Django's reads "Unknown"); the strict field
    checks the raw value (`?open=0` is a 400)."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", _("Any")), ("true", _("Yes")), ("false", _("No"))]


class YesNoFilter(StrictBooleanFilter):
    """The portal's yes/no list filter: "Any", "Yes", "No"; anything else is a 400."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", AnyYesNoSelect)
        super().__init__(*args, **kwargs)


class StoreFilterSet(django_filters.FilterSet):
    code = django_filters.CharFilter(label=_("code"))
    q = django_filters.CharFilter(method="search", label=_("search"))

    class Meta:
        model = Store
        fields = ["code", "marketplace"]

    def search(self, queryset, name, value):
        return queryset.filter(name__icontains=value) | queryset.filter(brand__icontains=value)


class TeamFilterSet(django_filters.FilterSet):
    class Meta:
        model = Team
        fields = ["kind", "parent"]


class NotificationFilterSet(django_filters.FilterSet):
    unread = YesNoFilter(field_name="read_at", lookup_expr="isnull", label=_("unread"))

    class Meta:
        model = Notification
        fields = ["unread"]
