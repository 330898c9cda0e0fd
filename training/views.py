"""The cabin's pages. Thin: every write goes through training/services.py, every read through
`restrict`/`access` (training/permissions.py) or the read-side functions in training/reports.py."""


from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, TemplateView

from portal import pii
from portal.exports import Echo, csv_writer
from portal.formatting import person_name
from portal.inputs import whole_number
from portal.models import Team
from portal.permissions import access, has_action, restrict
from portal.views import RestrictedListView, RestrictedViewMixin
from tickets.models import Ticket
from training import reports, services
from training.filtersets import (
    AssignmentFilterSet,
    AttemptFilterSet,
    OfflineCourseFilterSet,
    ScenarioFilterSet,
)
from training.forms import (
    AnswerForm,
    AssignForm,
    CourseImportForm,
    GradeForm,
    RequirementForm,
    ScenarioForm,
    TurnFormSet,
    formset_turns,
    scenario_initial,
    turn_initial,
)
from training.models import (
    Assignment,
    Attempt,
    Certification,
    CertificationRequirement,
    OfflineCourse,
    Scenario,
)
from training.permissions import visible_agent_ids
from training.tables import AssignmentTable, AttemptTable, CandidateTable, OfflineCourseTable, ScenarioTable


def _field_errors(form, error: ValidationError):
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


# --- Home ------------------------------------------------------------------------------------------


class TrainingHomeView(RestrictedViewMixin, TemplateView):
    """The cabin's front page: my assignments and attempts; for trainers what waits for grading."""

    model = Assignment
    template_name = "training/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["title"] = _("Simulation cabin")
        context["assignments"] = (Assignment.objects.filter(agent=user).exclude(status=Assignment.Status.COMPLETED)
                                  .select_related("scenario").order_by("due_at"))
        context["attempts"] = (Attempt.objects.filter(agent=user).select_related("scenario")
                               .order_by("-started_at")[:10])
        if has_action(user, Attempt, "grade"):
            context["to_grade"] = restrict(Attempt.objects.filter(status=Attempt.Status.SUBMITTED), user,
                                           "grade").count()
        context["can"] = {name: has_action(user, model, verb) for name, model, verb in [
            ("scenarios", Scenario, "view"), ("make_case", Scenario, "make_case"), ("compliance", Certification,
                                                                                    "view"),
            ("courses", OfflineCourse, "view"), ("requirements", CertificationRequirement, "view"),
            ("attempts", Attempt, "view"), ("grade", Attempt, "grade")]}
        return context


# --- Scenarios -------------------------------------------------------------------------------------


class ScenarioListView(RestrictedListView):
    model = Scenario
    table_class = ScenarioTable
    filterset_class = ScenarioFilterSet
    title = gettext_lazy("Scenarios")
    template_name = "training/scenario_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("product_line").order_by("-updated_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add"] = has_action(self.request.user, Scenario, "add")
        context["can_make_case"] = has_action(self.request.user, Scenario, "make_case")
        return context


class ScenarioDetailView(RestrictedViewMixin, DetailView):
    model = Scenario
    template_name = "training/scenario_detail.html"
    context_object_name = "scenario"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scenario, user = self.object, self.request.user
        context["title"] = scenario.title
        if scenario.source_ticket_id:
            context["source_ticket"] = restrict(Ticket.objects.filter(pk=scenario.source_ticket_id), user,
                                                "view").first()
        context["categories"] = scenario.rubric.categories.all()
        context["can_change"] = has_action(user, Scenario, "change")
        context["can_assign"] = has_action(user, Assignment, "add") and scenario.status == Scenario.Status.PUBLISHED
        return context


class ScenarioFormView(RestrictedViewMixin, View):
    """Create (no pk) or edit a scenario: its fields and its customer turns (a formset)."""

    model = Scenario
    template_name = "training/scenario_form.html"

    @property
    def permission_action(self):
        return "change" if self.kwargs.get("pk") else "add"

    def _page(self, request, form, formset, scenario=None, status=200, preview=None, ticket=None):
        title = _("Edit scenario") if scenario else (_("Cabin case from ticket #%(id)s") % {"id": ticket.pk}
                                                     if ticket else _("New scenario"))
        return render(request, self.template_name, {"form": form, "formset": formset, "scenario": scenario,
                                                    "title": title, "preview": preview, "ticket": ticket},
                      status=status)

    def get(self, request, pk=None):
        scenario = access(Scenario.objects.all(), request.user, "change", pk) if pk else None
        if scenario:
            return self._page(request, ScenarioForm(initial=scenario_initial(scenario)),
                              TurnFormSet(initial=turn_initial(scenario.turns), prefix="turns"), scenario)
        return self._page(request, ScenarioForm(initial={"status": Scenario.Status.DRAFT}),
                          TurnFormSet(prefix="turns"))

    def post(self, request, pk=None):
        scenario = access(Scenario.objects.all(), request.user, "change", pk) if pk else None
        form, formset = ScenarioForm(request.POST), TurnFormSet(request.POST, prefix="turns")
        if form.is_valid() and formset.is_valid():
            fields = dict(form.cleaned_data, turns=formset_turns(formset))
            now = timezone.now()
            try:
                if scenario:
                    scenario = services.update_scenario(scenario, actor=request.user, now=now, **fields)
                else:
                    scenario = services.create_scenario(actor=request.user, now=now, **fields)
            except ValidationError as error:
                _field_errors(form, error)
            else:
                messages.success(request, _("Scenario saved."))
                return redirect("training:scenario", pk=scenario.pk)
        return self._page(request, form, formset, scenario, status=400)


class CaseFromTicketView(LoginRequiredMixin, View):
    """"Make a cabin case": the scrubbed draft of a done ticket's conversation beside the original
    (the original only for those who may see the ticket's personal data), edited before saving."""

    template_name = "training/scenario_form.html"

    def _ticket(self, request, ticket_id):
        if not has_action(request.user, Scenario, "make_case"):
            raise PermissionDenied(_("Your role does not allow this."))
        ticket = Ticket.objects.select_related("queue", "store").filter(pk=ticket_id).first()
        if ticket is None or not reports.may_make_case(request.user, ticket):
            raise Http404
        return ticket

    def _page(self, request, ticket, form, formset, status=200, preview=None):
        if preview is None:
            _fields, preview = services.draft_from_ticket(ticket)
        return render(request, self.template_name, {
            "form": form, "formset": formset, "ticket": ticket, "preview": preview,
            "show_original": pii.may_see(request.user, ticket),
            "title": _("Cabin case from ticket #%(id)s") % {"id": ticket.pk}}, status=status)

    def get(self, request, ticket_id):
        ticket = self._ticket(request, ticket_id)
        fields, preview = services.draft_from_ticket(ticket)
        rubric = services.current_default_rubric()  # a GET writes nothing: no rubric is created here
        initial = {key: value for key, value in fields.items() if key != "turns"}
        initial.update(rubric=rubric.pk if rubric else None, status=Scenario.Status.DRAFT, pass_mark=80)
        return self._page(request, ticket, ScenarioForm(initial=initial),
                          TurnFormSet(initial=turn_initial(fields["turns"]), prefix="turns"), preview=preview)

    def post(self, request, ticket_id):
        ticket = self._ticket(request, ticket_id)
        form, formset = ScenarioForm(request.POST), TurnFormSet(request.POST, prefix="turns")
        if form.is_valid() and formset.is_valid():
            fields = dict(form.cleaned_data, turns=formset_turns(formset))
            try:
                scenario = services.make_case(ticket, actor=request.user, now=timezone.now(), **fields)
            except ValidationError as error:
                _field_errors(form, error)
            else:
                messages.success(request, _("Cabin case saved."))
                return redirect("training:scenario", pk=scenario.pk)
        return self._page(request, ticket, form, formset, status=400)


class CandidateListView(LoginRequiredMixin, TemplateView):
    """Done tickets worth a case: escalated to level 2+, rated 1-2, major complaints, contested
    refunds. Paged by hand, without a total: counting (or a paginator's len()) would read every
    candidate; a page reads its own 50 rows and one more to know there is a next page."""

    template_name = "training/candidate_list.html"
    per_page = 50

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not has_action(request.user, Scenario, "make_case"):
            raise PermissionDenied(_("Your role does not allow this."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        value = self.request.GET.get("page", "1")
        page = whole_number(value, digits=5) or 1
        start = (page - 1) * self.per_page
        rows = list(reports.candidate_tickets(self.request.user)[start:start + self.per_page + 1])
        context.update(title=_("Case candidates"), table=CandidateTable(rows[:self.per_page], user=self.request.user),
                       page=page, has_next=len(rows) > self.per_page)
        return context


# --- Assignments and attempts -------------------------------------------------------------------------


class ScenarioAssignView(RestrictedViewMixin, View):
    model = Assignment
    permission_action = "add"
    template_name = "training/assign_form.html"

    def _scenario(self, request, pk):
        return access(Scenario.objects.all(), request.user, "view", pk)

    def get(self, request, pk):
        scenario = self._scenario(request, pk)
        return render(request, self.template_name, {"form": AssignForm(user=request.user), "scenario": scenario,
                                                    "title": _("Assign %(title)s") % {"title": scenario.title}})

    def post(self, request, pk):
        scenario = self._scenario(request, pk)
        form = AssignForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            due = data["due_at"]
            if timezone.is_naive(due):
                due = timezone.make_aware(due)
            try:
                created = services.assign_scenario(scenario, agents=data["agents"], team=data["team"], due_at=due,
                                                   actor=request.user, now=timezone.now())
            except ValidationError as error:
                _field_errors(form, error)
            else:
                messages.success(request, _("%(n)d assignment(s) made.") % {"n": len(created)})
                return redirect("training:assignment_list")
        return render(request, self.template_name, {"form": form, "scenario": scenario,
                                                    "title": _("Assign %(title)s") % {"title": scenario.title}},
                      status=400)


class AssignmentListView(RestrictedListView):
    model = Assignment
    table_class = AssignmentTable
    filterset_class = AssignmentFilterSet
    title = gettext_lazy("Assignments")

    def get_queryset(self):
        return super().get_queryset().select_related("scenario", "agent", "assigned_by").order_by("due_at", "id")


class AssignmentStartView(LoginRequiredMixin, View):
    """The agent starts (or resumes) the attempt of an assignment."""

    def post(self, request, pk):
        assignment = access(Assignment.objects.select_related("scenario"), request.user, "view", pk)
        if assignment.agent_id != request.user.pk or not has_action(request.user, Attempt, "add"):
            raise PermissionDenied(_("Only the agent it is assigned to starts it."))
        attempt = services.start_attempt(assignment.scenario, agent=request.user, assignment=assignment,
                                         actor=request.user, now=timezone.now())
        return redirect("training:attempt", pk=attempt.pk)


class AttemptListView(RestrictedListView):
    model = Attempt
    table_class = AttemptTable
    filterset_class = AttemptFilterSet
    title = gettext_lazy("Attempts")

    def get_queryset(self):
        return super().get_queryset().select_related("scenario", "agent").order_by("-started_at", "-id")


def attempt_context(attempt, user):
    """The chat of an attempt: the customer's turns reached so far and the agent's answers; model
    answers only to graders, or to the agent once graded."""
    turns = attempt.scenario.turns
    is_agent = attempt.agent_id == user.pk
    grader = has_action(user, Attempt, "grade")
    show_model = grader or (attempt.status == Attempt.Status.GRADED)
    checks = (attempt.prescore or {}).get("turns", [])
    chat = []
    for index, answer in enumerate(attempt.answers):
        turn = turns[index]
        chat.append({"number": index + 1, "customer": turn["text"], "answer": answer,
                     "limit": turn.get("time_limit"), "model_answer": turn.get("model_answer") if show_model else None,
                     "points": turn.get("points") if show_model else None,
                     "check": checks[index] if grader and index < len(checks) else None})
    current = chat[-1] if chat and not chat[-1]["answer"].get("answered_at") else None
    return {
        "attempt": attempt, "chat": chat, "current": current, "is_agent": is_agent, "grader": grader,
        "can_answer": is_agent and attempt.status == Attempt.Status.IN_PROGRESS and current is not None,
        "can_submit": is_agent and attempt.status == Attempt.Status.IN_PROGRESS and current is None,
        "grades": list(attempt.grades.select_related("category")) if attempt.status == Attempt.Status.GRADED else [],
        "scenario": attempt.scenario,
    }


class AttemptDetailView(LoginRequiredMixin, View):
    template_name = "training/attempt.html"

    def get(self, request, pk, form=None, status=200):
        attempt = access(Attempt.objects.select_related("scenario", "agent", "rubric"), request.user, "view", pk)
        context = attempt_context(attempt, request.user)
        context["form"] = form or AnswerForm()
        context["title"] = _("Attempt #%(id)s: %(title)s") % {"id": attempt.pk, "title": attempt.scenario.title}
        return render(request, self.template_name, context, status=status)


class AttemptAnswerView(AttemptDetailView):
    def post(self, request, pk):
        attempt = access(Attempt.objects.all(), request.user, "change", pk)
        if attempt.agent_id != request.user.pk:
            raise PermissionDenied(_("Only the agent answers their own attempt."))
        form = AnswerForm(request.POST)
        if form.is_valid():
            try:
                services.answer_turn(attempt, text=form.cleaned_data["text"], actor=request.user, now=timezone.now())
            except ValidationError as error:
                _field_errors(form, error)
            else:
                return redirect(reverse("training:attempt", args=[attempt.pk]) + "#current")
        return self.get(request, pk, form=form, status=400)


class AttemptSubmitView(LoginRequiredMixin, View):
    def post(self, request, pk):
        attempt = access(Attempt.objects.all(), request.user, "change", pk)
        if attempt.agent_id != request.user.pk:
            raise PermissionDenied(_("Only the agent submits their own attempt."))
        try:
            services.submit_attempt(attempt, actor=request.user, now=timezone.now())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Submitted. A trainer will grade it."))
        return redirect("training:attempt", pk=attempt.pk)


class AttemptGradeView(LoginRequiredMixin, View):
    """The trainer grades each rubric category on its scale (the pre-score is offered as a suggestion)."""

    template_name = "training/grade.html"

    def _page(self, request, attempt, form, status=200):
        context = attempt_context(attempt, request.user)
        context.update(form=form, title=_("Grade attempt #%(id)s") % {"id": attempt.pk})
        return render(request, self.template_name, context, status=status)

    def _form(self, attempt, data=None):
        return GradeForm(data, categories=attempt.rubric.categories.all(),
                         suggestions=(attempt.prescore or {}).get("categories"))

    def get(self, request, pk):
        attempt = access(Attempt.objects.select_related("scenario", "agent", "rubric"), request.user, "grade", pk)
        return self._page(request, attempt, self._form(attempt))

    def post(self, request, pk):
        attempt = access(Attempt.objects.select_related("scenario", "agent", "rubric"), request.user, "grade", pk)
        form = self._form(attempt, request.POST)
        if form.is_valid():
            try:
                services.grade_attempt(attempt, grades=form.grades(), feedback=form.cleaned_data["feedback"],
                                       actor=request.user, now=timezone.now())
            except ValidationError as error:
                _field_errors(form, error)
            else:
                attempt.refresh_from_db()
                messages.success(request, _("Graded: %(score)s.") % {"score": attempt.score})
                return redirect("training:attempt", pk=attempt.pk)
        return self._page(request, attempt, form, status=400)


# --- Certifications, compliance, records --------------------------------------------------------------


class RequirementListView(RestrictedViewMixin, TemplateView):
    model = CertificationRequirement
    template_name = "training/requirement_list.html"

    def get_context_data(self, **kwargs):
        from training.models import QueueGate

        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["title"] = _("Certifications")
        context["requirements"] = restrict(CertificationRequirement.objects.prefetch_related("scenarios", "gates__queue"),
                                           user, "view")
        context["can_add"] = has_action(user, CertificationRequirement, "add")
        context["gates"] = restrict(QueueGate.objects.select_related("queue", "requirement"), user, "view")
        return context


class RequirementFormView(RestrictedViewMixin, View):
    model = CertificationRequirement
    template_name = "training/requirement_form.html"

    @property
    def permission_action(self):
        return "change" if self.kwargs.get("pk") else "add"

    def _instance(self, request, pk):
        return access(CertificationRequirement.objects.all(), request.user, "change", pk) if pk else None

    def get(self, request, pk=None):
        instance = self._instance(request, pk)
        return render(request, self.template_name, {"form": RequirementForm(instance=instance),
                                                    "title": _("Certification requirement")})

    def post(self, request, pk=None):
        form = RequirementForm(request.POST, instance=self._instance(request, pk))
        if form.is_valid():
            form.save()
            messages.success(request, _("Saved."))
            return redirect("training:requirement_list")
        return render(request, self.template_name, {"form": form, "title": _("Certification requirement")},
                      status=400)


class ComplianceMixin(RestrictedViewMixin):
    model = Certification

    def team(self):
        value = self.request.GET.get("team")
        if not value:
            return None
        number = whole_number(value)
        team = Team.objects.filter(pk=number).first() if number is not None else None
        if team is None:
            raise Http404
        return team


def cell_text(cell, labels) -> str:
    return f"{labels[cell.state]} {timezone.localtime(cell.until):%Y-%m-%d}" if cell.until else labels[cell.state]


class ComplianceView(ComplianceMixin, TemplateView):
    """Agent x certification: valid until / expiring within 30 days / missing / expired. The cells'
    text is made here, not in the template: a page is 50 agents x every certification."""

    template_name = "training/compliance.html"
    per_page = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        team = self.team()
        requirements = reports.active_requirements()
        page = Paginator(reports.compliance_agents(self.request.user, team), self.per_page).get_page(
            self.request.GET.get("page"))
        agents = list(page.object_list)
        ids = [a.pk for a in agents]
        cells = reports.compliance_cells(ids, requirements, now=now)
        teams = reports.teams_of(ids)
        labels = {reports.VALID: _("valid until"), reports.EXPIRING: _("expires"), reports.EXPIRED: _("expired"),
                  reports.MISSING: _("missing")}
        context.update(
            title=_("Compliance"), requirements=requirements, page_obj=page, team=team,
            teams=Team.objects.filter(kind=Team.Kind.CUSTOMER_SERVICE).order_by("name"),
            rows=[{"agent": a, "name": person_name(a), "teams": ", ".join(teams.get(a.pk, [])),
                   "cells": [(cells[a.pk, r.pk].state, cell_text(cells[a.pk, r.pk], labels)) for r in requirements]}
                  for a in agents],
        )
        return context


class ComplianceExportView(ComplianceMixin, View):
    """The compliance table as CSV (UTF-8 with BOM), streamed a chunk of agents at a time."""

    chunk = 500

    def get(self, request):
        now = timezone.now()
        requirements = reports.active_requirements()
        agents = reports.compliance_agents(request.user, self.team())
        writer = csv_writer(Echo())

        def rows():
            yield "\ufeff" + writer.writerow([_("username"), _("name"), _("teams"),
                                              *[f"{r.code} {r.name}" for r in requirements]])
            ids = list(agents.values_list("pk", flat=True))
            for start in range(0, len(ids), self.chunk):
                chunk_ids = ids[start:start + self.chunk]
                people = {u.pk: u for u in get_user_model().objects.filter(pk__in=chunk_ids)}
                cells = reports.compliance_cells(chunk_ids, requirements, now=now)
                teams = reports.teams_of(chunk_ids)
                for agent_id in chunk_ids:
                    agent = people[agent_id]
                    values = []
                    for requirement in requirements:
                        cell = cells[agent_id, requirement.pk]
                        values.append(f"{cell.state} {cell.until:%Y-%m-%d}" if cell.until else cell.state)
                    yield writer.writerow([agent.get_username(), agent.get_full_name(), " / ".join(
                        teams.get(agent_id, [])), *values])

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="compliance.csv"'
        return response


class RecordView(LoginRequiredMixin, TemplateView):
    """An agent's training record: cabin attempts with scores, certifications, offline courses, and
    their live service figures of the last 30 days beside them."""

    template_name = "training/record.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        User = get_user_model()
        agent_id = self.kwargs.get("user_id") or user.pk
        if not has_action(user, Attempt, "view"):
            raise PermissionDenied(_("Your role does not allow this."))
        visible = visible_agent_ids(user)
        agent = User.objects.filter(pk=agent_id).first()
        if agent is None or (visible is not None and not visible.filter(pk=agent_id).exists()):
            raise Http404
        now = timezone.now()
        context.update(
            title=_("Training record: %(name)s") % {"name": person_name(agent)},
            agent=agent,
            attempts=restrict(Attempt.objects.filter(agent=agent), user, "view").select_related("scenario")
            .order_by("-started_at")[:100],
            certifications=restrict(Certification.objects.filter(agent=agent), user, "view")
            .select_related("requirement").order_by("-granted_at"),
            courses=restrict(OfflineCourse.objects.filter(agent=agent), user, "view").order_by("-date"),
            live=reports.agent_live_figures(agent, now=now), now=now,
        )
        return context


class CourseListView(RestrictedListView):
    model = OfflineCourse
    table_class = OfflineCourseTable
    filterset_class = OfflineCourseFilterSet
    title = gettext_lazy("Offline courses")
    template_name = "training/course_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("agent").order_by("-date", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add"] = has_action(self.request.user, OfflineCourse, "add")
        return context


class CourseImportView(RestrictedViewMixin, View):
    model = OfflineCourse
    permission_action = "add"
    template_name = "training/course_import.html"

    def get(self, request):
        return render(request, self.template_name, {"form": CourseImportForm(), "title": _("Import offline courses")})

    def post(self, request):
        form = CourseImportForm(request.POST, request.FILES)
        errors = []
        if form.is_valid():
            visible = visible_agent_ids(request.user)
            allowed = None if visible is None else set(visible.values_list("pk", flat=True))
            stored, errors = services.import_courses(form.cleaned_data["file"].read(), actor=request.user,
                                                     now=timezone.now(), allowed_user_ids=allowed)
            if not errors:
                messages.success(request, _("%(n)d course record(s) imported.") % {"n": stored})
                return redirect("training:course_list")
        return render(request, self.template_name, {"form": form, "errors": errors,
                                                    "title": _("Import offline courses")}, status=400)


class MetricsView(RestrictedViewMixin, TemplateView):
    """Pass rate, attempts until pass, days to certify, and the live service of certified vs
    not-yet-certified agents on the same queues, over the last `days` days (default 90)."""

    model = Attempt
    template_name = "training/metrics.html"

    def get_context_data(self, **kwargs):
        from datetime import timedelta

        context = super().get_context_data(**kwargs)
        now = timezone.now()
        try:
            days = max(1, min(365, int(self.request.GET.get("days", 90))))
        except ValueError:
            days = 90
        start = now - timedelta(days=days)
        visible = visible_agent_ids(self.request.user)
        agents = None if visible is None else list(visible.values_list("pk", flat=True))
        context.update(title=_("Training metrics"), days=days,
                       cabin=reports.cabin_metrics(start=start, end=now, agents=agents),
                       live=reports.live_comparison(start=start, end=now, now=now, agents=agents))
        return context

