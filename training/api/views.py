"""Training API (mounted under /api/v1/training/).

- `scenarios/`: list, read, create, change (trainers, managers; team leads read). `turns` is a list
  of `{"text", "points", "forbidden", "time_limit", "model_answer"}`.
- `rubrics/`: list, read; `POST` creates, `PUT`/`PATCH` changes (a rubric that graded attempts gets a
  new version: the answer is the new version).
- `assignments/`: list, read; `POST {"scenario", "agents": [ids] | "team": id, "due_at"}`.
- `attempts/`: list, read; `POST {"assignment"}` starts (or resumes) the caller's attempt;
  `POST attempts/{id}/answer/ {"text"}` answers the current turn; `POST attempts/{id}/submit/`;
  `POST attempts/{id}/grade/ {"grades": [{"category", "selected" (null: N/A), "comment"}], "feedback"}`.
- `grades/`, `certifications/`: read-only; `requirements/`, `queue-gates/`: configuration;
  `courses/`: offline courses (list, create).
- `compliance/?team=`: agent x certification states (paginated over agents).
- `statements/?since=`: the attempts as xAPI statements, `{"statements": [...], "more": URL or ""}`.
"""

from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.pagination import PageNumberPagination
from portal.api.permissions import RolePermission
from portal.api.viewsets import RestrictedModelViewSet, RestrictedReadOnlyViewSet
from portal.formatting import person_name
from portal.inputs import in_year_range, whole_number, year_range_message
from portal.integrations import STAFF_ONLY
from portal.models import Team
from portal.permissions import restrict
from tickets.models import Ticket
from training import reports, services
from training.api.serializers import (
    AnswerSerializer,
    AssignmentInputSerializer,
    AssignmentSerializer,
    AttemptSerializer,
    AttemptStartSerializer,
    CertificationRequirementSerializer,
    CertificationSerializer,
    GradeInputSerializer,
    GradeSerializer,
    OfflineCourseSerializer,
    QueueGateSerializer,
    RubricInputSerializer,
    RubricSerializer,
    ScenarioSerializer,
)
from training.filtersets import (
    AssignmentFilterSet,
    AttemptFilterSet,
    OfflineCourseFilterSet,
    ScenarioFilterSet,
)
from training.models import (
    Assignment,
    Attempt,
    Certification,
    CertificationRequirement,
    Grade,
    OfflineCourse,
    QueueGate,
    Rubric,
    Scenario,
    Statement,
)
from training.permissions import visible_agent_ids


class ScenarioViewSet(RestrictedModelViewSet):
    integration_kind = STAFF_ONLY
    queryset = Scenario.objects.select_related("product_line")
    serializer_class = ScenarioSerializer
    filterset_class = ScenarioFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        # Whether the caller may see each scenario's source ticket, in the same query (the serializer
        # shows its id only then).
        tickets = restrict(Ticket.objects.filter(pk=OuterRef("source_ticket_id")), self.request.user, "view")
        return super().get_queryset().annotate(source_ticket_visible=Exists(tickets))

    def perform_create(self, serializer):
        with transaction.atomic():
            serializer.instance = services.create_scenario(actor=self.request.user, now=timezone.now(),
                                                           **serializer.validated_data)
            self.check_still_in_scope(serializer.instance)

    def perform_update(self, serializer):
        with transaction.atomic():
            serializer.instance = services.update_scenario(serializer.instance, actor=self.request.user,
                                                           now=timezone.now(), **serializer.validated_data)


class RubricViewSet(RestrictedModelViewSet):
    integration_kind = STAFF_ONLY
    queryset = Rubric.objects.prefetch_related("categories")
    serializer_class = RubricSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    @extend_schema(request=RubricInputSerializer, responses={201: RubricSerializer})
    def create(self, request, *args, **kwargs):
        data = self._input(request)
        rubric = services.save_rubric(None, actor=request.user, now=timezone.now(), **data)
        return Response(RubricSerializer(rubric).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RubricInputSerializer, responses={200: RubricSerializer})
    def update(self, request, *args, **kwargs):
        rubric = self.get_object()
        data = self._input(request)
        rubric = services.save_rubric(rubric, actor=request.user, now=timezone.now(), **data)
        return Response(RubricSerializer(Rubric.objects.get(pk=rubric.pk)).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def _input(self, request):
        serializer = RubricInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class AssignmentViewSet(RestrictedModelViewSet):
    integration_kind = STAFF_ONLY
    queryset = Assignment.objects.select_related("scenario", "agent")
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilterSet
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(request=AssignmentInputSerializer, responses={201: AssignmentSerializer(many=True)})
    def create(self, request, *args, **kwargs):
        # Counted before each id is looked up (one query per id): a 4 MB list of ids is refused at once.
        if isinstance(request.data, dict) and isinstance(request.data.get("agents"), list) \
                and len(request.data["agents"]) > 500:
            raise ValidationError({"agents": [_("At most 500 agents at a time; assign a team instead.")]})
        serializer = AssignmentInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        scenario = restrict(Scenario.objects.filter(pk=data["scenario"].pk), request.user, "view").first()
        if scenario is None:
            raise ValidationError({"scenario": [_("No such scenario.")]})
        visible = visible_agent_ids(request.user)
        agents = data.get("agents") or []
        wanted = {a.pk for a in agents}
        if visible is not None and wanted and visible.filter(pk__in=wanted).count() != len(wanted):
            raise ValidationError({"agents": [_("An agent is outside your scope.")]})
        with transaction.atomic():
            created = services.assign_scenario(scenario, agents=agents, team=data.get("team"),
                                               due_at=data["due_at"], actor=request.user, now=timezone.now())
        return Response(AssignmentSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


class AttemptViewSet(RestrictedModelViewSet):
    integration_kind = STAFF_ONLY
    queryset = Attempt.objects.select_related("scenario", "agent").prefetch_related("grades__category")
    serializer_class = AttemptSerializer
    filterset_class = AttemptFilterSet
    http_method_names = ["get", "post", "head", "options"]

    def _detail(self, attempt, code=status.HTTP_200_OK):
        attempt = Attempt.objects.select_related("scenario", "agent").prefetch_related("grades__category").get(
            pk=attempt.pk)
        return Response(AttemptSerializer(attempt, context=self.get_serializer_context()).data, status=code)

    def _own(self, attempt):
        if attempt.agent_id != self.request.user.pk:
            raise PermissionDenied(_("Only the agent works their own attempt."))
        return attempt

    @extend_schema(request=AttemptStartSerializer, responses={201: AttemptSerializer})
    def create(self, request, *args, **kwargs):
        serializer = AttemptStartSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        assignment = restrict(Assignment.objects.filter(pk=serializer.validated_data["assignment"].pk,
                                                        agent=request.user), request.user, "view").first()
        if assignment is None:
            raise ValidationError({"assignment": [_("No such assignment of yours.")]})
        attempt = services.start_attempt(assignment.scenario, agent=request.user, assignment=assignment,
                                         actor=request.user, now=timezone.now())
        return self._detail(attempt, status.HTTP_201_CREATED)

    @extend_schema(request=AnswerSerializer, responses={200: AttemptSerializer})
    @action(detail=True, methods=["post"], permission_action="change")
    def answer(self, request, pk=None):
        attempt = self._own(self.get_object())
        serializer = AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.answer_turn(attempt, text=serializer.validated_data["text"], actor=request.user, now=timezone.now())
        return self._detail(attempt)

    @extend_schema(request=None, responses={200: AttemptSerializer})
    @action(detail=True, methods=["post"], permission_action="change")
    def submit(self, request, pk=None):
        attempt = self._own(self.get_object())
        services.submit_attempt(attempt, actor=request.user, now=timezone.now())
        return self._detail(attempt)

    @extend_schema(request=GradeInputSerializer, responses={200: AttemptSerializer})
    @action(detail=True, methods=["post"], permission_action="grade")
    def grade(self, request, pk=None):
        attempt = self.get_object()
        serializer = GradeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        grades = {}
        for item in data["grades"]:
            if item["category"] in grades:
                raise ValidationError({"grades": [_("Each category once.")]})
            grades[item["category"]] = (item["selected"], item["comment"])
        services.grade_attempt(attempt, grades=grades, feedback=data["feedback"], actor=request.user,
                               now=timezone.now())
        return self._detail(attempt)


class GradeViewSet(RestrictedReadOnlyViewSet):
    queryset = Grade.objects.select_related("category")
    serializer_class = GradeSerializer
    filterset_fields = ["attempt"]


class CertificationViewSet(RestrictedReadOnlyViewSet):
    queryset = Certification.objects.select_related("requirement", "agent")
    serializer_class = CertificationSerializer
    filterset_fields = ["requirement", "agent"]


class CertificationRequirementViewSet(RestrictedModelViewSet):
    integration_kind = STAFF_ONLY
    queryset = CertificationRequirement.objects.prefetch_related("scenarios")
    serializer_class = CertificationRequirementSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]


class QueueGateViewSet(RestrictedModelViewSet):
    integration_kind = STAFF_ONLY
    queryset = QueueGate.objects.select_related("queue", "requirement")
    serializer_class = QueueGateSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]


class OfflineCourseViewSet(RestrictedModelViewSet):
    integration_kind = STAFF_ONLY
    queryset = OfflineCourse.objects.select_related("agent")
    serializer_class = OfflineCourseSerializer
    filterset_class = OfflineCourseFilterSet
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        visible = visible_agent_ids(self.request.user)
        if visible is not None and not visible.filter(pk=data["agent"].pk).exists():
            raise ValidationError({"agent": [_("This agent is outside your scope.")]})
        with transaction.atomic():
            serializer.instance = services.record_course(actor=self.request.user, now=timezone.now(), **data)
            self.check_still_in_scope(serializer.instance)


class ComplianceView(APIView):
    """Agent x certification for the agents in the caller's scope (optionally `team`), paginated over
    agents: `{"count", "next", "previous", "requirements": [...], "results": [{"agent", "username",
    "name", "teams", "certifications": {code: {"state", "until"}}}]}`; states: valid, expiring
    (within 30 days), missing, expired."""

    permission_classes = [RolePermission]
    permission_model = Certification
    permission_action = "view"

    @extend_schema(parameters=[OpenApiParameter("team", int)], responses={200: dict})
    def get(self, request):
        team = None
        if request.query_params.get("team"):
            value = request.query_params["team"]
            number = whole_number(value)
            team = Team.objects.filter(pk=number).first() if number is not None else None
            if team is None:
                raise ValidationError({"team": [_("No such team.")]})
        now = timezone.now()
        requirements = reports.active_requirements()
        paginator = PageNumberPagination()
        agents = paginator.paginate_queryset(reports.compliance_agents(request.user, team), request, view=self)
        ids = [a.pk for a in agents]
        cells = reports.compliance_cells(ids, requirements, now=now)
        teams = reports.teams_of(ids)
        results = [{"agent": a.pk, "username": a.get_username(), "name": a.get_full_name(),
                    "teams": teams.get(a.pk, []),
                    "certifications": {r.code: {"state": cells[a.pk, r.pk].state,
                                                "until": cells[a.pk, r.pk].until} for r in requirements}}
                   for a in agents]
        response = paginator.get_paginated_response(results)
        response.data["requirements"] = [{"id": r.pk, "code": r.code, "name": r.name} for r in requirements]
        return response


VERBS = {
    Statement.Verb.COMPLETED: ("http://adlnet.gov/expapi/verbs/completed", "completed", "完成"),
    Statement.Verb.PASSED: ("http://adlnet.gov/expapi/verbs/passed", "passed", "通过"),
    Statement.Verb.FAILED: ("http://adlnet.gov/expapi/verbs/failed", "failed", "未通过"),
}
STATEMENT_PAGE = 100


def iso_duration(seconds: int) -> str:
    """ISO 8601 duration, e.g. PT1H2M3S (PT0S for none)."""
    seconds = int(seconds or 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (
        f"{secs}S" if secs or not (hours or minutes) else "")
    return text


def xapi_statement(statement, *, home_page: str, scenario_url) -> dict:
    attempt = statement.attempt
    verb_id, verb_en, verb_zh = VERBS[statement.verb]
    result = {"completion": True, "duration": iso_duration(statement.duration_seconds)}
    if statement.verb != Statement.Verb.COMPLETED:
        result["success"] = statement.verb == Statement.Verb.PASSED
        score = float(statement.score or 0)
        result["score"] = {"scaled": round(score / 100, 4), "raw": score, "min": 0, "max": 100}
    return {
        "id": str(statement.uuid),
        "actor": {"objectType": "Agent", "name": person_name(attempt.agent),
                  "account": {"homePage": home_page, "name": attempt.agent.get_username()}},
        "verb": {"id": verb_id, "display": {"en-US": verb_en, "zh-CN": verb_zh}},
        "object": {"objectType": "Activity", "id": scenario_url(attempt.scenario_id),
                   "definition": {"name": {"zh-CN": attempt.scenario.title, "en-US": attempt.scenario.title},
                                  "type": "http://adlnet.gov/expapi/activities/simulation"}},
        "result": result,
        "context": {"extensions": {f"{home_page}xapi/attempt": attempt.pk}},
        "timestamp": statement.timestamp.isoformat(),
        "stored": statement.timestamp.isoformat(),
    }


class StatementsView(APIView):
    """The cabin's attempts as xAPI statements, for a company learning-record store.

    `GET /api/v1/training/statements/?since=<ISO 8601>`: statements stored at or after `since`
    (all without it), oldest first, `limit` per page (default and at most 100), in xAPI's
    StatementResult form `{"statements": [...], "more": "<URL of the next page or empty>"}`. Each
    statement: `id`, `actor` (an account `{"homePage": <portal URL>, "name": <username>}`), `verb`
    (completed when submitted; passed or failed when graded: each grading adds one), `object` (the
    scenario as an activity), `result` (scaled score, success, ISO 8601 duration), `timestamp`."""

    integration_kind = "learning_records"
    permission_classes = [RolePermission]
    permission_model = Statement
    permission_action = "view"

    @extend_schema(parameters=[OpenApiParameter("since", datetime), OpenApiParameter("limit", int),
                               OpenApiParameter("after", int, description="continuation (from `more`)")],
                   responses={200: dict})
    def get(self, request):
        params = request.query_params
        errors = {}
        since = None
        if "since" in params:  # given, even empty: it must be a time
            try:
                since = parse_datetime(params["since"])
            except ValueError:
                since = None
            if since is None:
                errors["since"] = [_("Give an ISO 8601 date and time.")]
            elif not in_year_range(since):  # a year-1 time cannot even be converted to UTC
                errors["since"] = [year_range_message()]
            elif timezone.is_naive(since):
                since = timezone.make_aware(since, UTC)
        limit = STATEMENT_PAGE
        if params.get("limit"):
            limit = whole_number(params["limit"], digits=4)
            if limit is None or not 1 <= limit <= STATEMENT_PAGE:
                errors["limit"] = [_("From 1 to %(n)d.") % {"n": STATEMENT_PAGE}]
        after = 0
        if params.get("after"):
            after = whole_number(params["after"])
            if after is None:
                errors["after"] = [_("Use the `more` URL as given.")]
        if errors:
            raise ValidationError(errors)
        statements = restrict(Statement.objects.all(), request.user, "view").select_related(
            "attempt", "attempt__agent", "attempt__scenario").order_by("id")
        if since is not None:
            statements = statements.filter(timestamp__gte=since)
        page = list(statements.filter(id__gt=after)[:limit + 1])
        more = ""
        if len(page) > limit:
            page = page[:limit]
            query = request.GET.copy()
            query["after"] = str(page[-1].pk)
            more = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        home_page = request.build_absolute_uri("/")

        def scenario_url(pk):
            return request.build_absolute_uri(f"/training/scenarios/{pk}/")

        return Response({"statements": [xapi_statement(s, home_page=home_page, scenario_url=scenario_url)
                                        for s in page], "more": more},
                        headers={"X-Experience-API-Version": "1.0.3"})

