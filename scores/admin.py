"""Scores admin: thresholds, weights and badge definitions (administrators); snapshots, official
figures, badge states and their history read-only; embed settings per store. All through `restrict`."""

from django.contrib import admin

from portal.admin import ReadOnlyAdmin, RestrictedAdmin
from scores.models import (
    Badge,
    BadgeChange,
    DimensionWeight,
    EmbedSettings,
    MetricRule,
    MetricSnapshot,
    OfficialScore,
    ScoreSnapshot,
    StoreBadge,
)


@admin.register(MetricRule)
class MetricRuleAdmin(RestrictedAdmin):
    list_display = ["metric", "weight", "minimum_sample", "points", "active"]
    list_editable = ["weight", "minimum_sample", "active"]


@admin.register(DimensionWeight)
class DimensionWeightAdmin(RestrictedAdmin):
    list_display = ["dimension", "weight"]


@admin.register(Badge)
class BadgeAdmin(RestrictedAdmin):
    list_display = ["code", "name_zh", "name_en", "kind", "metric", "comparator", "threshold", "window_days",
                    "minimum_sample", "at_risk_margin", "grace_days", "policy_return_days", "show_figure", "active"]
    list_filter = ["kind", "active"]


@admin.register(MetricSnapshot)
class MetricSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["date", "store", "metric", "value", "sample", "score", "window_days"]
    list_per_page = 1000  # narrow rows: a store's metrics over weeks on one page
    list_filter = ["metric", "store"]
    list_select_related = ["store"]
    date_hierarchy = "date"


@admin.register(ScoreSnapshot)
class ScoreSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["date", "store", "overall", "logistics", "installation", "service", "window_days"]
    list_filter = ["store"]
    list_select_related = ["store"]
    date_hierarchy = "date"


@admin.register(OfficialScore)
class OfficialScoreAdmin(ReadOnlyAdmin):
    """Recorded through the API, the CSV import or the form (scores pages), which keep them idempotent."""

    list_display = ["date", "store", "experience_overall", "experience_goods", "experience_logistics",
                    "experience_service", "dsr_description", "dsr_service", "dsr_logistics", "source", "recorded_at"]
    list_filter = ["store", "source"]
    list_select_related = ["store"]
    date_hierarchy = "date"




@admin.register(StoreBadge)
class StoreBadgeAdmin(ReadOnlyAdmin):
    list_display = ["store", "badge", "state", "since", "below_since", "figure", "sample", "evaluated_on"]
    list_filter = ["state", "badge", "store"]
    list_select_related = ["store", "badge"]


@admin.register(BadgeChange)
class BadgeChangeAdmin(ReadOnlyAdmin):
    list_display = ["date", "store_badge", "from_state", "to_state", "figure", "sample", "threshold"]
    list_filter = ["to_state"]
    list_select_related = ["store_badge__store", "store_badge__badge"]


@admin.register(EmbedSettings)
class EmbedSettingsAdmin(RestrictedAdmin):
    list_display = ["store", "frame_origins"]
    list_select_related = ["store"]
