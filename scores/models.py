"""Experience score and service badges (definitions: docs/scores.md).

Configuration (admin): the metric rules (weight, minimum sample, piecewise-linear thresholds), the
dimension weights and the badge definitions. Daily facts: one `MetricSnapshot` per store, day and
metric, one `ScoreSnapshot` per store and day (dimension and overall scores), the platform's own
figures (`OfficialScore`), each store's badge states (`StoreBadge`) with their history
(`BadgeChange`), and the storefront origins allowed to frame the badge iframe (`EmbedSettings`).
"""

import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import in_language


class Dimension(models.TextChoices):
    LOGISTICS = "logistics", _("Logistics")
    INSTALLATION = "installation", _("Installation")
    SERVICE = "service", _("Customer service")


class Metric(models.TextChoices):
    PICKUP_48H_RATE = "pickup_48h_rate", _("48-hour pickup rate")
    DELIVERY_MEDIAN_HOURS = "delivery_median_hours", _("Median delivery hours")
    STALL_RATE = "stall_rate", _("Stall rate")
    ON_TIME_DELIVERY_RATE = "on_time_delivery_rate", _("On-time delivery rate")
    APPOINTMENT_KEPT_RATE = "appointment_kept_rate", _("Appointments kept")
    FIRST_VISIT_RATE = "first_visit_rate", _("First-visit success")
    INSTALLED_WITHIN_DAYS_RATE = "installed_within_days_rate", _("Installed within 3 days of delivery")
    RESPONSE_3MIN_RATE = "response_3min_rate", _("3-minute human response rate")
    RESOLUTION_24H_RATE = "resolution_24h_rate", _("24-hour resolution rate")
    FIRST_RESPONSE_MEDIAN_MINUTES = "first_response_median_minutes", _("Median first response (minutes)")
    SATISFACTION_RATE = "satisfaction_rate", _("Satisfaction rate")
    REFUND_HANDLING_HOURS = "refund_handling_hours", _("Refund handling hours")
    DISPUTE_RATE = "dispute_rate", _("Dispute rate")


METRIC_DIMENSION = {
    Metric.PICKUP_48H_RATE: Dimension.LOGISTICS,
    Metric.DELIVERY_MEDIAN_HOURS: Dimension.LOGISTICS,
    Metric.STALL_RATE: Dimension.LOGISTICS,
    Metric.ON_TIME_DELIVERY_RATE: Dimension.LOGISTICS,
    Metric.APPOINTMENT_KEPT_RATE: Dimension.INSTALLATION,
    Metric.FIRST_VISIT_RATE: Dimension.INSTALLATION,
    Metric.INSTALLED_WITHIN_DAYS_RATE: Dimension.INSTALLATION,
    Metric.RESPONSE_3MIN_RATE: Dimension.SERVICE,
    Metric.RESOLUTION_24H_RATE: Dimension.SERVICE,
    Metric.FIRST_RESPONSE_MEDIAN_MINUTES: Dimension.SERVICE,
    Metric.SATISFACTION_RATE: Dimension.SERVICE,
    Metric.REFUND_HANDLING_HOURS: Dimension.SERVICE,
    Metric.DISPUTE_RATE: Dimension.SERVICE,
}

# Rates are shares between 0 and 1; the others are durations.
RATE_METRICS = {m for m in Metric if m.value.endswith("_rate")}


def finite(number) -> bool:
    """A number a float can hold (not NaN, not infinite, not an integer of hundreds of digits)."""
    try:
        return math.isfinite(float(number))
    except OverflowError:
        return False


def validate_points(points):
    """Thresholds: a list of at least two [value, score] pairs, values strictly increasing, scores 0-5."""
    if not isinstance(points, list) or len(points) < 2:
        raise ValidationError(_("Give at least two [value, score] pairs."))
    previous = None
    for pair in points:
        if (not isinstance(pair, list | tuple) or len(pair) != 2
                or not all(isinstance(x, int | float) and not isinstance(x, bool) and finite(x) for x in pair)):
            raise ValidationError(_("Each threshold is a [value, score] pair of numbers."))
        if not 0 <= pair[1] <= 5:
            raise ValidationError(_("Scores are between 0 and 5."))
        if previous is not None and pair[0] <= previous:
            raise ValidationError(_("Threshold values must increase."))
        previous = pair[0]


class MetricRule(models.Model):
    """How one metric counts: its weight in its dimension, the minimum sample below which it is "not
    enough data" (left out, its weight re-spread), and the piecewise-linear map value -> 0-5 score."""

    metric = models.CharField(_("metric"), max_length=40, choices=Metric.choices, unique=True)
    weight = models.FloatField(_("weight in its dimension"), default=1.0)
    minimum_sample = models.PositiveIntegerField(_("minimum sample"), default=30)
    points = models.JSONField(_("thresholds [[value, score], ...]"), validators=[validate_points])
    active = models.BooleanField(_("counts in the score"), default=True)

    class Meta:
        ordering = ["metric"]
        verbose_name = _("metric rule")
        verbose_name_plural = _("metric rules")

    def __str__(self):
        return self.get_metric_display()

    @property
    def dimension(self):
        return METRIC_DIMENSION[self.metric]


class DimensionWeight(models.Model):
    """The weight of a dimension in the overall score."""

    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices, unique=True)
    weight = models.FloatField(_("weight"), default=1.0)

    class Meta:
        ordering = ["dimension"]
        verbose_name = _("dimension weight")
        verbose_name_plural = _("dimension weights")

    def __str__(self):
        return self.get_dimension_display()


class MetricSnapshot(models.Model):
    """One metric of one store over the window ending on `date` (inclusive)."""

    store = models.ForeignKey("portal.Store", on_delete=models.CASCADE, related_name="metric_snapshots",
                              verbose_name=_("store"))
    date = models.DateField(_("data date"))
    metric = models.CharField(_("metric"), max_length=40, choices=Metric.choices)
    window_days = models.PositiveSmallIntegerField(_("window (days)"))
    value = models.FloatField(_("value"), null=True, blank=True)
    sample = models.PositiveIntegerField(_("sample"), default=0)
    # None: below the minimum sample ("not enough data"), left out of the score.
    score = models.FloatField(_("score (0-5)"), null=True, blank=True)

    class Meta:
        ordering = ["-date", "store", "metric"]
        constraints = [models.UniqueConstraint(fields=["store", "date", "metric"], name="scores_metric_snapshot_unique")]
        verbose_name = _("metric snapshot")
        verbose_name_plural = _("metric snapshots")

    def __str__(self):
        return f"{self.store_id} {self.date} {self.metric}"


class ScoreSnapshot(models.Model):
    """A store's experience score on `date`: per dimension and overall (None: not enough data)."""

    store = models.ForeignKey("portal.Store", on_delete=models.CASCADE, related_name="score_snapshots",
                              verbose_name=_("store"))
    date = models.DateField(_("data date"))
    window_days = models.PositiveSmallIntegerField(_("window (days)"))
    overall = models.FloatField(_("experience score"), null=True, blank=True)
    logistics = models.FloatField(_("logistics"), null=True, blank=True)
    installation = models.FloatField(_("installation"), null=True, blank=True)
    service = models.FloatField(_("customer service"), null=True, blank=True)
    # The day's operational counts the trends read (not the window): tickets created and breached,
    # escalations per level, refund requests and decisions, logistics alerts opened.
    day_figures = models.JSONField(_("figures of the day"), default=dict, blank=True)

    class Meta:
        ordering = ["-date", "store"]
        constraints = [models.UniqueConstraint(fields=["store", "date"], name="scores_score_snapshot_unique")]
        verbose_name = _("score snapshot")
        verbose_name_plural = _("score snapshots")

    def __str__(self):
        return f"{self.store_id} {self.date} {self.overall}"


OFFICIAL_FIGURES = ["dsr_description", "dsr_service", "dsr_logistics", "experience_overall", "experience_goods",
                    "experience_logistics", "experience_service"]


class OfficialScore(models.Model):
    """The marketplace's own figures for a store and day (API, CSV import or form; a repeat replaces)."""

    class Source(models.TextChoices):
        API = "api", _("API")
        CSV = "csv", _("CSV import")
        FORM = "form", _("Form")

    store = models.ForeignKey("portal.Store", on_delete=models.CASCADE, related_name="official_scores",
                              verbose_name=_("store"))
    date = models.DateField(_("date"))
    dsr_description = models.FloatField(_("DSR description"), null=True, blank=True)
    dsr_service = models.FloatField(_("DSR service"), null=True, blank=True)
    dsr_logistics = models.FloatField(_("DSR logistics"), null=True, blank=True)
    experience_overall = models.FloatField(_("experience score"), null=True, blank=True)
    experience_goods = models.FloatField(_("experience: goods"), null=True, blank=True)
    experience_logistics = models.FloatField(_("experience: logistics"), null=True, blank=True)
    experience_service = models.FloatField(_("experience: service"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["-date", "store"]
        constraints = [models.UniqueConstraint(fields=["store", "date"], name="scores_official_unique")]
        verbose_name = _("official score")
        verbose_name_plural = _("official scores")

    def __str__(self):
        return f"{self.store_id} {self.date}"


class Comparator(models.TextChoices):
    AT_LEAST = "gte", _("at least")
    AT_MOST = "lte", _("at most")


BADGE_ICONS = [
    ("scores/icons/return.svg", _("Return")),
    ("scores/icons/dispatch.svg", _("Dispatch")),
    ("scores/icons/resolution.svg", _("Resolution")),
    ("scores/icons/installation.svg", _("Installation")),
    ("scores/icons/delivered.svg", _("Delivered and installed")),
]


class Badge(models.Model):
    """A service label a store may show. A policy badge is backed by a store policy (held exactly
    while the policy is active); an earned badge by a metric rule with a grace period."""

    class Kind(models.TextChoices):
        POLICY = "policy", _("Policy")
        EARNED = "earned", _("Earned")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    description_zh = models.CharField(_("description (Chinese)"), max_length=200, blank=True)
    description_en = models.CharField(_("description (English)"), max_length=200, blank=True)
    icon = models.CharField(_("icon"), max_length=100, choices=BADGE_ICONS)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    # Policy badges: the return window (days) the store's active return policy must offer.
    policy_return_days = models.PositiveSmallIntegerField(_("return window (days)"), null=True, blank=True)
    # Earned badges.
    metric = models.CharField(_("metric"), max_length=40, choices=Metric.choices, blank=True)
    comparator = models.CharField(_("comparator"), max_length=3, choices=Comparator.choices, default=Comparator.AT_LEAST)
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    window_days = models.PositiveSmallIntegerField(_("window (days)"), default=30)
    minimum_sample = models.PositiveIntegerField(_("minimum sample"), default=30)
    at_risk_margin = models.FloatField(_("at-risk margin"), default=0.0)
    grace_days = models.PositiveSmallIntegerField(_("grace days"), default=7)
    show_figure = models.BooleanField(_("show the figure publicly"), default=False)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("badge")
        verbose_name_plural = _("badges")

    def __str__(self):
        return self.name_in(None)

    def clean(self):
        if self.kind == self.Kind.POLICY and not self.policy_return_days:
            raise ValidationError({"policy_return_days": _("A policy badge needs the return window it stands for.")})
        if self.kind == self.Kind.EARNED and (not self.metric or self.threshold is None):
            raise ValidationError({"metric": _("An earned badge needs a metric and a threshold.")})

    def name_in(self, language: str | None) -> str:
        """The name in `language` (None: the active one), through the portal's one bilingual rule."""
        return in_language(self.name_zh, self.name_en, language)

    def description_in(self, language: str | None) -> str:
        return in_language(self.description_zh, self.description_en, language)


class BadgeState(models.TextChoices):
    EARNED = "earned", _("Earned")
    AT_RISK = "at_risk", _("At risk")
    LOST = "lost", _("Lost")
    NOT_ENOUGH_DATA = "no_data", _("Not enough data")


SHOWN_STATES = {BadgeState.EARNED, BadgeState.AT_RISK}


class StoreBadge(models.Model):
    """A badge's current state for one store (earned and at-risk badges are shown publicly)."""

    store = models.ForeignKey("portal.Store", on_delete=models.CASCADE, related_name="badges", verbose_name=_("store"))
    badge = models.ForeignKey(Badge, on_delete=models.CASCADE, related_name="store_badges", verbose_name=_("badge"))
    state = models.CharField(_("state"), max_length=10, choices=BadgeState.choices)
    since = models.DateField(_("held since"), null=True, blank=True)
    below_since = models.DateField(_("below the threshold since"), null=True, blank=True)
    figure = models.FloatField(_("figure"), null=True, blank=True)
    sample = models.PositiveIntegerField(_("sample"), default=0)
    evaluated_on = models.DateField(_("evaluated for"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["store", "badge__order"]
        constraints = [models.UniqueConstraint(fields=["store", "badge"], name="scores_store_badge_unique")]
        verbose_name = _("store badge")
        verbose_name_plural = _("store badges")

    def __str__(self):
        return f"{self.store_id} {self.badge_id} {self.state}"


class BadgeChange(models.Model):
    """One change of a store badge's state, with the figures that caused it."""

    store_badge = models.ForeignKey(StoreBadge, on_delete=models.CASCADE, related_name="changes",
                                    verbose_name=_("store badge"))
    date = models.DateField(_("data date"))
    at = models.DateTimeField(_("at"))
    from_state = models.CharField(_("from"), max_length=10, choices=BadgeState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=10, choices=BadgeState.choices)
    figure = models.FloatField(_("figure"), null=True, blank=True)
    sample = models.PositiveIntegerField(_("sample"), default=0)
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("badge change")
        verbose_name_plural = _("badge changes")

    def __str__(self):
        return f"{self.store_badge_id} {self.from_state}->{self.to_state}"


def is_origin(text: str) -> bool:
    """Whether `text` is a web origin as CSP frame-ancestors takes it: http(s)://host[:port], nothing
    else (no user, path, query or fragment)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
        port = parts.port  # a port out of range raises
    except ValueError:  # e.g. "https://[::1"
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        return False
    if parts.username or parts.password or parts.query or parts.fragment or "#" in text or "?" in text:
        return False
    if any(c in text for c in " ;,'\"\\"):
        return False
    return port is None or port > 0


class EmbedSettings(models.Model):
    """Where a store's badges may be embedded: the storefront origins allowed to frame the iframe."""

    store = models.OneToOneField("portal.Store", on_delete=models.CASCADE, related_name="badge_embed",
                                 verbose_name=_("store"))
    frame_origins = models.TextField(_("storefront origins (one per line)"), blank=True,
                                     help_text=_("e.g. https://shop.example.com"))

    class Meta:
        verbose_name = _("badge embed settings")
        verbose_name_plural = _("badge embed settings")

    def __str__(self):
        return str(self.store_id)

    def origins(self) -> list[str]:
        return [line.strip() for line in self.frame_origins.splitlines() if line.strip()]

    def clean(self):
        for origin in self.origins():
            if not is_origin(origin):
                raise ValidationError({"frame_origins": _("%(origin)s is not an origin like https://shop.example.com")
                                       % {"origin": origin}})
