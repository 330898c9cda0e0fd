"""Admin on the same `restrict` as UI and API: a ModelAdmin shows and edits only in-scope rows.

- changelists, change forms and inlines list only the rows `restrict(user, "view")` leaves;
- every foreign-key and many-to-many choice list offers only the related rows the user may view
  (stores, queues, teams in their scope), so an out-of-scope choice is "not a valid choice";
- after a save, inside the admin's transaction, the saved object (and each saved inline row)
  must still be one the user may change (NetBox's post-save check); otherwise the save is
  rolled back and the answer is 403.

Personal data is shown masked (`portal.pii`), with "show" where the PII rule allows.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal import pii
from portal.integrations import Kind
from portal.models import (
    ApiToken,
    IntegrationClient,
    Membership,
    Notification,
    OutboundMessage,
    PiiAccess,
    ProductLine,
    Profile,
    Store,
    Team,
)
from portal.permissions import restrict, scope_registry


def restrict_choices(formfield, request):
    """Narrow a model choice field to the related rows the user may view (models with a scope rule)."""
    queryset = getattr(formfield, "queryset", None)
    if queryset is not None and queryset.model in scope_registry():
        formfield.queryset = restrict(queryset, request.user, "view")
    return formfield


def keep_current_choices(form_class, obj):
    """Keep the related rows `obj` points at today in its form's restricted choice lists.

    A current value outside the user's scope is then shown and kept as it is (not silently cleared
    by a save), while every other out-of-scope row stays unavailable."""
    for name, formfield in form_class.base_fields.items():
        queryset = getattr(formfield, "queryset", None)
        if queryset is None:
            continue
        try:
            field = obj._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.many_to_many:
            current = set(getattr(obj, name).values_list("pk", flat=True))
        elif field.many_to_one or field.one_to_one:
            current = {getattr(obj, field.attname)} - {None}
        else:
            continue
        missing = current - set(queryset.filter(pk__in=current).values_list("pk", flat=True))
        if missing:
            formfield.queryset = queryset | queryset.model._default_manager.filter(pk__in=missing)


def refuse_unless_in_scope(request, obj, action):
    """The post-save check: raises PermissionDenied (the admin's transaction rolls back) when
    `obj` as saved is outside what `request.user` may `action`."""
    if not restrict(type(obj)._default_manager.filter(pk=obj.pk), request.user, action).exists():
        # Logged, not shown: the 403 page says the role does not allow it (as the API's re-check).
        raise PermissionDenied("The result would be outside your scope.")


class RestrictedChoicesMixin:
    """Foreign-key and many-to-many choices through `restrict(user, "view")`."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return restrict_choices(super().formfield_for_foreignkey(db_field, request, **kwargs), request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        return restrict_choices(formfield, request) if formfield is not None else None


class RestrictedInlineMixin(RestrictedChoicesMixin):
    """An inline of a RestrictedAdmin: its rows and its choices through `restrict`."""

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, "view")


class RestrictedTabularInline(RestrictedInlineMixin, admin.TabularInline):
    pass


class RestrictedStackedInline(RestrictedInlineMixin, admin.StackedInline):
    pass


class RestrictedAdmin(RestrictedChoicesMixin, admin.ModelAdmin):
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

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            keep_current_choices(form_class, obj)
        return form_class

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._in_scope(request, obj, "change")

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj, "delete")

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model in scope_registry():
            for obj in formset.new_objects:
                refuse_unless_in_scope(request, obj, "add")
            for obj, _fields in formset.changed_objects:
                refuse_unless_in_scope(request, obj, "change")

    def save_related(self, request, form, formsets, change):
        # Runs after save_model and the many-to-many and inline saves, still inside the admin's
        # transaction (change form and changelist alike): the object as finally saved is checked.
        super().save_related(request, form, formsets, change)
        refuse_unless_in_scope(request, form.instance, "change" if change else "add")

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


@admin.register(ApiToken)
class ApiTokenAdmin(RestrictedAdmin):
    """Clients' API tokens (administrators only). Keys are never shown (only their hash is
    stored); `manage.py create_api_token` makes them. Revoke here or with `revoke_api_token`."""

    list_display = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "expires_at"]
    search_fields = ["user__username", "name", "prefix"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    actions = ["revoke_tokens"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected API tokens"), permissions=["change"])
    def revoke_tokens(self, request, queryset):
        from portal.tokens import revoke

        count = revoke(queryset, now=timezone.now())
        self.message_user(request, ngettext("%d token revoked.", "%d tokens revoked.", count) % count)


class MembershipInline(RestrictedTabularInline):
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


class IntegrationClientForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(label=_("kinds"), choices=Kind.choices, widget=forms.CheckboxSelectMultiple,
                                      help_text=_("What this client sends: each kind opens its endpoints."))

    class Meta:
        model = IntegrationClient
        fields = ["user", "name", "kinds", "stores"]


@admin.register(IntegrationClient)
class IntegrationClientAdmin(RestrictedAdmin):
    """Which write endpoints an integration's tokens reach (its kinds) and for which stores."""

    form = IntegrationClientForm
    list_display = ["name", "user", "kinds"]
    search_fields = ["name", "user__username"]
    filter_horizontal = ["stores"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]


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


@admin.register(ProductLine)
class ProductLineAdmin(RestrictedAdmin):
    list_display = ("code", "name_zh", "name_en")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "topic", "store", "source", "status", "attempts", "created_at", "sent_at")
    list_filter = ("topic", "status", "store")
    search_fields = ("source",)


class ProfileInline(RestrictedStackedInline):
    model = Profile
    can_delete = False


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    inlines = [ProfileInline, MembershipInline]
