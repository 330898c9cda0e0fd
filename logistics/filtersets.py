"""One FilterSet per list: the UI's filter form and the API's query parameters."""

from datetime import timedelta

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from logistics.models import (
    FINISHED_STATUSES,
    Alert,
    AlertKind,
    Carrier,
    Shipment,
    ShipmentStatus,
    TrackingImport,
)
from portal.filtersets import BoundedNumberFilter, YesNoFilter
from portal.models import Store
from portal.permissions import restrict


def user_stores(request):
    if request is None:
        return Store.objects.none()
    return restrict(Store.objects.all(), request.user, "view")


class ShipmentFilterSet(django_filters.FilterSet):
    waybill = django_filters.CharFilter(field_name="waybill_number", label=_("waybill"))
    order_number = django_filters.CharFilter(label=_("order number"))
    carrier = django_filters.ModelChoiceFilter(queryset=Carrier.objects.all(), to_field_name="code",
                                               label=_("carrier"))
    store = django_filters.ModelChoiceFilter(queryset=user_stores, to_field_name="code", label=_("store"))
    status = django_filters.MultipleChoiceFilter(choices=ShipmentStatus.choices, label=_("status"))
    alert_kind = django_filters.ChoiceFilter(choices=AlertKind.choices, method="with_open_alert",
                                             label=_("open alert"))
    stuck_hours = BoundedNumberFilter(method="stuck_for", max_value=24 * 366 * 10,
                                              label=_("stuck for more than (hours)"))

    class Meta:
        model = Shipment
        fields = ["waybill", "order_number", "carrier", "store", "status", "alert_kind", "stuck_hours"]

    def with_open_alert(self, queryset, name, value):
        return queryset.filter(Exists(Alert.objects.filter(shipment=OuterRef("pk"), kind=value,
                                                           status=Alert.Status.OPEN)))

    def stuck_for(self, queryset, name, value):
        """Not delivered or returning, and nothing new for more than `value` hours."""
        cutoff = timezone.now() - timedelta(hours=float(value))
        return queryset.exclude(status__in=FINISHED_STATUSES).filter(
            Q(last_event_at__lt=cutoff) | Q(last_event_at__isnull=True, created_at__lt=cutoff)
        )


class AlertFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices, label=_("kind"))
    status = django_filters.ChoiceFilter(choices=Alert.Status.choices, label=_("status"))
    waybill = django_filters.CharFilter(field_name="shipment__waybill_number", label=_("waybill"))
    carrier = django_filters.ModelChoiceFilter(field_name="shipment__carrier", queryset=Carrier.objects.all(),
                                               to_field_name="code", label=_("carrier"))
    store = django_filters.ModelChoiceFilter(field_name="shipment__store", queryset=user_stores,
                                             to_field_name="code", label=_("store"))
    acknowledged = YesNoFilter(field_name="acknowledged_at", lookup_expr="isnull", exclude=True,
                                                label=_("acknowledged"))

    class Meta:
        model = Alert
        fields = ["kind", "status", "waybill", "carrier", "store", "acknowledged"]


class TrackingImportFilterSet(django_filters.FilterSet):
    carrier = django_filters.ModelChoiceFilter(queryset=Carrier.objects.all(), to_field_name="code",
                                               label=_("carrier"))
    status = django_filters.ChoiceFilter(choices=TrackingImport.Status.choices, label=_("status"))

    class Meta:
        model = TrackingImport
        fields = ["carrier", "status"]
