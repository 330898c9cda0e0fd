"""The simulation cabin and training records.

- `Rubric` (versioned) and its `RubricCategory` rows: what a trainer grades, on which scale, with
  which weight; a change to a rubric that already graded attempts makes a new version
  (`training.services.save_rubric`), old attempts keep theirs.
- `Scenario`: a difficult customer conversation to rehearse (persona, context, the customer's turns
  with the points a good answer covers, forbidden phrases, a time limit and a model answer each), by
  hand or from a resolved ticket with its personal data scrubbed (`training.scrub`).
- `Assignment` (a scenario for an agent by a due date), `Attempt` (the agent's answers turn by turn,
  the pre-score, the trainer's `Grade` per rubric category, the score) and `Statement` (the attempt's
  xAPI statements: completed, then passed or failed).
- `CertificationRequirement`, `Certification` (granted when met, valid for a number of days) and
  `QueueGate` (a queue whose tickets only certified people may be given).
- `OfflineCourse`: classroom training on an agent's record.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import BilingualName

__all__ = [
    "Assignment",
    "Attempt",
    "Certification",
    "CertificationRequirement",
    "Difficulty",
    "Grade",
    "OfflineCourse",
    "QueueGate",
    "Rubric",
    "RubricCategory",
    "Scale",
    "Scenario",
    "Statement",
]


class Scale(models.TextChoices):
    """A category's rating scale: (min, max) of the value a trainer selects."""

    BINARY = "binary", _("Binary (no / yes)")
    THREE = "3", _("3-point")
    FOUR = "4", _("4-point")
    FIVE = "5", _("5-point")

    @staticmethod
    def bounds(scale) -> tuple[int, int]:
        return (0, 1) if scale == Scale.BINARY else (1, int(scale))


class Rubric(models.Model):
    """One version of a rubric. `family` ties the versions of one rubric together; the scenario
    points at the current one, an attempt at the one it was graded on."""

    family = models.UUIDField(_("rubric"), default=uuid.uuid4, editable=False, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    is_current = models.BooleanField(_("current version"), default=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))

    class Meta:
        ordering = ["name", "-version"]
        constraints = [models.UniqueConstraint(fields=["family", "version"], name="training_unique_rubric_version")]
        verbose_name = _("rubric")
        verbose_name_plural = _("rubrics")

    def __str__(self):
        return f"{self.name} v{self.version}"


class RubricCategory(models.Model):
    """A graded category: scale, weight (0-100), critical flag (below 50 makes the attempt 0) and the
    hint words the pre-score looks for in the answers."""

    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="categories",
                               verbose_name=_("rubric"))
    position = models.PositiveSmallIntegerField(_("order"), default=1)
    name = models.CharField(_("name"), max_length=100)
    scale = models.CharField(_("scale"), max_length=10, choices=Scale.choices, default=Scale.FIVE)
    weight = models.PositiveSmallIntegerField(_("weight"), default=10, validators=[MaxValueValidator(100)])
    critical = models.BooleanField(_("critical"), default=False)
    hints = models.JSONField(_("hint words"), default=list, blank=True)

    class Meta:
        ordering = ["rubric", "position", "id"]
        verbose_name = _("rubric category")
        verbose_name_plural = _("rubric categories")

    def __str__(self):
        return self.name

    @property
    def bounds(self) -> tuple[int, int]:
        return Scale.bounds(self.scale)

    def signature(self) -> tuple:
        return (self.name, self.scale, self.weight, self.critical, tuple(self.hints or ()))


class Difficulty(models.TextChoices):
    EASY = "easy", _("Easy")
    MEDIUM = "medium", _("Medium")
    HARD = "hard", _("Hard")


class Scenario(models.Model):
    """A case to rehearse. `turns` is the customer's side in order, each
    `{"text", "points": [...], "forbidden": [...], "time_limit": seconds, "model_answer"}`."""

    class Channel(models.TextChoices):
        CHAT = "chat", _("Chat")
        PHONE = "phone", _("Phone")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    Difficulty = Difficulty

    title = models.CharField(_("title"), max_length=200)
    product_line = models.ForeignKey("portal.ProductLine", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("product line"))
    category = models.CharField(_("category"), max_length=20, blank=True)
    difficulty = models.CharField(_("difficulty"), max_length=10, choices=Difficulty.choices,
                                  default=Difficulty.MEDIUM)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.CHAT)
    persona_mood = models.CharField(_("customer's mood"), max_length=200, blank=True)
    persona_background = models.TextField(_("customer's background"), blank=True)
    context = models.TextField(_("context (order and parcel)"), blank=True)
    turns = models.JSONField(_("customer turns"), default=list)
    pass_mark = models.PositiveSmallIntegerField(_("pass mark"), default=80, validators=[MaxValueValidator(100)])
    tags = models.JSONField(_("tags"), default=list, blank=True)
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="scenarios", verbose_name=_("rubric"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # The ticket it was made from (a plain id: training may read tickets, but a ticket's deletion
    # must not depend on training); shown only to those who may see that ticket.
    source_ticket_id = models.PositiveBigIntegerField(_("source ticket"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["-updated_at", "-id"]
        permissions = [("make_case_scenario", "Can make a cabin case from a ticket and see the candidates")]
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")

    def __str__(self):
        return self.title


class Assignment(models.Model):
    """A scenario to rehearse by a due date, for one agent (a team assignment makes one per member)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        OVERDUE = "overdue", _("Overdue")

    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="assignments",
                                 verbose_name=_("scenario"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_assignments",
                              verbose_name=_("agent"))
    team = models.ForeignKey("portal.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("assigned with team"))
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("assigned by"))
    assigned_at = models.DateTimeField(_("assigned at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"], name="training_assignment_due_idx")]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")

    def __str__(self):
        return f"{self.scenario} → {self.agent}"


class Attempt(models.Model):
    """One run of a scenario by an agent. `answers` holds, per turn reached,
    `{"shown_at", "answered_at", "seconds", "text"}`; the customer's next turn is shown only after
    the previous one is answered, the model answers only once the attempt is graded."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Submitted")
        GRADED = "graded", _("Graded")

    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="attempts",
                                 verbose_name=_("scenario"))
    assignment = models.ForeignKey(Assignment, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="attempts", verbose_name=_("assignment"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_attempts",
                              verbose_name=_("agent"))
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="attempts", verbose_name=_("rubric"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.IN_PROGRESS,
                              db_index=True)
    answers = models.JSONField(_("answers"), default=list, blank=True)
    started_at = models.DateTimeField(_("started at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    prescore = models.JSONField(_("pre-score (suggestion)"), default=dict, blank=True)
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True, db_index=True)
    graded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("graded by"))
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    feedback = models.TextField(_("feedback"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        permissions = [("grade_attempt", "Can grade cabin attempts")]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")

    def __str__(self):
        return f"#{self.pk} {self.scenario}"

    @property
    def turn_count(self) -> int:
        return len(self.scenario.turns or [])

    @property
    def answered(self) -> int:
        return sum(1 for answer in self.answers if answer.get("answered_at"))

    @property
    def duration_seconds(self) -> int:
        return sum(int(answer.get("seconds") or 0) for answer in self.answers)


class Grade(models.Model):
    """The trainer's rating of one rubric category of an attempt (`selected` None: not applicable)."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="grades", verbose_name=_("attempt"))
    category = models.ForeignKey(RubricCategory, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("category"))
    selected = models.SmallIntegerField(_("rating"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["attempt", "category__position", "id"]
        constraints = [models.UniqueConstraint(fields=["attempt", "category"], name="training_unique_grade")]
        verbose_name = _("grade")
        verbose_name_plural = _("grades")

    def __str__(self):
        return f"{self.category}: {'N/A' if self.selected is None else self.selected}"


class Statement(models.Model):
    """An xAPI statement about an attempt, as sent to a learning-record store (append-only)."""

    class Verb(models.TextChoices):
        COMPLETED = "completed", _("completed")
        PASSED = "passed", _("passed")
        FAILED = "failed", _("failed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="statements",
                                verbose_name=_("attempt"))
    verb = models.CharField(_("verb"), max_length=10, choices=Verb.choices)
    timestamp = models.DateTimeField(_("timestamp"), db_index=True)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), default=0)

    class Meta:
        ordering = ["timestamp", "id"]
        verbose_name = _("learning statement")
        verbose_name_plural = _("learning statements")

    def __str__(self):
        return f"{self.attempt_id} {self.verb}"


class CertificationRequirement(BilingualName):
    """What earns a certification: passed attempts of the scenarios (or tags) it covers, at a
    minimum score, within its validity."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    scenarios = models.ManyToManyField(Scenario, blank=True, related_name="requirements",
                                       verbose_name=_("scenarios"))
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # Bounded: a validity of millions of days made every grading fail (the expiry is past the year
    # 9999), and PostgreSQL's small integer holds no more than 32,767 passes.
    passes_needed = models.PositiveSmallIntegerField(_("passed attempts needed"), default=1,
                                                     validators=[MinValueValidator(1), MaxValueValidator(100)])
    min_score = models.PositiveSmallIntegerField(_("minimum score"), default=80, validators=[MaxValueValidator(100)])
    validity_days = models.PositiveIntegerField(_("valid for (days)"), default=365,
                                                validators=[MinValueValidator(1), MaxValueValidator(3650)])
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("certification requirement")
        verbose_name_plural = _("certification requirements")


class Certification(models.Model):
    """A requirement met by an agent: valid from `granted_at` until `expires_at`."""

    requirement = models.ForeignKey(CertificationRequirement, on_delete=models.CASCADE,
                                    related_name="certifications", verbose_name=_("certification"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certifications",
                              verbose_name=_("agent"))
    granted_at = models.DateTimeField(_("granted at"))
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    expiry_notified_at = models.DateTimeField(_("expiry notice sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-granted_at", "-id"]
        indexes = [models.Index(fields=["agent", "requirement", "expires_at"], name="training_cert_agent_idx")]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")

    def __str__(self):
        return f"{self.requirement.code} · {self.agent}"


class QueueGate(models.Model):
    """A queue whose tickets may only be assigned to holders of a valid certification."""

    queue = models.OneToOneField("tickets.Queue", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("queue"))
    requirement = models.ForeignKey(CertificationRequirement, on_delete=models.PROTECT, related_name="gates",
                                    verbose_name=_("certification required"))

    class Meta:
        ordering = ["queue__name"]
        verbose_name = _("queue gate")
        verbose_name_plural = _("queue gates")

    def __str__(self):
        return f"{self.queue} ⟵ {self.requirement.code}"


class OfflineCourse(models.Model):
    """A classroom course on an agent's training record."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offline_courses",
                              verbose_name=_("agent"))
    course = models.CharField(_("course"), max_length=200)
    date = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1,
                                validators=[MinValueValidator(0), MaxValueValidator(200)])
    trainer = models.CharField(_("trainer"), max_length=100, blank=True)
    result = models.CharField(_("result"), max_length=100, blank=True)
    attachment = models.FileField(_("attachment"), upload_to="training/courses/", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [models.UniqueConstraint(fields=["agent", "course", "date"], name="training_unique_course")]
        verbose_name = _("offline course")
        verbose_name_plural = _("offline courses")

    def __str__(self):
        return f"{self.date} {self.course}"


# A valid certification right now (`now` given by the caller).
def valid_q(now, prefix="") -> Q:
    return Q(**{f"{prefix}granted_at__lte": now, f"{prefix}expires_at__gt": now})
