"""Admin of the cabin, on the same `restrict` as UI and API. Rubrics are versioned by the services:
a rubric that graded attempts is read-only here (change it on the API, which makes a new version);
attempts, grades, statements and certifications are records the services write."""

from django.contrib import admin

from portal.admin import ReadOnlyAdmin, RestrictedAdmin, RestrictedTabularInline
from training.models import (
    Assignment,
    Attempt,
    Certification,
    CertificationRequirement,
    Grade,
    OfflineCourse,
    QueueGate,
    Rubric,
    RubricCategory,
    Scenario,
    Statement,
)


class RubricCategoryInline(RestrictedTabularInline):
    model = RubricCategory
    extra = 0
    fields = ["position", "name", "scale", "weight", "critical", "hints"]

    def _graded(self, obj):
        return obj is not None and obj.attempts.filter(status=Attempt.Status.GRADED).exists()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._graded(obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not self._graded(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._graded(obj)


@admin.register(Rubric)
class RubricAdmin(RestrictedAdmin):
    list_display = ["name", "version", "is_current", "created_at"]
    list_filter = ["is_current"]
    readonly_fields = ["version", "is_current", "created_at", "created_by"]
    inlines = [RubricCategoryInline]

    def save_model(self, request, obj, form, change):
        from django.utils import timezone

        if not change:
            obj.created_at = timezone.now()
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Scenario)
class ScenarioAdmin(RestrictedAdmin):
    list_display = ["title", "product_line", "difficulty", "channel", "status", "updated_at"]
    list_filter = ["status", "difficulty", "channel", "product_line"]
    search_fields = ["title"]
    readonly_fields = ["source_ticket_id", "created_by", "created_at", "updated_at"]


@admin.register(Assignment)
class AssignmentAdmin(RestrictedAdmin):
    list_display = ["scenario", "agent", "due_at", "status", "assigned_by"]
    list_filter = ["status"]
    list_select_related = ["scenario", "agent", "assigned_by"]
    readonly_fields = ["scenario", "agent", "team", "assigned_by", "assigned_at", "completed_at", "status"]

    def has_add_permission(self, request):
        return False


class GradeInline(RestrictedTabularInline):
    model = Grade
    extra = 0
    can_delete = False
    fields = ["category", "selected", "comment"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ["id", "scenario", "agent", "status", "score", "passed", "started_at"]
    list_filter = ["status", "passed"]
    list_select_related = ["scenario", "agent"]
    inlines = [GradeInline]


@admin.register(Grade)
class GradeAdmin(ReadOnlyAdmin):
    list_display = ["attempt", "category", "selected"]
    list_select_related = ["attempt__scenario", "category"]


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ["timestamp", "attempt", "verb", "score"]
    list_filter = ["verb"]
    list_select_related = ["attempt__scenario"]


@admin.register(CertificationRequirement)
class CertificationRequirementAdmin(RestrictedAdmin):
    list_display = ["code", "name_zh", "name_en", "passes_needed", "min_score", "validity_days", "is_active"]
    filter_horizontal = ["scenarios"]


@admin.register(Certification)
class CertificationAdmin(ReadOnlyAdmin):
    list_display = ["requirement", "agent", "granted_at", "expires_at"]
    list_select_related = ["requirement", "agent"]


@admin.register(QueueGate)
class QueueGateAdmin(RestrictedAdmin):
    list_display = ["queue", "requirement"]
    list_select_related = ["queue", "requirement"]


@admin.register(OfflineCourse)
class OfflineCourseAdmin(RestrictedAdmin):
    list_display = ["date", "course", "agent", "hours", "trainer", "result"]
    list_select_related = ["agent"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def save_model(self, request, obj, form, change):
        from django.utils import timezone

        obj.recorded_by = request.user
        obj.recorded_at = timezone.now()
        super().save_model(request, obj, form, change)
