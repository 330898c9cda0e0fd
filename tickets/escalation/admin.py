"""Admin for escalation ladders: a policy with its levels inline (saving publishes a new version
when the levels changed), published versions and escalations read-only."""

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.admin import ReadOnlyAdmin, RestrictedAdmin, RestrictedStackedInline, RestrictedTabularInline
from portal.models import Notification
from tickets.escalation.ladders import publish_policy
from tickets.models import (
    Category,
    Escalation,
    EscalationLadder,
    EscalationLevel,
    EscalationPolicy,
    EscalationSweep,
    LadderLevel,
    RecipientRole,
)


class EscalationLevelForm(forms.ModelForm):
    """The JSON list fields as checkboxes."""

    categories = forms.TypedMultipleChoiceField(
        label=_("categories"), choices=Category.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every category."),
    )
    recipient_roles = forms.TypedMultipleChoiceField(
        label=_("recipients (roles)"), choices=RecipientRole.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channels = forms.TypedMultipleChoiceField(
        label=_("channels"), choices=Notification.Channel.choices, widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = EscalationLevel
        fields = ["position", "name", *EscalationLevel.COPY_FIELDS[2:10], "raise_priority_to", "mark_major",
                  "reassign_queue", "reassign_user", "business_hours_only", "ack_window_minutes", "users"]


class EscalationLevelInline(RestrictedStackedInline):
    model = EscalationLevel
    form = EscalationLevelForm
    extra = 0
    autocomplete_fields = ["users", "reassign_user"]
    fieldsets = [
        (None, {"fields": [("position", "name")]}),
        (_("Trigger"), {"fields": [("clock", "offset_minutes", "target_percent"), "business_hours_only"]}),
        (_("Condition"), {"fields": [("min_priority", "major_only"), "categories"]}),
        (_("Recipients"), {"fields": ["recipient_roles", "users", "channels"]}),
        (_("Actions"), {"fields": [("raise_priority_to", "mark_major"), ("reassign_queue", "reassign_user")]}),
        (_("Acknowledgement"), {"fields": ["ack_window_minutes"]}),
    ]


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(RestrictedAdmin):
    list_display = ["name", "queue", "sla_policy", "is_active", "current_version", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    list_select_related = ["queue", "sla_policy"]
    readonly_fields = ["updated_at"]
    inlines = [EscalationLevelInline]

    @admin.display(description=_("published version"))
    def current_version(self, obj):
        latest = obj.versions.order_by("-version").first()
        return latest.version if latest else "—"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Copy-on-write: tickets in flight keep their version; new cycles get the new one.
        publish_policy(form.instance, actor=request.user, now=timezone.now())


class LadderLevelInline(RestrictedTabularInline):
    model = LadderLevel
    extra = 0
    fields = ["position", "name", "clock", "offset_minutes", "target_percent", "min_priority", "major_only",
              "categories", "recipient_roles", "channels", "business_hours_only", "ack_window_minutes"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(EscalationLadder)
class EscalationLadderAdmin(ReadOnlyAdmin):
    """Published versions: immutable."""

    list_display = ["policy", "version", "published_at", "published_by"]
    list_filter = ["policy"]
    list_select_related = ["policy", "published_by"]
    readonly_fields = ["policy", "version", "published_at", "published_by"]
    inlines = [LadderLevelInline]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["fired_at", "ticket", "level", "cycle", "queue", "assignee", "acknowledged_by", "hold_until"]
    list_filter = ["level__ladder__policy", "level__position"]
    search_fields = ["ticket__id", "ticket__subject"]
    list_select_related = ["ticket", "level", "queue", "assignee", "acknowledged_by"]
    readonly_fields = [f.name for f in Escalation._meta.fields]


@admin.register(EscalationSweep)
class EscalationSweepAdmin(ReadOnlyAdmin):
    """Sweeps that fired something: when, how many escalations, how many notifications."""

    list_display = ["swept_at", "uuid", "fired", "notifications"]
    readonly_fields = ["uuid", "swept_at", "fired", "notifications"]
