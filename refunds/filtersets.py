"""The refund request FilterSet: the desk pages' filter form and the API's query parameters."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from logistics.filtersets import user_stores
from portal.filtersets import BoundedIsoDateTimeFilter
from refunds.models import ReasonCode, RefundRequest


class RefundRequestFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("order or request id"))
    # distinct=False: plain columns of the request, no join that could repeat a row.
    status = django_filters.MultipleChoiceFilter(choices=RefundRequest.Status.choices, label=_("status"),
                                                 distinct=False)
    kind = django_filters.MultipleChoiceFilter(choices=RefundRequest.Kind.choices, label=_("kind"), distinct=False)
    store = django_filters.ModelChoiceFilter(queryset=user_stores, to_field_name="code", label=_("store"))
    reason = django_filters.ModelChoiceFilter(queryset=ReasonCode.objects.all(), to_field_name="code",
                                              label=_("reason"))
    order_no = django_filters.CharFilter(label=_("order number"))
    # Bounded: a year-1 time with a +14:00 offset cannot even be converted to UTC for the query.
    updated_since = BoundedIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte", label=_("updated since"))

    class Meta:
        model = RefundRequest
        fields = ["q", "status", "kind", "store", "reason", "order_no", "updated_since"]

    def filter_q(self, queryset, name, value):
        value = (value or "").strip()[:64]
        if not value:
            return queryset
        return queryset.filter(Q(order_no=value) | Q(platform_request_id=value))
