"""Scores scope rules, registered from ScoresConfig.ready().

Snapshots, official figures, store badges and their history, and embed settings belong to their
store: org-wide roles see every store, the integration role the stores the store rule gives it,
everyone else the stores of the teams in their scope. Metric rules, dimension weights and badge
definitions are configuration.
"""

from portal.permissions import by_store, scope_rule, unscoped


def register_rules():
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

    unscoped(MetricRule, reason="The metric thresholds and weights are configuration every score reader works by.")
    unscoped(DimensionWeight, reason="The dimension weights are configuration every score reader works by.")
    unscoped(Badge, reason="Badge definitions are public labels (shown on storefronts), not store data.")
    for model in (MetricSnapshot, ScoreSnapshot, OfficialScore, StoreBadge, EmbedSettings):
        scope_rule(model)(by_store())
    scope_rule(BadgeChange)(by_store("store_badge__"))
