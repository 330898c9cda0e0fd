import django_filters
from django.forms import NullBooleanSelect
from django.utils.translation import gettext_lazy as _

from portal.models import Notification, Store, Team


class AnyYesNoSelect(NullBooleanSelect):
    """A yes/no filter whose empty choice reads "Any" (Django's reads "Unknown")."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", _("Any")), ("true", _("Yes")), ("false", _("No"))]


class YesNoFilter(django_filters.BooleanFilter):
    """The portal's yes/no list filter: "Any", "Yes", "No"."""

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
