"""The cabin's pages: a case from a real ticket (scrubbed preview, the original only for those who may
see the ticket's personal data), the candidates list, an attempt and its grading, the compliance table
and its export, the record page; query counts that do not grow with the rows."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.roles import Role
from refunds.models import ReasonCode, RefundRequest
from tests.factories import make_user
from tests.training.factories import NOW
from tickets import chat
from tickets import services as ticket_services
from training.models import Attempt, Certification, Rubric, Scenario

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def difficult_ticket(tw, *, rating=1, key="c1"):
    """A resolved chat ticket whose conversation holds the buyer's phone, address and an order number."""
    lines = [("buyer", "电池鼓包了，订单号4001234567890123，我电话13812345678"),
             ("agent", "王先生您好，非常抱歉，请先停止充电。"),
             ("buyer", "地址杭州市西湖区文三路100号3单元502，派人来取")]
    messages = [chat.IncomingMessage(id=f"{key}-{n}", sent_at=NOW + timedelta(minutes=n), sender=s, text=t)
                for n, (s, t) in enumerate(lines)]
    ticket = chat.ingest_conversation(store=tw.store, conversation_id=key, buyer_nick="电驴小哥",
                                      order_no="4001234567890123", messages=messages, actor=None, now=NOW).ticket
    ticket_services.resolve(ticket, actor=tw.agent, now=NOW + timedelta(hours=1))
    ticket_services.rate(ticket, rating=rating, actor=None, now=NOW + timedelta(hours=2))
    return ticket


def login(client, user):
    client.force_login(user)
    return client


def test_a_trainer_sees_the_scrubbed_side_and_saves_the_edited_case(tw, client):
    ticket = difficult_ticket(tw)
    login(client, tw.trainer)
    rubrics = Rubric.objects.count()
    page = client.get(f"/training/tickets/{ticket.pk}/case/", **EN)
    assert page.status_code == 200
    assert Rubric.objects.count() == rubrics  # a GET writes nothing (no default rubric made)
    html = page.content.decode()
    for secret in ("13812345678", "4001234567890123", "文三路100号", "王先生", "电驴小哥"):
        assert secret not in html, secret
    assert "[PHONE-1]" in html and "[ADDRESS-1]" in html and 'data-testid="original"' not in html
    data = {"title": "电池鼓包", "difficulty": "hard", "channel": "chat", "pass_mark": 80, "status": "published",
            "rubric": tw.rubric.pk, "turns-TOTAL_FORMS": 2, "turns-INITIAL_FORMS": 0, "turns-MIN_NUM_FORMS": 1,
            "turns-MAX_NUM_FORMS": 30, "turns-0-text": "电池鼓包了，我电话[PHONE-1]", "turns-0-time_limit": 60,
            "turns-0-points": "停止充电\n抱歉", "turns-0-model_answer": "非常抱歉，请先停止充电。",
            "turns-1-text": "", "turns-1-time_limit": 120}
    response = client.post(f"/training/tickets/{ticket.pk}/case/", data, **EN)
    assert response.status_code == 302, response.content.decode()[:2000]
    scenario = Scenario.objects.get(source_ticket_id=ticket.pk)
    assert scenario.turns[0]["points"] == ["停止充电", "抱歉"] and len(scenario.turns) == 1
    detail = client.get(f"/training/scenarios/{scenario.pk}/", **EN).content.decode()
    assert f'href="/tickets/{ticket.pk}/"' not in detail  # the trainer may not see that ticket


def test_a_team_lead_sees_the_original_beside_the_scrubbed_text(tw, client):
    ticket = difficult_ticket(tw)
    html = login(client, tw.lead).get(f"/training/tickets/{ticket.pk}/case/", **EN).content.decode()
    assert 'data-testid="original"' in html and "13812345678" in html
    assert re.search(r'<mark class="scrub scrub-phone" title="\[PHONE-1\]">13812345678</mark>', html)


def test_cases_only_from_done_tickets_and_only_for_case_makers(tw, client):
    open_ticket = tw.ticket()
    assert login(client, tw.trainer).get(f"/training/tickets/{open_ticket.pk}/case/").status_code == 404
    done = difficult_ticket(tw)
    assert login(client, tw.agent).get(f"/training/tickets/{done.pk}/case/").status_code == 403


def test_the_ticket_page_offers_make_a_cabin_case_to_the_lead(tw, client):
    ticket = difficult_ticket(tw)
    html = login(client, tw.lead).get(f"/tickets/{ticket.pk}/", **EN).content.decode()
    assert f'href="/training/tickets/{ticket.pk}/case/"' in html
    html = login(client, tw.agent).get(f"/tickets/{ticket.pk}/", **EN).content.decode()
    assert "/case/" not in html


def test_candidates_list_low_ratings_and_major_complaints_not_open_ones_or_cases(tw, client):
    low = difficult_ticket(tw, rating=2, key="a")
    fine = difficult_ticket(tw, rating=5, key="b")
    major = tw.ticket(is_major=True)
    ticket_services.resolve(major, actor=tw.agent, now=NOW + timedelta(hours=3))
    tw.ticket(is_major=True)  # still open
    made = difficult_ticket(tw, rating=1, key="c")
    Scenario.objects.filter(pk=tw.scenario.pk).update(source_ticket_id=made.pk)
    contested, decided = difficult_ticket(tw, rating=5, key="d"), difficult_ticket(tw, rating=5, key="e")
    for n, (ticket, disputed) in enumerate(((contested, True), (decided, False))):
        RefundRequest.objects.create(
            store=tw.store, platform_request_id=f"R{n}", order_no=ticket.order_no, kind="refund_only",
            amount=Decimal("99.00"), reason=ReasonCode.objects.first(), requested_at=NOW, respond_by=NOW,
            created_at=NOW, updated_at=NOW, ticket=ticket, status="disputed" if disputed else "decided",
            dispute_submitted_on=NOW.date() if disputed else None)
    login(client, tw.trainer)
    html = client.get("/training/candidates/", **EN).content.decode()
    shown = {int(pk) for pk in re.findall(r'<tr [^>]*data-id="(\d+)"', html)}
    assert shown == {low.pk, major.pk, contested.pk}
    assert fine.pk not in shown and "rated 2" in html and "major complaint" in html and "contested refund" in html
    # The trainer works on the scrubbed side: subjects show scrubbed; a team lead who may see the
    # ticket's personal data sees its subject as it is.
    assert "13812345678" not in html and "[PHONE-1]" in html
    login(client, tw.lead)
    assert "13812345678" in client.get("/training/candidates/", **EN).content.decode()
    login(client, tw.trainer)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/training/candidates/").status_code == 200
        return len(queries)

    before = count()
    for n in range(6):
        extra = tw.ticket(is_major=True)
        ticket_services.resolve(extra, actor=tw.agent, now=NOW + timedelta(hours=4, minutes=n))
    assert count() == before <= 15


def test_the_agent_works_an_attempt_page_by_page_and_the_trainer_grades_it(tw, client):
    assignment = tw.attempt(submit=False, answers=[]).assignment
    login(client, tw.agent)
    home = client.get("/training/", **EN).content.decode()
    assert f"/training/assignments/{assignment.pk}/start/" in home
    response = client.post(f"/training/assignments/{assignment.pk}/start/")
    attempt = Attempt.objects.get(assignment=assignment)
    assert response["Location"] == f"/training/attempts/{attempt.pk}/"
    page = client.get(f"/training/attempts/{attempt.pk}/", **EN).content.decode()
    assert "My battery swelled!" in page and "I want my money back." not in page and "stop charging it now" not in page
    assert client.post(f"/training/attempts/{attempt.pk}/answer/", {"text": ""}).status_code == 400
    client.post(f"/training/attempts/{attempt.pk}/answer/", {"text": "Sorry! Please stop charging."})
    page = client.get(f"/training/attempts/{attempt.pk}/", **EN).content.decode()
    assert "I want my money back." in page
    client.post(f"/training/attempts/{attempt.pk}/answer/", {"text": "Refund filed."})
    client.post(f"/training/attempts/{attempt.pk}/submit/")
    attempt.refresh_from_db()
    assert attempt.status == "submitted"
    assert client.get(f"/training/attempts/{attempt.pk}/grade/").status_code == 403
    login(client, tw.trainer)
    grade_page = client.get(f"/training/attempts/{attempt.pk}/grade/", **EN).content.decode()
    assert "suggestion" in grade_page
    categories = list(attempt.rubric.categories.all())
    data = {f"category_{categories[0].pk}": "5", f"category_{categories[1].pk}": "na",
            f"category_{categories[2].pk}": "0", "feedback": "Safety first, but a promise you cannot keep."}
    response = client.post(f"/training/attempts/{attempt.pk}/grade/", data)
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert (str(attempt.score), attempt.passed) == ("0.00", False)  # the critical category failed
    login(client, tw.agent)
    page = client.get(f"/training/attempts/{attempt.pk}/", **EN).content.decode()
    assert "Sorry! Please stop charging it now." in page and "a promise you cannot keep" in page


def test_compliance_page_export_and_constant_queries(tw, client):
    now = timezone.now()
    Certification.objects.create(requirement=tw.requirement, agent=tw.agent, granted_at=now - timedelta(days=1),
                                 expires_at=now + timedelta(days=200))
    login(client, tw.trainer)
    html = client.get("/training/compliance/", **EN).content.decode()
    assert re.search(r'data-agent="agent_a">.*?data-state="valid"', html, re.S)
    assert re.search(r'data-agent="agent_a2">.*?data-state="missing"', html, re.S)
    export = b"".join(client.get("/training/compliance.csv").streaming_content).decode("utf-8-sig")
    rows = {row[0]: row for row in csv.reader(io.StringIO(export))}
    assert rows["agent_a"][3].startswith("valid ") and rows["agent_a2"][3] == "missing"
    counts = []
    for n in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/training/compliance/").status_code == 200
        counts.append(len(queries))
        for k in range(5):
            make_user(f"more{n}{k}", role=Role.AGENT, team=tw.team)
    assert counts[0] == counts[1] and counts[0] <= 15


def test_the_record_page_shows_attempts_certifications_courses_and_live_figures(tw, client):
    tw.grade(tw.attempt(), [5, 3, 1])
    login(client, tw.lead)
    html = client.get(f"/training/record/{tw.agent.pk}/", **EN).content.decode()
    assert "Battery swelled" in html and "battery" in html and "24-hour resolution rate" in html
    assert login(client, tw.agent2).get(f"/training/record/{tw.agent.pk}/").status_code == 404
    assert client.get("/training/record/").status_code == 200
