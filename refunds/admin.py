"""Admin for the refund desk: reason codes, return policies, the responsibility rulebook and each
store's desk settings are configuration edited here; requests are read here (with their timeline,
decisions and evidence) and worked through the desk pages and the API, whose services keep the
ticket, the outbound feed and the timeline in step."""

from django.contrib import admin

from portal.admin import RestrictedAdmin, RestrictedTabularInline
from refunds.models import (
    EvidenceFile,
    ReasonCode,
    RefundDecision,
    RefundDeskSettings,
    RefundEvent,
    RefundRequest,
    ResponsibilityRule,
    ReturnPolicy,
)


@admin.register(ReasonCode)
class ReasonCodeAdmin(RestrictedAdmin):
    list_display = ["code", "name_zh", "name_en", "category", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(RefundDeskSettings)
class RefundDeskSettingsAdmin(RestrictedAdmin):
    list_display = ["store", "refund_only_hours", "return_hours", "refund_after_receipt_hours", "specialist_limit",
                    "queue"]
    list_select_related = ["store", "queue"]


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(RestrictedAdmin):
    list_display = ["code", "name_zh", "store", "product_line", "window_days", "active_from", "active_to",
                    "return_shipping_paid_by", "backs_badge", "is_active"]
    list_filter = ["store", "product_line", "backs_badge", "is_active"]
    list_select_related = ["store", "product_line"]
    filter_horizontal = ["excluded_product_lines"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(ResponsibilityRule)
class ResponsibilityRuleAdmin(RestrictedAdmin):
    list_display = ["code", "scenario_zh", "product_line", "responsible_party", "outcome", "depreciation_percent",
                    "fixed_fee", "is_active"]
    list_filter = ["product_line", "responsible_party", "outcome", "is_active"]
    list_select_related = ["product_line"]
    filter_horizontal = ["reasons"]
    search_fields = ["code", "scenario_zh", "scenario_en"]


class _ReadOnlyInline(RestrictedTabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class RefundEventInline(_ReadOnlyInline):
    model = RefundEvent
    fields = ["at", "kind", "actor", "note"]
    readonly_fields = fields


class RefundDecisionInline(_ReadOnlyInline):
    model = RefundDecision
    fields = ["decided_at", "decision", "amount", "rule", "calculation", "status", "decided_by", "approved_by"]
    readonly_fields = fields


class EvidenceFileInline(_ReadOnlyInline):
    model = EvidenceFile
    fields = ["uploaded_at", "kind", "original_name", "content_type", "size", "uploaded_by"]
    readonly_fields = fields


@admin.register(RefundRequest)
class RefundRequestAdmin(RestrictedAdmin):
    list_display = ["id", "store", "platform_request_id", "order_no", "kind", "amount", "reason", "status",
                    "respond_by", "decision", "refund_amount"]
    list_filter = ["status", "kind", "reason", "store"]
    search_fields = ["platform_request_id", "order_no"]
    list_select_related = ["store", "reason"]
    readonly_fields = [f.name for f in RefundRequest._meta.fields if f.editable]
    inlines = [RefundDecisionInline, EvidenceFileInline, RefundEventInline]

    def has_add_permission(self, request):
        return False
