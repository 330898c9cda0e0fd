"""Admin on the same `restrict` as UI and API: a ModelAdmin shows and edits only in-scope rows."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.models import Membership, Notification, Profile, Store, Team
from portal.permissions import restrict


class RestrictedAdmin(admin.ModelAdmin):
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


class ReadOnlyAdmin(RestrictedAdmin):
    """Records only the system writes (history, audit): viewable in scope, never added, changed or
    deleted in admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
