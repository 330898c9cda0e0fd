"""Escalation API: policy CRUD for administrators (publishing versions), escalation list and
acknowledge with the scope rules (recipients and the people above the team; executives read-only)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.roles import Role
from tests.factories import make_user
from tests.tickets.escalation_helpers import Ladder, sh
from tickets.escalation.sweep import escalate_due_tickets
from tickets.models import Escalation, EscalationLadder, EscalationPolicy

POLICIES = "/api/v1/escalation-policies/"
ESCALATIONS = "/api/v1/escalations/"


@pytest.fixture
def ladder(db):
    return Ladder()


@pytest.fixture
def admin_user(ladder):
    return make_user("admin_x", role=Role.ADMIN, team=ladder.department)


def level(position, **fields):
    return {"position": position, "name": f"L{position}", "clock": "resolution", "offset_minutes": 0,
            "recipient_roles": ["team_lead"], "channels": ["in_app"], **fields}


def test_admin_creates_and_edits_a_policy_which_publishes_versions(client, ladder, admin_user):
    client.force_login(admin_user)
    response = client.post(POLICIES, {
        "name": "Refund desk ladder", "queue": ladder.refund_queue.pk,
        "levels": [level(1, offset_minutes=-30, recipient_roles=["assignee"]),
                   level(2, users=[ladder.manager.pk], channels=["in_app", "sms"], raise_priority_to="high")],
    }, content_type="application/json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["version"] == 1 and [lv["position"] for lv in body["levels"]] == [1, 2]
    policy = EscalationPolicy.objects.get(pk=body["id"])
    url = f"{POLICIES}{policy.pk}/"
    # Renaming publishes nothing new; changing a level does.
    assert client.patch(url, {"name": "Refund ladder"}, content_type="application/json").json()["version"] == 1
    changed = client.patch(url, {"levels": [level(1, offset_minutes=-60)]}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["version"] == 2
    v1, v2 = EscalationLadder.objects.filter(policy=policy).order_by("version")
    assert [lv.offset_minutes for lv in v1.levels.all()] == [-30, 0]
    assert [lv.offset_minutes for lv in v2.levels.all()] == [-60]
    assert [u.pk for u in v1.levels.get(position=2).users.all()] == [ladder.manager.pk]
    # A policy tickets may run on is deactivated, not deleted.
    deleted = client.delete(url)
    assert deleted.status_code == 400 and "deactivate" in deleted.json()["detail"]


@pytest.mark.parametrize("bad, field", [
    ({"levels": [level(1, target_percent=75)]}, "levels"),  # offset and share both given
    ({"levels": [level(1, channels=["pigeon"])]}, "levels"),
    ({"levels": [level(1, channels=[])]}, "levels"),
    ({"levels": [level(1, categories=["weather"])]}, "levels"),
    ({"levels": [level(1, min_priority="extreme")]}, "levels"),
    ({"levels": [level(1), level(1)]}, "levels"),
    ({"levels": [level(1, target_percent=150, offset_minutes=None)]}, "levels"),
    ({"levels": [level(1, recipient_roles=["janitor"])]}, "levels"),
])
def test_bad_policy_input_is_a_400_and_stores_nothing(client, ladder, admin_user, bad, field):
    client.force_login(admin_user)
    before = (EscalationPolicy.objects.count(), EscalationLadder.objects.count())
    response = client.post(POLICIES, {"name": "Bad", **bad}, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert (EscalationPolicy.objects.count(), EscalationLadder.objects.count()) == before


def test_policy_cannot_be_attached_to_queue_and_sla_policy(client, ladder, admin_user):
    client.force_login(admin_user)
    response = client.post(POLICIES, {"name": "Both", "queue": ladder.queue.pk, "sla_policy": ladder.world.policy.pk,
                                      "levels": [level(1)]}, content_type="application/json")
    assert response.status_code == 400 and "sla_policy" in response.json()


def test_only_administrators_configure_policies(client, ladder):
    client.force_login(ladder.lead)
    assert client.get(POLICIES).status_code == 200  # leads may read the ladders
    assert client.post(POLICIES, {"name": "x", "levels": [level(1)]},
                       content_type="application/json").status_code == 403
    client.force_login(ladder.chairman)
    assert client.get(POLICIES).status_code == 403


def _escalated(ladder):
    ticket = ladder.ticket(is_major=True)
    other = ladder.world.ticket(store=ladder.other_store, queue=ladder.other_queue, assignee=ladder.other_agent,
                                now=sh(2026, 3, 2, 10, 0))
    escalate_due_tickets(now=sh(2026, 3, 3, 10, 0))
    escalate_due_tickets(now=sh(2026, 3, 4, 11, 0))
    return ticket, other


def test_escalation_list_follows_ticket_scope_and_shows_who_was_notified(client, ladder):
    ticket, other = _escalated(ladder)
    client.force_login(ladder.lead)
    rows = client.get(ESCALATIONS).json()["results"]
    assert {row["ticket"] for row in rows} == {ticket.pk}
    breach = next(row for row in rows if row["level"] == 2)
    assert {(n["recipient"], n["channel"], n["status"]) for n in breach["notified"]} == {
        (ladder.lead.pk, "in_app", "sent"), (ladder.lead.pk, "email", "pending")}
    client.force_login(ladder.other_agent)
    assert {row["ticket"] for row in client.get(ESCALATIONS).json()["results"]} == {other.pk}
    client.force_login(ladder.director)
    assert len(client.get(ESCALATIONS).json()["results"]) == 9
    assert client.get(ESCALATIONS, {"level": 5}).json()["count"] == 1


def test_executive_sees_only_what_reached_them_and_may_acknowledge_it(client, ladder):
    ticket, _other = _escalated(ladder)
    client.force_login(ladder.chairman)
    rows = client.get(ESCALATIONS).json()["results"]
    assert [(row["ticket"], row["level"]) for row in rows] == [(ticket.pk, 5)]
    assert {n["channel"] for n in rows[0]["notified"]} == {"sms", "in_app"}
    assert client.post(f"{ESCALATIONS}{rows[0]['id']}/acknowledge/").status_code == 200
    breach = Escalation.objects.get(ticket=ticket, level__position=2)  # did not reach them
    assert client.post(f"{ESCALATIONS}{breach.pk}/acknowledge/").status_code == 404


def test_acknowledge_by_recipients_and_the_people_above(client, ladder):
    ticket, other = _escalated(ladder)
    breach = Escalation.objects.get(ticket=ticket, level__position=2)
    url = f"{ESCALATIONS}{breach.pk}/acknowledge/"
    # The assignee was not told about the breach level: not theirs to acknowledge; another team's neither.
    for outsider in (ladder.agent, ladder.other_agent):
        client.force_login(outsider)
        assert client.post(url).status_code == 404
    client.force_login(ladder.manager)  # above the team, though not a recipient of this level
    response = client.post(url)
    assert response.status_code == 200, response.json()
    assert response.json()["acknowledged_by"] == ladder.manager.pk and response.json()["hold_until"]
    again = client.post(url)
    assert again.status_code == 400 and "escalation" in again.json()
    warning = Escalation.objects.get(ticket=ticket, level__position=1)
    client.force_login(ladder.agent)  # the assignee acknowledges the warning that reached them
    assert client.post(f"{ESCALATIONS}{warning.pk}/acknowledge/").status_code == 200


def test_escalation_list_query_count_does_not_grow_with_rows(client, ladder):
    ladder.ticket(is_major=True)
    escalate_due_tickets(now=sh(2026, 3, 4, 11, 0))
    client.force_login(ladder.director)
    with CaptureQueriesContext(connection) as few:
        assert client.get(ESCALATIONS).status_code == 200
    for _ in range(4):
        ladder.ticket(is_major=True, assignee=ladder.agent2)
    escalate_due_tickets(now=sh(2026, 3, 4, 11, 5))
    with CaptureQueriesContext(connection) as many:
        assert client.get(ESCALATIONS).json()["count"] == 25
    assert len(many.captured_queries) == len(few.captured_queries)
