"""Admin: carrier configuration (status map, column mapping, outlet directory) and read access to the rest."""

from django.contrib import admin

from logistics.models import (
    Alert,
    AlertEntry,
    Carrier,
    CarrierOutlet,
    Compensation,
    ReportColumns,
    Shipment,
    StatusMapping,
    TrackingEvent,
    TrackingImport,
)
from portal.admin import RestrictedAdmin, RestrictedStackedInline, RestrictedTabularInline


class StatusMappingInline(RestrictedTabularInline):
    model = StatusMapping
    extra = 1
    fields = ["position", "code", "keyword", "status", "is_anomaly", "is_last_mile"]


class ReportColumnsInline(RestrictedStackedInline):
    model = ReportColumns
    can_delete = False


class CarrierOutletInline(RestrictedTabularInline):
    model = CarrierOutlet
    extra = 1


@admin.register(Carrier)
class CarrierAdmin(RestrictedAdmin):
    list_display = ["code", "name", "stall_hours", "last_mile_hours", "pickup_hours", "waybill_reuse_days"]
    search_fields = ["code", "name"]
    inlines = [StatusMappingInline, ReportColumnsInline, CarrierOutletInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "time_zone", "waybill_reuse_days"]}),
        ("Alert rules", {"fields": [
            ("detect_stalled", "stall_hours"), "detect_transit_anomaly", ("detect_last_mile_delay", "last_mile_hours"),
            ("detect_pickup_overdue", "pickup_hours"),
        ]}),
    ]


class TrackingEventInline(RestrictedTabularInline):
    model = TrackingEvent
    extra = 0
    can_delete = False
    fields = ["occurred_at", "code", "description", "outlet", "city", "status", "is_anomaly"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Shipment)
class ShipmentAdmin(RestrictedAdmin):
    # consignee_name: masked by RestrictedAdmin (portal.pii), like every PII field in admin.
    list_display = ["waybill_number", "carrier", "store", "order_number", "consignee_name", "status", "last_event_at",
                    "delivered_at"]
    list_filter = ["status", "carrier", "store"]
    search_fields = ["waybill_number", "order_number"]
    list_select_related = ["carrier", "store"]
    readonly_fields = ["status", "last_event_at", "last_description", "last_outlet", "picked_up_at", "last_mile_at",
                       "anomaly_at", "delivered_at", "created_at"]
    inlines = [TrackingEventInline]


@admin.register(TrackingImport)
class TrackingImportAdmin(RestrictedAdmin):
    list_display = ["created_at", "original_name", "carrier", "store", "status", "rows_read", "events_added",
                    "duplicates", "rejected_count"]
    list_filter = ["status", "carrier"]
    readonly_fields = [f.name for f in TrackingImport._meta.fields]

    def has_add_permission(self, request):
        return False


class AlertEntryInline(RestrictedTabularInline):
    model = AlertEntry
    extra = 0
    can_delete = False
    fields = ["at", "kind", "actor", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class CompensationInline(RestrictedTabularInline):
    model = Compensation
    extra = 0
    can_delete = False
    fields = ["kind", "amount", "status", "offered_by", "offered_at", "decided_by", "decided_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(RestrictedAdmin):
    list_display = ["opened_at", "kind", "shipment", "status", "acknowledged_at", "resolved_at", "closed_at"]
    list_filter = ["status", "kind"]
    search_fields = ["shipment__waybill_number", "shipment__order_number"]
    list_select_related = ["shipment", "shipment__carrier"]
    readonly_fields = [f.name for f in Alert._meta.fields if f.editable]
    inlines = [AlertEntryInline, CompensationInline]

    def has_add_permission(self, request):
        return False
