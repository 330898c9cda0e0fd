"""The installation job FilterSet: the list page's filter form and the API's query parameters."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from installation.models import InstallationJob, InstallationNode, InstallationPartner
from installation.permissions import is_partner_user, partner_ids
from logistics.filtersets import user_stores
from portal.filtersets import BoundedIsoDateTimeFilter, YesNoFilter


def user_partners(request):
    """Partners of the jobs the user may see (a partner's own user sees only its own)."""
    if request is None:
        return InstallationPartner.objects.none()
    if is_partner_user(request.user):
        return InstallationPartner.objects.filter(pk__in=partner_ids(request.user))
    return InstallationPartner.objects.all()


class InstallationJobFilterSet(django_filters.FilterSet):
    node = django_filters.MultipleChoiceFilter(choices=InstallationNode.choices, label=_("node"))
    partner = django_filters.ModelChoiceFilter(queryset=user_partners, to_field_name="code", label=_("partner"))
    store = django_filters.ModelChoiceFilter(queryset=user_stores, to_field_name="code", label=_("store"))
    order_number = django_filters.CharFilter(label=_("order number"))
    overdue = YesNoFilter(method="filter_overdue", label=_("overdue"))
    updated_since = BoundedIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte",
                                                     label=_("updated since"))

    class Meta:
        model = InstallationJob
        fields = ["node", "partner", "store", "order_number", "overdue", "updated_since"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = InstallationJob.objects.overdue(timezone.now()).values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)
