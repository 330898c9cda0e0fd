"""The training API: an attempt worked through the API, grading, bad input as 400 field errors, the
xAPI statements endpoint and the compliance table."""

from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from portal.roles import Role
from tests.factories import make_team, make_user
from tests.training.factories import NOW, TURNS
from tickets import services as ticket_services
from training.api.views import StatementsView, iso_duration
from training.models import Attempt, Certification, Statement


def api(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_an_agent_works_an_attempt_through_the_api_and_a_trainer_grades_it(tw):
    trainer, agent = api(tw.trainer), api(tw.agent)
    due = (timezone.now() + timedelta(days=2)).isoformat()
    response = trainer.post("/api/v1/training/assignments/", {"scenario": tw.scenario.pk, "agents": [tw.agent.pk],
                                                              "due_at": due}, format="json")
    assert response.status_code == 201, response.content
    assignment = response.json()[0]["id"]
    response = agent.post("/api/v1/training/attempts/", {"assignment": assignment}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    attempt = body["id"]
    assert [t["customer"] for t in body["turns"]] == [TURNS[0]["text"]]  # one turn at a time
    assert "model_answer" not in body["turns"][0] and body["prescore"] is None
    for text in ("Sorry, please stop charging.", "Refund filed."):
        response = agent.post(f"/api/v1/training/attempts/{attempt}/answer/", {"text": text}, format="json")
        assert response.status_code == 200, response.content
    assert agent.post(f"/api/v1/training/attempts/{attempt}/answer/", {"text": 12}, format="json").status_code == 400
    response = agent.post(f"/api/v1/training/attempts/{attempt}/submit/", format="json")
    assert response.json()["status"] == "submitted"
    assert "model_answer" not in response.json()["turns"][0]  # hidden until graded
    assert agent.post(f"/api/v1/training/attempts/{attempt}/grade/", {}, format="json").status_code == 403
    categories = list(Attempt.objects.get(pk=attempt).rubric.categories.all())
    bad = trainer.post(f"/api/v1/training/attempts/{attempt}/grade/",
                       {"grades": [{"category": c.pk, "selected": "5"} for c in categories]}, format="json")
    assert bad.status_code == 400
    response = trainer.post(f"/api/v1/training/attempts/{attempt}/grade/", {
        "grades": [{"category": categories[0].pk, "selected": 4, "comment": "warm"},
                   {"category": categories[1].pk, "selected": None},
                   {"category": categories[2].pk, "selected": 1}], "feedback": "Well done"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    # (75 x 40 + 100 x 20) / 60 = 83.33
    assert (body["score"], body["passed"]) == ("83.33", True)
    mine = agent.get(f"/api/v1/training/attempts/{attempt}/").json()
    assert mine["turns"][0]["model_answer"] == TURNS[0]["model_answer"] and mine["feedback"] == "Well done"
    assert len(mine["grades"]) == 3
    certs = agent.get("/api/v1/training/certifications/").json()["results"]
    assert [c["code"] for c in certs] == ["battery"]


def test_another_agent_cannot_answer_someone_elses_attempt(tw):
    attempt = tw.attempt(submit=False, answers=[])
    response = api(tw.agent2).post(f"/api/v1/training/attempts/{attempt.pk}/answer/", {"text": "hi"}, format="json")
    assert response.status_code == 404  # outside their scope: their own attempts only


def test_scenarios_validate_their_turns(tw):
    client = api(tw.trainer)
    response = client.post("/api/v1/training/scenarios/", {"title": "X", "turns": [{"text": 5}]}, format="json")
    assert response.status_code == 400 and "turns" in response.json()
    response = client.post("/api/v1/training/scenarios/", {"title": "X", "turns": TURNS, "tags": ["a"],
                                                           "rubric": tw.rubric.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "draft"
    assert api(tw.agent).get("/api/v1/training/scenarios/").status_code == 403  # model answers are not theirs


def test_a_scenarios_source_ticket_only_to_those_who_see_it_in_queries_that_do_not_grow(tw):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from training import services
    from training.models import Scenario

    def make_case():
        ticket = tw.ticket()
        ticket_services.resolve(ticket, actor=tw.agent, now=NOW + timedelta(hours=1))
        return services.create_scenario(actor=tw.trainer, now=NOW, title="From a ticket", turns=TURNS,
                                        rubric=tw.rubric, source_ticket=ticket)

    case = make_case()
    shown = {row["id"]: row["source_ticket"] for row in api(tw.lead).get("/api/v1/training/scenarios/").json()["results"]}
    assert shown[case.pk] == case.source_ticket_id  # the lead sees tickets of their team
    shown = {row["id"]: row["source_ticket"] for row in api(tw.trainer).get("/api/v1/training/scenarios/").json()["results"]}
    assert shown[case.pk] is None  # the trainer works on the scrubbed side only

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert api(tw.lead).get("/api/v1/training/scenarios/").status_code == 200
        return len(queries)

    before = count()
    for _n in range(3):
        make_case()
    assert count() == before
    assert Scenario.objects.exclude(source_ticket_id=None).count() == 4


def test_assigning_checks_every_agent_is_in_scope(tw):
    client = api(tw.manager)
    due = (NOW + timedelta(days=400)).isoformat()
    response = client.post("/api/v1/training/assignments/", {"scenario": tw.scenario.pk, "due_at": due,
                                                             "agents": [tw.agent.pk, tw.trainer.pk]}, format="json")
    assert response.status_code == 400 and "agents" in response.json()
    response = client.post("/api/v1/training/assignments/", {"scenario": tw.scenario.pk, "due_at": due,
                                                             "agents": [tw.agent.pk, tw.agent2.pk]}, format="json")
    assert response.status_code == 201, response.content
    assert {row["agent"] for row in response.json()} == {tw.agent.pk, tw.agent2.pk}


def test_xapi_statements_in_xapi_result_form_with_paging_and_since(tw, settings):
    first = tw.grade(tw.attempt(), [5, 3, 1])
    second = tw.attempt(tw.agent2, at=NOW + timedelta(hours=2))
    reader = make_user("lrs", role=Role.INTEGRATION, team=make_team("Integrations"))
    client = api(reader)
    body = client.get("/api/v1/training/statements/").json()
    assert set(body) == {"statements", "more"} and body["more"] == ""
    assert [s["verb"]["id"].rsplit("/", 1)[1] for s in body["statements"]] == ["completed", "passed", "completed"]
    passed = body["statements"][1]
    assert passed["actor"]["account"] == {"homePage": "http://testserver/", "name": tw.agent.username}
    assert passed["object"]["id"] == f"http://testserver/training/scenarios/{tw.scenario.pk}/"
    assert passed["result"]["success"] is True and passed["result"]["score"]["scaled"] == 1.0
    assert passed["result"]["duration"] == iso_duration(first.duration_seconds) == "PT1M"
    assert passed["id"] == str(Statement.objects.get(attempt=first, verb="passed").uuid)
    page = client.get("/api/v1/training/statements/", {"limit": 2}).json()
    assert len(page["statements"]) == 2 and page["more"].startswith("http://testserver/api/v1/training/statements/?")
    rest = client.get(page["more"]).json()
    assert [s["id"] for s in rest["statements"]] == [body["statements"][2]["id"]] and rest["more"] == ""
    later = Statement.objects.get(attempt=second).timestamp
    since = client.get("/api/v1/training/statements/", {"since": later.isoformat()}).json()
    assert [s["id"] for s in since["statements"]] == [str(Statement.objects.get(attempt=second).uuid)]
    assert client.get("/api/v1/training/statements/", {"since": "yesterday"}).status_code == 400
    assert client.get("/api/v1/training/statements/", {"limit": "0"}).status_code == 400
    assert api(tw.agent).get("/api/v1/training/statements/").status_code == 403
    assert StatementsView.integration_kind == "learning_records"


def test_compliance_states_per_agent_and_certification(tw):
    now = timezone.now()
    Certification.objects.create(requirement=tw.requirement, agent=tw.agent, granted_at=now - timedelta(days=10),
                                 expires_at=now + timedelta(days=100))
    Certification.objects.create(requirement=tw.requirement, agent=tw.agent2, granted_at=now - timedelta(days=340),
                                 expires_at=now + timedelta(days=20))
    Certification.objects.create(requirement=tw.requirement, agent=tw.other_agent, granted_at=now - timedelta(days=400),
                                 expires_at=now - timedelta(days=5))
    body = api(tw.trainer).get("/api/v1/training/compliance/").json()
    states = {row["username"]: row["certifications"]["battery"]["state"] for row in body["results"]}
    assert states == {"agent_a": "valid", "agent_a2": "expiring", "agent_b": "expired", "lead_a": "missing"}
    lead = api(tw.lead).get("/api/v1/training/compliance/").json()
    assert {row["username"] for row in lead["results"]} == {"agent_a", "agent_a2", "lead_a"}  # their team only
    mine = api(tw.agent).get("/api/v1/training/compliance/").json()
    assert [row["username"] for row in mine["results"]] == ["agent_a"]
    assert api(tw.trainer).get("/api/v1/training/compliance/", {"team": "x"}).status_code == 400
