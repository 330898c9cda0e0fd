"""Admin on the same `restrict` as UI and API: a ModelAdmin shows and edits only in-scope rows, and
shows a customer's personal data masked (`portal.pii`), with "show" where the PII rule allows."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal import pii
from portal.models import Membership, Notification, PiiAccess, Profile, Store, Team
from portal.permissions import restrict


class RestrictedAdmin(admin.ModelAdmin):
    class Media:
        js = ["portal/pii.js"]  # the "show" buttons of masked personal data

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, "view")

    def _in_scope(self, request, obj, action):
        if obj is None:
            return True
        return restrict(self.model._default_manager.filter(pk=obj.pk), request.user, action).exists()

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._in_scope(request, obj, "view")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._in_scope(request, obj, "change")

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj, "delete")

    # --- Personal data: every PII field of the model (portal.pii) is shown masked and read-only,
    # in the list and in the change form, with a "show" button (audited) where the rule allows.
    # PII is never edited in admin: it comes from the marketplace, the carriers or the pages.

    def pii_column(self, request, name):
        """The masked display of PII field `name`, for list_display and readonly_fields. One
        function per request and field: admin matches read-only fields by identity."""
        columns = request.__dict__.setdefault("_pii_admin_columns", {})
        key = (self.model, name)
        if key not in columns:
            empty = self.get_empty_value_display()

            def column(obj):
                return pii.html(request.user, obj, name, empty=empty)

            column.__name__ = name
            column.short_description = self.model._meta.get_field(name).verbose_name
            columns[key] = column
        return columns[key]

    def _pii_mapped(self, request, names):
        fields = pii.pii_fields(self.model)
        return [self.pii_column(request, n) if isinstance(n, str) and n in fields else n for n in names]

    def get_list_display(self, request):
        return self._pii_mapped(request, super().get_list_display(request))

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or [])
        return excluded + [name for name in pii.pii_fields(self.model) if name not in excluded]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        fields = pii.pii_fields(self.model)
        if not fields:
            return readonly
        return self._pii_mapped(request, readonly) + [
            self.pii_column(request, name) for name in fields if name not in readonly]

    def get_fieldsets(self, request, obj=None):
        if not pii.pii_fields(self.model):
            return super().get_fieldsets(request, obj)
        return [
            (title, {**options, "fields": [
                tuple(self._pii_mapped(request, line)) if isinstance(line, (list, tuple))
                else self._pii_mapped(request, [line])[0]
                for line in options.get("fields", ())
            ]})
            for title, options in super().get_fieldsets(request, obj)
        ]


class ReadOnlyAdmin(RestrictedAdmin):
    """Records only the system writes (history, audit): viewable in scope, never added, changed or
    deleted in admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PiiAccess)
class PiiAccessAdmin(ReadOnlyAdmin):
    """The audit of personal-data reveals: who saw which field of which object, when, from where
    (administrators only: the scope rule and the role matrix)."""

    list_display = ["at", "user", "content_type", "object_id", "field", "store", "channel", "source"]
    list_filter = [("user", admin.RelatedOnlyFieldListFilter), ("content_type", admin.RelatedOnlyFieldListFilter),
                   "at", "channel"]
    search_fields = ["user__username", "source"]
    list_select_related = ["user", "content_type", "store"]
    date_hierarchy = "at"


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Store)
class StoreAdmin(RestrictedAdmin):
    list_display = ["code", "name", "marketplace", "brand"]
    list_filter = ["marketplace"]
    search_fields = ["code", "name", "brand"]


@admin.register(Team)
class TeamAdmin(RestrictedAdmin):
    list_display = ["name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name"]
    filter_horizontal = ["stores"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(RestrictedAdmin):
    list_display = ["user", "team", "role", "is_available"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "team__name"]
    list_select_related = ["user", "team"]


@admin.register(Notification)
class NotificationAdmin(RestrictedAdmin):
    list_display = ["created_at", "recipient", "channel", "subject", "status", "attempts", "last_error"]
    list_filter = ["status", "channel"]
    search_fields = ["subject", "recipient__username", "source"]
    list_select_related = ["recipient"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Retry the selected failed or unknown notifications"))
    def retry_now(self, request, queryset):
        count = queryset.filter(status__in=[Notification.Status.FAILED, Notification.Status.UNKNOWN]).update(
            status=Notification.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
        )
        self.message_user(
            request, ngettext("%d notification queued again.", "%d notifications queued again.", count) % count
        )


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    inlines = [ProfileInline, MembershipInline]
