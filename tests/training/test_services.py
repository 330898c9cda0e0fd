"""The cabin's domain rules: the Zendesk QA score, attempts turn by turn, grading and what it
causes (statements, certifications, notices), rubric versions, overdue assignments, expiry notices,
the offline-course import."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from portal.models import Notification
from tests.training.factories import CATEGORIES, NOW
from training import services
from training.models import Assignment, Attempt, Certification, OfflineCourse, Rubric, Statement
from training.scoring import attempt_score, category_score

# --- The score, as Zendesk QA defines it --------------------------------------------------------------


def test_category_score_runs_from_the_scale_minimum_to_its_maximum():
    assert category_score(1, 1, 5) == 0
    assert category_score(4, 1, 5) == 75
    assert category_score(2, 1, 3) == 50
    assert category_score(1, 0, 1) == 100


def test_attempt_score_is_the_weighted_mean_over_categories_not_marked_na():
    # 75 x 40 + 50 x 40 (+ N/A) -> 62.5
    assert attempt_score([(4, (1, 5), 40, False), (2, (1, 3), 40, False), (None, (0, 1), 20, True)]) == Decimal("62.50")
    assert attempt_score([(5, (1, 5), 10, False), (1, (1, 5), 30, False)]) == Decimal("25.00")


def test_a_critical_category_below_50_makes_the_attempt_zero():
    assert attempt_score([(5, (1, 5), 80, False), (0, (0, 1), 20, True)]) == Decimal("0.00")
    assert attempt_score([(5, (1, 5), 80, False), (2, (1, 4), 20, True)]) == Decimal("0.00")  # 33.3 < 50
    assert attempt_score([(5, (1, 5), 80, False), (3, (1, 5), 20, True)]) == Decimal("90.00")  # 50 is not below 50


def test_all_na_has_no_score():
    assert attempt_score([(None, (1, 5), 40, False)]) is None


# --- Attempts -----------------------------------------------------------------------------------


def test_an_attempt_shows_one_turn_at_a_time_and_measures_each_turn(tw):
    attempt = tw.attempt(submit=False, answers=["Sorry, stop charging."], seconds=42)
    assert len(attempt.answers) == 2  # the first answered, the second shown now
    assert attempt.answers[0]["seconds"] == 42
    assert attempt.answers[1]["answered_at"] is None
    with pytest.raises(ValidationError):
        services.submit_attempt(attempt, actor=tw.agent, now=NOW + timedelta(minutes=5))
    attempt = services.answer_turn(attempt, text="Refund filed.", actor=tw.agent, now=NOW + timedelta(seconds=142))
    assert attempt.answers[1]["seconds"] == 100
    with pytest.raises(ValidationError):
        services.answer_turn(attempt, text="more", actor=tw.agent, now=NOW + timedelta(minutes=5))


def test_submitting_prescores_completes_the_assignment_and_writes_a_completed_statement(tw):
    attempt = tw.attempt(answers=["Sorry, please stop charging.", "It is your fault, no refund"], seconds=90)
    assert attempt.status == Attempt.Status.SUBMITTED
    assert attempt.assignment.status == Assignment.Status.COMPLETED
    checks = attempt.prescore["turns"]
    assert checks[0]["covered"] == ["stop charging", "sorry"] and checks[0]["in_time"] is False  # 90 s > 60 s
    assert checks[1]["covered"] == ["refund"] and checks[1]["in_time"] is True
    suggestions = attempt.prescore["categories"]
    assert set(suggestions) == {str(c.pk) for c in attempt.rubric.categories.all()}
    statement = Statement.objects.get(attempt=attempt)
    assert (statement.verb, statement.duration_seconds) == ("completed", 180)


def test_grading_scores_passes_tells_the_agent_and_certifies(tw):
    attempt = tw.grade(tw.attempt(), [5, 3, 1])
    assert (attempt.score, attempt.passed, attempt.status) == (Decimal("100.00"), True, "graded")
    assert list(Statement.objects.filter(attempt=attempt).values_list("verb", flat=True)) == ["completed", "passed"]
    cert = Certification.objects.get(agent=tw.agent, requirement=tw.requirement)
    assert cert.expires_at == NOW + timedelta(hours=1) + timedelta(days=365)
    subjects = list(Notification.objects.filter(recipient=tw.agent).values_list("subject", flat=True))
    assert any("graded" in s for s in subjects) and any("Certified" in s for s in subjects)


def test_a_critical_failure_fails_the_attempt_and_adds_a_failed_statement(tw):
    attempt = tw.grade(tw.attempt(), [5, 3, 0])
    assert (attempt.score, attempt.passed) == (Decimal("0.00"), False)
    assert Statement.objects.filter(attempt=attempt, verb="failed").exists()
    assert not Certification.objects.filter(agent=tw.agent).exists()


def test_grades_out_of_scale_or_missing_are_refused(tw):
    attempt = tw.attempt()
    categories = list(attempt.rubric.categories.all())
    with pytest.raises(ValidationError) as error:
        services.grade_attempt(attempt, grades={c.pk: (9, "") for c in categories}, actor=tw.trainer, now=NOW)
    assert f"category_{categories[0].pk}" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.grade_attempt(attempt, grades={categories[0].pk: (3, "")}, actor=tw.trainer, now=NOW)
    with pytest.raises(ValidationError):  # all N/A
        services.grade_attempt(attempt, grades={c.pk: (None, "") for c in categories}, actor=tw.trainer, now=NOW)


def test_changing_a_rubric_that_graded_attempts_makes_a_new_version(tw):
    graded = tw.grade(tw.attempt(), [4, 2, 1])
    changed = [dict(c) for c in CATEGORIES]
    changed[0]["weight"] = 60
    new = services.save_rubric(tw.rubric, name="Standard", categories=changed, actor=tw.trainer, now=NOW)
    assert new.pk != tw.rubric.pk and new.version == 2 and new.family == tw.rubric.family
    assert not Rubric.objects.get(pk=tw.rubric.pk).is_current
    graded.refresh_from_db()
    tw.scenario.refresh_from_db()
    assert graded.rubric_id == tw.rubric.pk  # the old attempt keeps its version
    assert tw.scenario.rubric_id == new.pk
    assert [c.weight for c in new.categories.all()] == [60, 40, 20]
    # A rubric without graded attempts is changed in place.
    again = services.save_rubric(new, name="Standard", categories=CATEGORIES, actor=tw.trainer, now=NOW)
    assert again.pk == new.pk and [c.weight for c in again.categories.all()] == [40, 40, 20]


def test_bad_turns_are_field_errors(tw):
    for turns in ([], "x", [{"text": ""}], [{"text": "hi", "time_limit": "60"}], [{"text": "hi", "points": [1]}]):
        with pytest.raises(ValidationError) as error:
            services.create_scenario(actor=tw.trainer, now=NOW, title="x", turns=turns, rubric=tw.rubric)
        assert "turns" in error.value.message_dict


# --- Sweeps -----------------------------------------------------------------------------------------


def test_overdue_assignments_tell_the_team_lead_once(tw):
    services.assign_scenario(tw.scenario, agents=[tw.agent, tw.agent2], due_at=NOW + timedelta(days=1),
                             actor=tw.trainer, now=NOW)
    assert services.mark_overdue_assignments(now=NOW + timedelta(hours=23)) == 0
    assert services.mark_overdue_assignments(now=NOW + timedelta(days=2)) == 2
    assert services.mark_overdue_assignments(now=NOW + timedelta(days=3)) == 0
    assert set(Assignment.objects.values_list("status", flat=True)) == {"overdue"}
    assert Notification.objects.filter(recipient=tw.lead, subject__contains="overdue").count() == 2


def test_starting_an_overdue_assignment_keeps_it_overdue_and_the_leads_are_not_told_again(tw):
    [assignment] = services.assign_scenario(tw.scenario, agents=[tw.agent], due_at=NOW + timedelta(days=1),
                                            actor=tw.trainer, now=NOW)
    assert services.mark_overdue_assignments(now=NOW + timedelta(days=2)) == 1
    services.start_attempt(tw.scenario, agent=tw.agent, assignment=assignment, actor=tw.agent,
                           now=NOW + timedelta(days=2, hours=1))
    assignment.refresh_from_db()
    assert assignment.status == "overdue"
    assert services.mark_overdue_assignments(now=NOW + timedelta(days=2, hours=2)) == 0
    assert Notification.objects.filter(recipient=tw.lead, subject__contains="overdue").count() == 1
    # A pending one does become in progress.
    [pending] = services.assign_scenario(tw.scenario, agents=[tw.agent2], due_at=NOW + timedelta(days=5),
                                         actor=tw.trainer, now=NOW)
    services.start_attempt(tw.scenario, agent=tw.agent2, assignment=pending, actor=tw.agent2, now=NOW)
    pending.refresh_from_db()
    assert pending.status == "in_progress"


def test_expiring_certifications_tell_the_agent_and_the_lead_14_days_before(tw):
    Certification.objects.create(requirement=tw.requirement, agent=tw.agent, granted_at=NOW - timedelta(days=300),
                                 expires_at=NOW + timedelta(days=20))
    assert services.notify_expiring_certifications(now=NOW) == 0
    assert services.notify_expiring_certifications(now=NOW + timedelta(days=7)) == 1
    assert services.notify_expiring_certifications(now=NOW + timedelta(days=8)) == 0
    for user in (tw.agent, tw.lead):
        assert Notification.objects.filter(recipient=user, subject__contains="expires").count() == 1


def test_a_team_assignment_reaches_every_agent_of_the_team_once(tw):
    created = services.assign_scenario(tw.scenario, team=tw.team, due_at=NOW + timedelta(days=1), actor=tw.trainer,
                                       now=NOW)
    assert {a.agent for a in created} == {tw.agent, tw.agent2}
    assert services.assign_scenario(tw.scenario, team=tw.team, due_at=NOW + timedelta(days=1), actor=tw.trainer,
                                    now=NOW) == []


# --- Offline courses --------------------------------------------------------------------------------


def test_the_course_import_stores_all_rows_or_none(tw):
    good = "username,course,date,hours,trainer,result\nagent_a,投诉处理,2026-02-01,3.5,陈芳,合格\n"
    assert services.import_courses(good.encode("utf-8-sig"), actor=tw.trainer, now=NOW) == (1, [])
    bad = good + "nobody,x,2026-02-01,1,,\nagent_a2,y,01/02/2026,1,,\nagent_a2,z,2026-02-01,-3,,\n"
    stored, errors = services.import_courses(bad.encode("gbk"), actor=tw.trainer, now=NOW)
    assert stored == 0 and len(errors) == 3 and errors[0].startswith("Line 3")
    assert OfflineCourse.objects.count() == 1
    assert services.import_courses(b"a,b\n1,2\n", actor=tw.trainer, now=NOW)[0] == 0
