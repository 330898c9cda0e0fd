"""Domain operations of the simulation cabin and the training records: every write goes through here.

Each function runs in one transaction, takes keyword-only `actor=` and `now=` (never the clock),
and queues the notifications it causes through the outbox. Access checks (may this user act on this
row?) are the caller's, through `restrict`/`access`; domain rules are enforced here with
ValidationError (field errors a form or the API shows at the field).
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.formatting import person_name
from portal.inputs import in_year_range, iso_date, year_range_message
from portal.models import Membership, Notification
from portal.notifications import queue_notification, queue_notifications
from portal.roles import Role
from training import scoring
from training.models import (
    Assignment,
    Attempt,
    Certification,
    CertificationRequirement,
    Grade,
    OfflineCourse,
    Rubric,
    RubricCategory,
    Scale,
    Scenario,
    Statement,
    valid_q,
)

MAX_TURNS = 30
MAX_TEXT = 4000
MAX_ANSWER = 4000
MAX_LIST = 20
LEAD_ROLES = [Role.TEAM_LEAD]
EXPIRY_NOTICE = timedelta(days=14)


# --- Rubrics ------------------------------------------------------------------------------------


def clean_categories(categories) -> list[dict]:
    """Type-check a rubric's categories (a list of dicts) and return them normalised."""
    if not isinstance(categories, list) or not categories:
        raise ValidationError({"categories": _("Give at least one category.")})
    if len(categories) > MAX_LIST:
        raise ValidationError({"categories": _("At most %(n)d categories.") % {"n": MAX_LIST}})
    cleaned = []
    for number, item in enumerate(categories, start=1):
        if not isinstance(item, dict):
            raise ValidationError({"categories": _("Category %(n)d is not an object.") % {"n": number}})
        name = item.get("name")
        scale = item.get("scale", Scale.FIVE)
        weight = item.get("weight", 10)
        critical = item.get("critical", False)
        hints = item.get("hints", [])
        problems = []
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            problems.append(_("a name of 1 to 100 characters"))
        if scale not in Scale.values:
            problems.append(_("a scale: binary, 3, 4 or 5"))
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 100:
            problems.append(_("a weight from 0 to 100"))
        if not isinstance(critical, bool):
            problems.append(_("critical true or false"))
        if not isinstance(hints, list) or len(hints) > MAX_LIST or not all(
                isinstance(h, str) and len(h) <= 50 for h in hints):
            problems.append(_("hints as a list of up to 20 words"))
        if problems:
            raise ValidationError({"categories": _("Category %(n)d needs %(what)s.") % {
                "n": number, "what": ", ".join(str(p) for p in problems)}})
        cleaned.append({"name": name.strip(), "scale": scale, "weight": weight, "critical": critical,
                        "hints": [h.strip() for h in hints if h.strip()]})
    return cleaned


def save_rubric(rubric: Rubric | None, *, name: str, categories, actor, now) -> Rubric:
    """Create a rubric, or change one. A rubric that already graded attempts is never changed in
    place: the change becomes a new version (the scenarios move to it; old attempts keep theirs)."""
    categories = clean_categories(categories)
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": _("Name the rubric.")})
    with transaction.atomic():
        if rubric is None:
            rubric = Rubric.objects.create(name=name.strip(), created_at=now, created_by=actor)
        else:
            rubric = Rubric.objects.select_for_update().get(pk=rubric.pk)
            old = [c.signature() for c in rubric.categories.all()]
            new = [(c["name"], c["scale"], c["weight"], c["critical"], tuple(c["hints"])) for c in categories]
            if old == new and rubric.name == name.strip():
                return rubric
            if Attempt.objects.filter(rubric=rubric, status=Attempt.Status.GRADED).exists():
                previous = rubric
                Rubric.objects.filter(family=previous.family).update(is_current=False)
                rubric = Rubric.objects.create(family=previous.family, version=previous.version + 1,
                                               name=name.strip(), created_at=now, created_by=actor)
                Scenario.objects.filter(rubric=previous).update(rubric=rubric, updated_at=now)
            else:
                rubric.name = name.strip()
                rubric.save(update_fields=["name"])
                rubric.categories.all().delete()
        RubricCategory.objects.bulk_create(
            RubricCategory(rubric=rubric, position=n, **c) for n, c in enumerate(categories, start=1))
    return rubric


# --- Scenarios ----------------------------------------------------------------------------------


def _word_list(value, field, label):
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [line for line in value.splitlines()]
    if not isinstance(value, list) or len(value) > MAX_LIST or not all(isinstance(v, str) and len(v) <= 200
                                                                       for v in value):
        raise ValidationError({field: _("%(label)s: a list of up to 20 phrases.") % {"label": label}})
    return [v.strip() for v in value if v.strip()]


def clean_turns(turns) -> list[dict]:
    """Type-check the customer's turns and return them normalised."""
    if not isinstance(turns, list) or not turns:
        raise ValidationError({"turns": _("Give at least one customer turn.")})
    if len(turns) > MAX_TURNS:
        raise ValidationError({"turns": _("At most %(n)d turns.") % {"n": MAX_TURNS}})
    cleaned = []
    for number, turn in enumerate(turns, start=1):
        if not isinstance(turn, dict):
            raise ValidationError({"turns": _("Turn %(n)d is not an object.") % {"n": number}})
        text = turn.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise ValidationError({"turns": _("Turn %(n)d needs the customer's text (up to 4000 characters).") % {
                "n": number}})
        limit = turn.get("time_limit", 120)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= 3600:
            raise ValidationError({"turns": _("Turn %(n)d: the time limit is 0 to 3600 seconds.") % {"n": number}})
        model_answer = turn.get("model_answer", "")
        if not isinstance(model_answer, str) or len(model_answer) > MAX_TEXT:
            raise ValidationError({"turns": _("Turn %(n)d: the model answer is text of up to 4000 characters.") % {
                "n": number}})
        cleaned.append({
            "text": text.strip(), "time_limit": limit, "model_answer": model_answer.strip(),
            "points": _word_list(turn.get("points"), "turns", _("Turn %(n)d points") % {"n": number}),
            "forbidden": _word_list(turn.get("forbidden"), "turns", _("Turn %(n)d forbidden phrases") % {"n": number}),
        })
    return cleaned


SCENARIO_FIELDS = ["title", "product_line", "category", "difficulty", "channel", "persona_mood",
                   "persona_background", "context", "turns", "pass_mark", "tags", "rubric", "status"]


def _apply(scenario, fields):
    unknown = set(fields) - set(SCENARIO_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
    if "turns" in fields:
        fields["turns"] = clean_turns(fields["turns"])
    if "tags" in fields:
        fields["tags"] = _word_list(fields["tags"], "tags", _("Tags"))
    for name, value in fields.items():
        setattr(scenario, name, value if value is not None or name in ("product_line",) else "")
    if not (scenario.title or "").strip():
        raise ValidationError({"title": _("Give the scenario a title.")})
    if scenario.rubric_id is None:
        raise ValidationError({"rubric": _("Choose the rubric it is graded on.")})
    scenario.full_clean(exclude=["rubric", "product_line", "created_by", "turns", "tags"])


def create_scenario(*, actor, now, source_ticket=None, **fields) -> Scenario:
    """A new scenario (a draft unless `status` says published)."""
    with transaction.atomic():
        if "rubric" not in fields or fields["rubric"] is None:
            fields["rubric"] = default_rubric(actor=actor, now=now)
        scenario = Scenario(created_by=actor, created_at=now, updated_at=now,
                            source_ticket_id=getattr(source_ticket, "pk", source_ticket))
        _apply(scenario, fields)
        scenario.save()
    return scenario


def update_scenario(scenario, *, actor, now, **fields) -> Scenario:
    with transaction.atomic():
        scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
        _apply(scenario, fields)
        scenario.updated_at = now
        scenario.save()
    return scenario


DEFAULT_RUBRIC = [
    {"name": "共情与安抚 Empathy", "scale": "5", "weight": 25, "critical": False,
     "hints": ["抱歉", "理解", "着急", "sorry", "understand"]},
    {"name": "问题解决 Resolution", "scale": "5", "weight": 35, "critical": False,
     "hints": ["为您", "安排", "处理", "补发", "退款"]},
    {"name": "合规与承诺 Compliance", "scale": "binary", "weight": 20, "critical": True,
     "hints": ["核实", "按照", "规定"]},
    {"name": "跟进 Follow-up", "scale": "3", "weight": 20, "critical": False,
     "hints": ["跟进", "联系您", "回电", "通知您"]},
]


DEFAULT_RUBRIC_NAME = "标准服务评分 Standard service"


def current_default_rubric() -> Rubric | None:
    """The current version of the standard service rubric, or None before its first use (reads only)."""
    return Rubric.objects.filter(is_current=True, name=DEFAULT_RUBRIC_NAME).order_by("-version").first()


def default_rubric(*, actor, now) -> Rubric:
    """The current version of the standard service rubric (created on first use)."""
    return current_default_rubric() or save_rubric(None, name=DEFAULT_RUBRIC_NAME, categories=DEFAULT_RUBRIC,
                                                   actor=actor, now=now)


# --- A cabin case from a real ticket ----------------------------------------------------------------


def ticket_conversation(ticket) -> list[dict]:
    """The ticket's conversation in order: `{"speaker": "customer"|"staff", "text"}` from the
    customer's messages, the created entry's description and the public replies."""
    from tickets.models import TimelineEntry

    kinds = [TimelineEntry.Kind.CREATED, TimelineEntry.Kind.CUSTOMER_MESSAGE, TimelineEntry.Kind.REPLY]
    lines = []
    for entry in ticket.timeline.filter(kind__in=kinds).order_by("at", "id"):
        if not (entry.body or "").strip():
            continue
        speaker = "staff" if entry.kind == TimelineEntry.Kind.REPLY else "customer"
        if entry.kind == TimelineEntry.Kind.CREATED and ticket.channel == "chat":
            continue  # a chat ticket's first customer message is also its own entry
        lines.append({"speaker": speaker, "text": entry.body.strip()})
    if not lines and ticket.subject:
        lines.append({"speaker": "customer", "text": ticket.subject})
    return lines


def staff_names(ticket) -> list[str]:
    """The names of the staff who worked the ticket (assignee, timeline actors), to scrub."""
    User = get_user_model()
    ids = set(ticket.timeline.exclude(actor=None).values_list("actor_id", flat=True))
    if ticket.assignee_id:
        ids.add(ticket.assignee_id)
    names = []
    for first, last in User.objects.filter(pk__in=ids).values_list("first_name", "last_name"):
        names += [first, last, f"{first} {last}".strip()]
    return [n for n in names if n and len(n) >= 2]


def draft_from_ticket(ticket):
    """The scrubbed draft of a case from `ticket` (nothing written): `(fields, preview)` where
    `preview` lists each line's original and scrubbed text with the replacements."""
    from training.scrub import ticket_scrubber

    scrubber = ticket_scrubber(ticket, staff_names(ticket))
    preview, turns, pending_answer = [], [], []
    for line in ticket_conversation(ticket):
        result = scrubber.scrub(line["text"])
        preview.append({"speaker": line["speaker"], "scrubbed": result})
        if line["speaker"] == "customer":
            if turns and pending_answer:
                turns[-1]["model_answer"] = "\n".join(pending_answer)
            pending_answer = []
            turns.append({"text": result.text, "points": [], "forbidden": [], "time_limit": 120,
                          "model_answer": ""})
        else:
            pending_answer.append(result.text)
    if turns and pending_answer:
        turns[-1]["model_answer"] = "\n".join(pending_answer)
    context = scrubber.scrub(_("Order %(order)s, channel %(channel)s, category %(category)s.") % {
        "order": ticket.order_no or "—", "channel": ticket.get_channel_display(),
        "category": ticket.get_category_display()}).text
    fields = {
        "title": scrubber.scrub(ticket.subject or "").text[:200] or _("Case from a ticket"),
        "category": ticket.category, "channel": "phone" if ticket.channel == "phone" else "chat",
        "difficulty": "hard" if ticket.is_major else "medium", "context": context,
        "persona_mood": _("Upset") if (ticket.is_major or (ticket.rating or 5) <= 2) else "",
        "turns": turns or [{"text": "", "points": [], "forbidden": [], "time_limit": 120, "model_answer": ""}],
    }
    return fields, preview


def make_case(ticket, *, actor, now, **fields) -> Scenario:
    """Save a (trainer-edited) draft made from `ticket` as a draft scenario linked to it."""
    if ticket.is_open:
        raise ValidationError({"ticket": _("Only a resolved or closed ticket can become a case.")})
    return create_scenario(actor=actor, now=now, source_ticket=ticket, **fields)


# --- Assignments and attempts --------------------------------------------------------------------


def _notify(user, subject, *, link, source, now, body=""):
    queue_notification(recipient=user, channel=Notification.Channel.IN_APP, subject=subject, body=body,
                       link=link, source=source, now=now)


def assign_scenario(scenario, *, agents=(), team=None, due_at, actor, now) -> list[Assignment]:
    """Assign `scenario` to agents, or to every working member of `team`, due `due_at`. An agent who
    already has an open assignment of it keeps that one."""
    if scenario.status != Scenario.Status.PUBLISHED:
        raise ValidationError({"scenario": _("Publish the scenario before assigning it.")})
    if due_at is None or due_at <= now:
        raise ValidationError({"due_at": _("The due date must be in the future.")})
    agents = list(agents)
    if team is not None:
        agents += list(get_user_model().objects.filter(
            memberships__team=team, memberships__role=Role.AGENT, is_active=True))
    if not agents:
        raise ValidationError({"agents": _("Choose the agents or a team.")})
    with transaction.atomic():
        open_ids = set(Assignment.objects.filter(scenario=scenario, agent__in=agents).exclude(
            status=Assignment.Status.COMPLETED).values_list("agent_id", flat=True))
        created = Assignment.objects.bulk_create(
            Assignment(scenario=scenario, agent=agent, team=team, due_at=due_at, assigned_by=actor, assigned_at=now)
            for agent in {a.pk: a for a in agents}.values() if agent.pk not in open_ids)
        link = reverse("training:my_training")
        queue_notifications([
            {"recipient": a.agent, "channel": Notification.Channel.IN_APP, "link": link,
             "subject": _("Cabin training: %(title)s, due %(due)s") % {"title": scenario.title,
                                                                         "due": due_at.strftime("%Y-%m-%d")},
             "source": f"training:assignment:{a.scenario_id}"} for a in created], now=now)
    return created


def start_attempt(scenario, *, agent, actor, now, assignment=None) -> Attempt:
    """Start an attempt; the first customer turn is shown now. An attempt already in progress for
    the same scenario is returned instead of a second one."""
    with transaction.atomic():
        if assignment is not None:
            assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
            if assignment.agent_id != agent.pk:
                raise ValidationError({"assignment": _("This assignment is someone else's.")})
            scenario = assignment.scenario
        elif scenario.status != Scenario.Status.PUBLISHED:
            raise ValidationError({"scenario": _("This scenario is not published.")})
        running = Attempt.objects.filter(scenario=scenario, agent=agent, status=Attempt.Status.IN_PROGRESS).first()
        if running is not None:
            return running
        attempt = Attempt.objects.create(scenario=scenario, agent=agent, assignment=assignment,
                                         rubric=scenario.rubric, started_at=now,
                                         answers=[{"shown_at": now.isoformat(), "answered_at": None,
                                                   "seconds": None, "text": ""}])
        # Only a pending assignment becomes in progress: an overdue one stays overdue (else the
        # hourly sweep would mark it overdue again and tell the leads a second time).
        if assignment is not None and assignment.status == Assignment.Status.PENDING:
            assignment.status = Assignment.Status.IN_PROGRESS
            assignment.save(update_fields=["status"])
    return attempt


def _lock(attempt) -> Attempt:
    return Attempt.objects.select_for_update().select_related("scenario", "rubric").get(pk=attempt.pk)


def answer_turn(attempt, *, text, actor, now) -> Attempt:
    """Record the agent's answer to the customer's current turn (the time since it was shown is the
    turn's time) and show the next turn."""
    from datetime import datetime

    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"text": _("Write your answer.")})
    if len(text) > MAX_ANSWER:
        raise ValidationError({"text": _("At most 4000 characters.")})
    with transaction.atomic():
        attempt = _lock(attempt)
        if attempt.status != Attempt.Status.IN_PROGRESS:
            raise ValidationError({"text": _("The attempt was submitted.")})
        current = attempt.answers[-1]
        if current.get("answered_at"):
            raise ValidationError({"text": _("Every turn is answered: submit the attempt.")})
        shown = datetime.fromisoformat(current["shown_at"])
        current.update(text=text.strip(), answered_at=now.isoformat(),
                       seconds=max(0, int((now - shown).total_seconds())))
        if len(attempt.answers) < len(attempt.scenario.turns):
            attempt.answers.append({"shown_at": now.isoformat(), "answered_at": None, "seconds": None, "text": ""})
        attempt.save(update_fields=["answers"])
    return attempt


def submit_attempt(attempt, *, actor, now) -> Attempt:
    """Hand the attempt in: the pre-score is computed, a "completed" statement is written, the
    assignment is completed and the trainers may grade it."""
    with transaction.atomic():
        attempt = _lock(attempt)
        if attempt.status != Attempt.Status.IN_PROGRESS:
            raise ValidationError({"status": _("The attempt was already submitted.")})
        if attempt.answered < len(attempt.scenario.turns):
            raise ValidationError({"status": _("Answer every turn before submitting.")})
        attempt.status = Attempt.Status.SUBMITTED
        attempt.submitted_at = now
        attempt.prescore = scoring.prescore(attempt.scenario.turns, attempt.answers, attempt.rubric.categories.all())
        attempt.save(update_fields=["status", "submitted_at", "prescore"])
        Statement.objects.create(attempt=attempt, verb=Statement.Verb.COMPLETED, timestamp=now,
                                 duration_seconds=attempt.duration_seconds)
        if attempt.assignment_id:
            Assignment.objects.filter(pk=attempt.assignment_id).exclude(status=Assignment.Status.COMPLETED).update(
                status=Assignment.Status.COMPLETED, completed_at=now)
    return attempt


def _selected(value, category):
    low, high = category.bounds
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError({f"category_{category.pk}": _("%(name)s: choose %(low)d to %(high)d or N/A.") % {
            "name": category.name, "low": low, "high": high}})
    return value


def grade_attempt(attempt, *, grades: dict, feedback="", actor, now) -> Attempt:
    """Grade a submitted attempt: `grades` maps each category id of the attempt's rubric to
    `(selected or None for N/A, comment)`. Computes the score (scoring.attempt_score), passed or
    not, writes the passed/failed statement, tells the agent and grants certifications now met.
    Grading again replaces the grades (and adds a statement)."""
    with transaction.atomic():
        attempt = _lock(attempt)
        if attempt.status == Attempt.Status.IN_PROGRESS:
            raise ValidationError({"status": _("The attempt is not submitted yet.")})
        categories = list(attempt.rubric.categories.all())
        if not isinstance(grades, dict):
            raise ValidationError({"grades": _("Grade each category.")})
        missing = [c.name for c in categories if c.pk not in grades]
        unknown = set(grades) - {c.pk for c in categories}
        if missing or unknown:
            raise ValidationError({"grades": _("Grade exactly the rubric's categories (missing: %(names)s).") % {
                "names": ", ".join(missing) or "—"}})
        rows, rated = [], []
        for category in categories:
            value, comment = grades[category.pk]
            selected = _selected(value, category)
            if not isinstance(comment, str) or len(comment) > 2000:
                raise ValidationError({f"category_{category.pk}": _("A comment of up to 2000 characters.")})
            rows.append(Grade(attempt=attempt, category=category, selected=selected, comment=comment.strip()))
            rated.append((selected, category.bounds, category.weight, category.critical))
        score = scoring.attempt_score(rated)
        if score is None:
            raise ValidationError({"grades": _("Rate at least one category with a weight (not all N/A).")})
        Grade.objects.filter(attempt=attempt).delete()
        Grade.objects.bulk_create(rows)
        attempt.score = score
        attempt.passed = score >= attempt.scenario.pass_mark
        attempt.status = Attempt.Status.GRADED
        attempt.graded_at = now
        attempt.graded_by = actor
        attempt.feedback = (feedback or "").strip()[:4000]
        attempt.save(update_fields=["score", "passed", "status", "graded_at", "graded_by", "feedback"])
        Statement.objects.create(attempt=attempt, verb=Statement.Verb.PASSED if attempt.passed else Statement.Verb.FAILED,
                                 timestamp=now, score=score, duration_seconds=attempt.duration_seconds)
        _notify(attempt.agent, _("Your cabin attempt was graded: %(score)s (%(result)s)") % {
            "score": score, "result": _("passed") if attempt.passed else _("not passed")},
            link=reverse("training:attempt", args=[attempt.pk]), source=f"training:attempt:{attempt.pk}", now=now)
        grant_certifications(attempt.agent, actor=actor, now=now)
    return attempt


# --- Certifications ----------------------------------------------------------------------------------


def covered_scenarios(requirement) -> Q:
    """The scenarios a requirement covers, as a condition over attempts' `scenario`."""
    condition = Q(scenario__in=requirement.scenarios.all())
    for tag in requirement.tags or []:
        condition |= Q(scenario__tags__contains=[tag]) if _json_contains_ok() else Q(scenario__tags__icontains=tag)
    return condition


def _json_contains_ok() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def grant_certifications(agent, *, actor, now) -> list[Certification]:
    """Grant each active requirement `agent` now meets (its passes at its minimum score within its
    validity window) and does not already hold for more than 30 days."""
    granted = []
    for requirement in CertificationRequirement.objects.filter(is_active=True).prefetch_related("scenarios"):
        window = now - timedelta(days=requirement.validity_days)
        attempts = Attempt.objects.filter(agent=agent, status=Attempt.Status.GRADED, passed=True,
                                          score__gte=requirement.min_score, graded_at__gt=window)
        attempts = attempts.filter(covered_scenarios(requirement))
        if requirement.tags and not _json_contains_ok():  # SQLite: match whole tags in Python
            wanted = set(requirement.tags)
            ids = set(requirement.scenarios.values_list("pk", flat=True))
            count = sum(1 for a in attempts.select_related("scenario")
                        if a.scenario_id in ids or wanted & set(a.scenario.tags or []))
        else:
            count = attempts.count()
        if count < requirement.passes_needed:
            continue
        holding = Certification.objects.filter(requirement=requirement, agent=agent).filter(valid_q(now)).filter(
            expires_at__gt=now + timedelta(days=30)).exists()
        if holding:
            continue
        cert = Certification.objects.create(requirement=requirement, agent=agent, granted_at=now,
                                            expires_at=now + timedelta(days=requirement.validity_days))
        _notify(agent, _("Certified: %(name)s, valid until %(date)s") % {
            "name": requirement.name, "date": cert.expires_at.strftime("%Y-%m-%d")},
            link=reverse("training:my_record"), source=f"training:certification:{cert.pk}", now=now)
        granted.append(cert)
    return granted


def _leads_of(user_ids) -> dict[int, list[int]]:
    """The team leads of each user's teams (one query)."""
    team_of: dict[int, set[int]] = {}
    for user_id, team_id in Membership.objects.filter(user_id__in=user_ids).values_list("user_id", "team_id"):
        team_of.setdefault(user_id, set()).add(team_id)
    leads: dict[int, set[int]] = {}
    for team_id, lead_id in Membership.objects.filter(
            team_id__in={t for ts in team_of.values() for t in ts}, role__in=LEAD_ROLES).values_list("team_id",
                                                                                                      "user_id"):
        leads.setdefault(team_id, set()).add(lead_id)
    return {uid: sorted({lead for t in teams for lead in leads.get(t, ())} - {uid}) for uid, teams in team_of.items()}


def mark_overdue_assignments(*, now) -> int:
    """Assignments past their due date and not completed become overdue; the agent's team leads
    are told (one message per assignment and lead). Set-based; safe to run concurrently."""
    with transaction.atomic():
        due = list(Assignment.objects.select_for_update(skip_locked=True).filter(
            status__in=[Assignment.Status.PENDING, Assignment.Status.IN_PROGRESS], due_at__lt=now)
            .select_related("scenario", "agent"))
        if not due:
            return 0
        Assignment.objects.filter(pk__in=[a.pk for a in due]).update(status=Assignment.Status.OVERDUE)
        leads = _leads_of({a.agent_id for a in due})
        link = reverse("training:assignment_list") + "?status=overdue"
        queue_notifications([
            {"recipient_id": lead, "channel": Notification.Channel.IN_APP, "link": link,
             "subject": _("Cabin training overdue: %(agent)s, %(title)s") % {
                 "agent": person_name(a.agent), "title": a.scenario.title},
             "source": f"training:overdue:{a.pk}"}
            for a in due for lead in leads.get(a.agent_id, [])], now=now)
    return len(due)


def notify_expiring_certifications(*, now) -> int:
    """Certifications expiring within 14 days (and not renewed) : the agent and their team leads
    are told once. Set-based."""
    with transaction.atomic():
        expiring = list(Certification.objects.select_for_update(skip_locked=True).filter(
            expiry_notified_at__isnull=True, expires_at__gt=now, expires_at__lte=now + EXPIRY_NOTICE)
            .select_related("requirement", "agent"))
        renewed = set(Certification.objects.filter(
            expires_at__gt=now + EXPIRY_NOTICE, agent_id__in={c.agent_id for c in expiring}).values_list(
            "agent_id", "requirement_id"))
        expiring = [c for c in expiring if (c.agent_id, c.requirement_id) not in renewed]
        if not expiring:
            return 0
        Certification.objects.filter(pk__in=[c.pk for c in expiring]).update(expiry_notified_at=now)
        leads = _leads_of({c.agent_id for c in expiring})
        messages = []
        for cert in expiring:
            subject = _("Certification %(name)s of %(agent)s expires on %(date)s") % {
                "name": cert.requirement.name, "agent": person_name(cert.agent),
                "date": cert.expires_at.strftime("%Y-%m-%d")}
            for recipient in [cert.agent_id, *leads.get(cert.agent_id, [])]:
                messages.append({"recipient_id": recipient, "channel": Notification.Channel.IN_APP,
                                 "subject": subject, "link": reverse("training:compliance"),
                                 "source": f"training:expiry:{cert.pk}"})
        queue_notifications(messages, now=now)
    return len(expiring)


# --- Offline courses -------------------------------------------------------------------------------


def record_course(*, agent, course, date, hours, trainer="", result="", attachment=None, actor, now) -> OfflineCourse:
    """Put a classroom course on an agent's record (the same course on the same day is updated)."""
    if not course or not str(course).strip():
        raise ValidationError({"course": _("Name the course.")})
    with transaction.atomic():
        row, _created = OfflineCourse.objects.update_or_create(
            agent=agent, course=str(course).strip()[:200], date=date,
            defaults={"hours": hours, "trainer": (trainer or "")[:100], "result": (result or "")[:100],
                      "recorded_by": actor, "recorded_at": now})
        if attachment:
            row.attachment = attachment
            row.save(update_fields=["attachment"])
    return row


COURSE_COLUMNS = ["username", "course", "date", "hours", "trainer", "result"]
# The text columns and their sizes (OfflineCourse): longer is refused, never cut.
COURSE_TEXT = {"course": 200, "trainer": 100, "result": 100}


def import_courses(data: bytes, *, actor, now, allowed_user_ids=None) -> tuple[int, list[str]]:
    """Import offline courses from CSV (UTF-8 with or without BOM, or GBK) with the columns
    username, course, date (YYYY-MM-DD), hours, trainer, result. Nothing is stored unless every
    row is valid; returns (rows stored, errors by line)."""
    for encoding in ("utf-8-sig", "gbk"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return 0, [_("The file is neither UTF-8 nor GBK text.")]
    reader = csv.DictReader(io.StringIO(text))
    try:
        if not reader.fieldnames or not set(COURSE_COLUMNS[:4]) <= {h.strip() for h in reader.fieldnames}:
            return 0, [_("The header must name: %(columns)s.") % {"columns": ", ".join(COURSE_COLUMNS)}]
        rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    except csv.Error as error:  # e.g. a field over the csv module's size limit
        return 0, [_("The file is not a readable CSV table: %(error)s") % {"error": str(error)[:200]}]
    if len(rows) > 5000:
        return 0, [_("At most 5000 rows per file.")]
    # A NUL cannot be stored as text, nor even looked up on PostgreSQL: such rows are refused first.
    damaged = {line for line, row in enumerate(rows, start=2) if any("\x00" in value for value in row.values())}
    users = {u.username: u for u in get_user_model().objects.filter(
        username__in={r.get("username") for line, r in enumerate(rows, start=2) if line not in damaged})}
    errors, parsed = [], []
    for line, row in enumerate(rows, start=2):
        if line in damaged:
            errors.append(_("Line %(n)d: a cell holds a NUL character; remove it.") % {"n": line})
            continue
        user = users.get(row.get("username"))
        if user is None or (allowed_user_ids is not None and user.pk not in allowed_user_ids):
            errors.append(_("Line %(n)d: no such agent in your scope: %(name)s") % {"n": line,
                                                                                  "name": row.get("username")})
            continue
        day = iso_date(row.get("date", ""))
        if day is None:
            errors.append(_("Line %(n)d: the date must be YYYY-MM-DD.") % {"n": line})
            continue
        if not in_year_range(day):
            errors.append(_("Line %(n)d: %(problem)s") % {"n": line, "problem": year_range_message(dates=True)})
            continue
        try:
            hours = Decimal(row.get("hours", ""))
            if not Decimal(0) <= hours <= Decimal(200):
                raise InvalidOperation
        except InvalidOperation:
            errors.append(_("Line %(n)d: hours must be a number from 0 to 200.") % {"n": line})
            continue
        if hours != hours.quantize(Decimal("0.1")):  # the record keeps one decimal: 1.25 is not rounded
            errors.append(_("Line %(n)d: hours have at most one decimal.") % {"n": line})
            continue
        if not row.get("course"):
            errors.append(_("Line %(n)d: the course is missing.") % {"n": line})
            continue
        too_long = next((name for name, size in COURSE_TEXT.items() if len(row.get(name, "")) > size), None)
        if too_long:
            errors.append(_("Line %(n)d: the %(column)s is longer than %(max)d characters.") % {
                "n": line, "column": too_long, "max": COURSE_TEXT[too_long]})
            continue
        parsed.append(dict(agent=user, course=row["course"], date=day, hours=hours, trainer=row.get("trainer", ""),
                           result=row.get("result", "")))
    if errors:
        return 0, errors
    with transaction.atomic():
        for item in parsed:
            record_course(**item, actor=actor, now=now)
    return len(parsed), []
