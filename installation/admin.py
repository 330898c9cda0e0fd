"""Admin for installation tracking: products and partners are configuration; jobs are read here and
worked through the pages and the API (every node move goes through the state machine)."""

from django.contrib import admin

from installation.models import (
    InstallationAlert,
    InstallationEvent,
    InstallationJob,
    InstallationPartner,
    InstallationTicketLink,
    Product,
)
from portal.admin import RestrictedAdmin, RestrictedTabularInline


@admin.register(Product)
class ProductAdmin(RestrictedAdmin):
    list_display = ["sku", "name", "store", "product_line", "needs_installation", "booking_sla_hours",
                    "completion_sla_hours"]
    list_filter = ["needs_installation", "product_line", "store"]
    search_fields = ["sku", "name"]


@admin.register(InstallationPartner)
class InstallationPartnerAdmin(RestrictedAdmin):
    list_display = ["code", "name", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    filter_horizontal = ["stores", "users"]
    search_fields = ["code", "name"]


class InstallationEventInline(RestrictedTabularInline):
    model = InstallationEvent
    extra = 0
    can_delete = False
    fields = ["at", "from_node", "node", "source", "actor", "partner", "technician_name", "note", "reason", "photos"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class InstallationTicketLinkInline(RestrictedTabularInline):
    model = InstallationTicketLink
    extra = 0
    can_delete = False
    fields = ["ticket_id", "linked_at", "linked_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(InstallationJob)
class InstallationJobAdmin(RestrictedAdmin):
    list_display = ["id", "store", "order_number", "product", "partner", "node", "requested_at", "completed_at"]
    list_filter = ["node", "partner", "store"]
    search_fields = ["order_number", "technician_name"]
    list_select_related = ["store", "product", "partner"]
    readonly_fields = [f.name for f in InstallationJob._meta.fields if f.editable]
    inlines = [InstallationEventInline, InstallationTicketLinkInline]

    def has_add_permission(self, request):
        return False


@admin.register(InstallationAlert)
class InstallationAlertAdmin(RestrictedAdmin):
    list_display = ["opened_at", "kind", "job", "status", "trigger_at", "closed_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["job", "job__product"]
    readonly_fields = [f.name for f in InstallationAlert._meta.fields if f.editable]

    def has_add_permission(self, request):
        return False
