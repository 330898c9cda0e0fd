import django_filters
from django.utils.translation import gettext_lazy as _

from portal.models import Notification, Store, Team


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
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label=_("unread"))

    class Meta:
        model = Notification
        fields = ["unread"]
