"""The training lists' tables (django-tables2)."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from portal import pii
from portal.formatting import person_name
from tickets.models import Ticket
from training.models import Assignment, Attempt, OfflineCourse, Scenario
from training.scrub import ticket_scrubber

STATE_CLASS = {"completed": "ok", "graded": "ok", "overdue": "bad", "in_progress": "warn", "submitted": "warn",
               "published": "ok", "draft": "muted"}


def badge(value, label):
    return format_html('<span class="status {}" data-state="{}">{}</span>', STATE_CLASS.get(value, ""), value, label)


def person(user):
    return person_name(user, "—")


class ScenarioTable(tables.Table):
    title = tables.Column(verbose_name=gettext_lazy("title"), linkify=("training:scenario", {"pk": tables.A("pk")}))
    product_line = tables.Column(verbose_name=gettext_lazy("product line"))
    difficulty = tables.Column(verbose_name=gettext_lazy("difficulty"))
    channel = tables.Column(verbose_name=gettext_lazy("channel"))
    status = tables.Column(verbose_name=gettext_lazy("status"))
    updated_at = tables.DateTimeColumn(verbose_name=gettext_lazy("updated at"), format="Y-m-d H:i")

    class Meta:
        model = Scenario
        fields = ["title", "product_line", "difficulty", "channel", "status", "updated_at"]
        default_columns = fields
        attrs = {"class": "table", "data-testid": "scenario-table"}

    def render_status(self, record, value):
        return badge(record.status, value)


class AssignmentTable(tables.Table):
    scenario = tables.Column(verbose_name=gettext_lazy("scenario"), accessor="scenario__title")
    agent = tables.Column(verbose_name=gettext_lazy("agent"))
    due_at = tables.DateTimeColumn(verbose_name=gettext_lazy("due"), format="Y-m-d H:i")
    status = tables.Column(verbose_name=gettext_lazy("status"))
    assigned_by = tables.Column(verbose_name=gettext_lazy("assigned by"))

    class Meta:
        model = Assignment
        fields = ["scenario", "agent", "due_at", "status", "assigned_by"]
        default_columns = fields
        attrs = {"class": "table", "data-testid": "assignment-table"}
        row_attrs = {"data-id": lambda record: record.pk}

    def render_agent(self, value):
        return person(value)

    def render_assigned_by(self, value):
        return person(value)

    def render_status(self, record, value):
        return badge(record.status, value)


class AttemptTable(tables.Table):
    id = tables.Column(verbose_name="#", linkify=("training:attempt", {"pk": tables.A("pk")}))
    scenario = tables.Column(verbose_name=gettext_lazy("scenario"), accessor="scenario__title")
    agent = tables.Column(verbose_name=gettext_lazy("agent"))
    status = tables.Column(verbose_name=gettext_lazy("status"))
    submitted_at = tables.DateTimeColumn(verbose_name=gettext_lazy("submitted at"), format="Y-m-d H:i")
    score = tables.Column(verbose_name=gettext_lazy("score"))
    passed = tables.BooleanColumn(verbose_name=gettext_lazy("passed"))

    class Meta:
        model = Attempt
        fields = ["id", "scenario", "agent", "status", "submitted_at", "score", "passed"]
        default_columns = fields
        attrs = {"class": "table", "data-testid": "attempt-table"}

    def render_agent(self, value):
        return person(value)

    def render_status(self, record, value):
        return badge(record.status, value)


class OfflineCourseTable(tables.Table):
    agent = tables.Column(verbose_name=gettext_lazy("agent"))
    course = tables.Column(verbose_name=gettext_lazy("course"))
    date = tables.DateColumn(verbose_name=gettext_lazy("date"), format="Y-m-d")
    hours = tables.Column(verbose_name=gettext_lazy("hours"))
    trainer = tables.Column(verbose_name=gettext_lazy("trainer"))
    result = tables.Column(verbose_name=gettext_lazy("result"))
    attachment = tables.FileColumn(verbose_name=gettext_lazy("attachment"))

    class Meta:
        model = OfflineCourse
        fields = ["agent", "course", "date", "hours", "trainer", "result", "attachment"]
        default_columns = fields
        attrs = {"class": "table", "data-testid": "course-table"}
        row_attrs = {"data-id": lambda record: record.pk}

    def render_agent(self, value):
        return person(value)


class CandidateTable(tables.Table):
    id = tables.Column(verbose_name="#")
    store = tables.Column(verbose_name=gettext_lazy("store"), accessor="store__name")
    subject = tables.Column(verbose_name=gettext_lazy("subject"))
    category = tables.Column(verbose_name=gettext_lazy("category"))
    reasons = tables.Column(verbose_name=gettext_lazy("why"), empty_values=(), orderable=False)
    created_at = tables.DateTimeColumn(verbose_name=gettext_lazy("created at"), format="Y-m-d H:i")
    case = tables.Column(verbose_name="", empty_values=(), orderable=False)

    class Meta:
        model = Ticket
        fields = ["id", "store", "subject", "category", "reasons", "created_at", "case"]
        default_columns = fields
        attrs = {"class": "table", "data-testid": "candidate-table"}
        row_attrs = {"data-id": lambda record: record.pk}
        orderable = False

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def render_subject(self, record, value):
        """Trainers work on the scrubbed side: the subject is scrubbed unless the ticket's PII rule lets
        the viewer see it (`portal.pii.may_see` answers from loaded columns and cached roles)."""
        if pii.may_see(self.user, record):
            return value
        return ticket_scrubber(record).scrub(value).text

    def render_reasons(self, record):
        from django.utils.translation import gettext as _

        reasons = []
        if getattr(record, "escalated", False):
            reasons.append(_("escalated to level 2+"))
        if record.rating is not None and record.rating <= 2:
            reasons.append(_("rated %(n)d") % {"n": record.rating})
        if record.is_major:
            reasons.append(_("major complaint"))
        if getattr(record, "contested", False):
            reasons.append(_("contested refund"))
        return ", ".join(reasons)

    def render_case(self, record):
        from django.urls import reverse
        from django.utils.translation import gettext as _

        return format_html('<a href="{}">{}</a>', reverse("training:case_from_ticket", args=[record.pk]),
                           _("Make a cabin case"))
