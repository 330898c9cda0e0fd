"""Serializers of the training API. Inputs are type-checked (JSON types, bounded sizes); domain
checks are the services' (their ValidationErrors become 400 field errors)."""

from django.contrib.auth import get_user_model
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from portal.api.fields import (
    RestrictedPrimaryKeyRelatedField,
    RestrictedSlugRelatedField,
    StrictDateField,
    StrictDateTimeField,
)
from portal.api.serializers import ModelSerializer, StrictCharField, StrictIntegerField
from portal.formatting import person_name
from portal.models import ProductLine, Team
from portal.permissions import has_action
from tickets.models import Category, Queue
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
)
from training.services import MAX_TEXT


def person(user):
    return person_name(user, None)


def row_id():
    """A related row's id as a JSON integer: DRF's own lookup reads 1.9 as row 1 and "1" as 1."""
    return StrictIntegerField(min_value=1)


class RubricCategorySerializer(ModelSerializer):
    class Meta:
        model = RubricCategory
        fields = ["id", "position", "name", "scale", "weight", "critical", "hints"]


class RubricSerializer(ModelSerializer):
    categories = RubricCategorySerializer(many=True, read_only=True)

    class Meta:
        model = Rubric
        fields = ["id", "family", "version", "name", "is_current", "created_at", "categories"]
        read_only_fields = fields


class RubricInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    categories = serializers.JSONField(help_text='[{"name", "scale": "binary"|"3"|"4"|"5", "weight": 0-100, '
                                                 '"critical": bool, "hints": [words]}]')


class ScenarioSerializer(ModelSerializer):
    product_line = RestrictedSlugRelatedField(slug_field="code", queryset=ProductLine.objects.all(),
                                                required=False, allow_null=True)
    rubric = RestrictedPrimaryKeyRelatedField(queryset=Rubric.objects.filter(is_current=True), required=False,
                                              pk_field=row_id())
    # The page's categories; any other text would be shown as it is.
    category = serializers.ChoiceField(choices=[("", "—"), *Category.choices], required=False, allow_blank=True)
    turns = serializers.JSONField(help_text='[{"text", "points": [..], "forbidden": [..], "time_limit": seconds, '
                                            '"model_answer"}]')
    tags = serializers.JSONField(required=False, help_text="a list of strings")
    source_ticket = serializers.SerializerMethodField()

    class Meta:
        model = Scenario
        fields = ["id", "title", "product_line", "category", "difficulty", "channel", "persona_mood",
                  "persona_background", "context", "turns", "pass_mark", "tags", "rubric", "status", "source_ticket",
                  "created_at", "updated_at"]
        read_only_fields = ["id", "source_ticket", "created_at", "updated_at"]
        extra_kwargs = {"persona_background": {"max_length": MAX_TEXT}, "context": {"max_length": MAX_TEXT}}

    def get_source_ticket(self, scenario) -> int | None:
        """The source ticket's id, for those who may see that ticket (the viewset's queryset annotates
        `source_ticket_visible`; a scenario just written is checked on its own)."""
        from portal.permissions import restrict
        from tickets.models import Ticket

        request = self.context.get("request")
        if not scenario.source_ticket_id or request is None:
            return None
        visible = getattr(scenario, "source_ticket_visible", None)
        if visible is None:
            visible = restrict(Ticket.objects.filter(pk=scenario.source_ticket_id), request.user, "view").exists()
        return scenario.source_ticket_id if visible else None


class AssignmentSerializer(ModelSerializer):
    agent_name = serializers.SerializerMethodField()
    scenario_title = serializers.CharField(source="scenario.title", read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "scenario", "scenario_title", "agent", "agent_name", "team", "due_at", "status",
                  "assigned_by", "assigned_at", "completed_at"]
        read_only_fields = fields

    def get_agent_name(self, assignment) -> str | None:
        return person(assignment.agent)


class AssignmentInputSerializer(serializers.Serializer):
    scenario = RestrictedPrimaryKeyRelatedField(queryset=Scenario.objects.all(), pk_field=row_id())
    agents = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True), many=True,
                                                required=False, pk_field=row_id())
    team = RestrictedPrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True,
                                            pk_field=row_id())
    due_at = StrictDateTimeField()


class GradeSerializer(ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)

    class Meta:
        model = Grade
        fields = ["id", "attempt", "category", "category_name", "selected", "comment"]
        read_only_fields = fields


class AttemptSerializer(ModelSerializer):
    """An attempt as the caller may see it: the customer's turns reached so far with the answers;
    the model answers once graded (or to a grader); the pre-score to graders only."""

    scenario_title = serializers.CharField(source="scenario.title", read_only=True)
    agent_name = serializers.SerializerMethodField()
    turns = serializers.SerializerMethodField()
    turn_count = serializers.IntegerField(read_only=True)
    prescore = serializers.SerializerMethodField()
    grades = serializers.SerializerMethodField()

    class Meta:
        model = Attempt
        fields = ["id", "scenario", "scenario_title", "assignment", "agent", "agent_name", "rubric", "status",
                  "turn_count", "turns", "started_at", "submitted_at", "graded_at", "score", "passed", "feedback",
                  "prescore", "grades"]
        read_only_fields = fields

    def _grader(self) -> bool:
        request = self.context.get("request")
        return bool(request) and has_action(request.user, Attempt, "grade")

    def get_agent_name(self, attempt) -> str | None:
        return person(attempt.agent)

    def get_turns(self, attempt) -> list:
        show_model = self._grader() or attempt.status == Attempt.Status.GRADED
        turns = attempt.scenario.turns
        result = []
        for index, answer in enumerate(attempt.answers):
            item = {"number": index + 1, "customer": turns[index]["text"],
                    "time_limit": turns[index].get("time_limit"), "shown_at": answer.get("shown_at"),
                    "answered_at": answer.get("answered_at"), "seconds": answer.get("seconds"),
                    "answer": answer.get("text") or ""}
            if show_model:
                item["model_answer"] = turns[index].get("model_answer", "")
            result.append(item)
        return result

    def get_prescore(self, attempt) -> dict | None:
        return attempt.prescore if self._grader() else None

    def get_grades(self, attempt) -> list:
        if attempt.status != Attempt.Status.GRADED:
            return []
        return GradeSerializer(attempt.grades.all(), many=True).data  # prefetched with their categories


class AttemptStartSerializer(serializers.Serializer):
    assignment = RestrictedPrimaryKeyRelatedField(queryset=Assignment.objects.all(), pk_field=row_id())


class AnswerSerializer(serializers.Serializer):
    text = StrictCharField(max_length=4000)


class GradeItemSerializer(serializers.Serializer):
    category = StrictIntegerField(min_value=1)
    selected = StrictIntegerField(allow_null=True, help_text="on the category's scale; null for N/A")
    comment = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class GradeInputSerializer(serializers.Serializer):
    grades = GradeItemSerializer(many=True, max_length=20)
    feedback = StrictCharField(max_length=4000, required=False, allow_blank=True, default="")


class CertificationRequirementSerializer(ModelSerializer):
    tags = serializers.JSONField(required=False, help_text="a list of strings")
    name = serializers.CharField(read_only=True)
    scenarios = RestrictedPrimaryKeyRelatedField(queryset=Scenario.objects.all(), many=True, required=False,
                                                 pk_field=row_id())

    class Meta:
        model = CertificationRequirement
        fields = ["id", "code", "name", "name_zh", "name_en", "scenarios", "tags", "passes_needed", "min_score",
                  "validity_days", "is_active"]

    def validate_tags(self, value):
        if not isinstance(value, list) or len(value) > 20 or not all(isinstance(t, str) and len(t) <= 200
                                                                     for t in value):
            raise serializers.ValidationError("A list of up to 20 strings.")
        return value


class CertificationSerializer(ModelSerializer):
    code = serializers.CharField(source="requirement.code", read_only=True)
    agent_name = serializers.SerializerMethodField()

    class Meta:
        model = Certification
        fields = ["id", "requirement", "code", "agent", "agent_name", "granted_at", "expires_at"]
        read_only_fields = fields

    def get_agent_name(self, cert) -> str | None:
        return person(cert.agent)


class QueueGateSerializer(ModelSerializer):
    # Any queue: a trainer gates queues of teams they are not in (tests/portal/test_scoped_fields.py).
    # One gate per queue: a field declared here gets no unique check from the model (a 500 otherwise).
    queue = serializers.PrimaryKeyRelatedField(queryset=Queue.objects.all(), pk_field=row_id(),
                                               validators=[UniqueValidator(queryset=QueueGate.objects.all())])
    requirement = RestrictedPrimaryKeyRelatedField(queryset=CertificationRequirement.objects.all(),
                                                   pk_field=row_id())
    queue_name = serializers.CharField(source="queue.name", read_only=True)
    requirement_code = serializers.CharField(source="requirement.code", read_only=True)

    class Meta:
        model = QueueGate
        fields = ["id", "queue", "queue_name", "requirement", "requirement_code"]


class OfflineCourseSerializer(ModelSerializer):
    # Any active person: trainers record courses for agents of every team (tests/portal/test_scoped_fields.py).
    agent = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True),
                                               pk_field=row_id())
    agent_name = serializers.SerializerMethodField()
    date = StrictDateField()

    class Meta:
        model = OfflineCourse
        fields = ["id", "agent", "agent_name", "course", "date", "hours", "trainer", "result", "attachment",
                  "recorded_at"]
        read_only_fields = ["id", "agent_name", "attachment", "recorded_at"]

    def get_agent_name(self, course) -> str | None:
        return person(course.agent)
