"""A real browser: an agent works a cabin attempt turn by turn (each customer turn appears only after
the previous answer), submits it; the trainer grades it with the pre-score offered; the agent sees the
score, the feedback and the model answers. Then the queue gate: a lead assigning a ticket of a gated
queue to an uncertified agent is refused on the ticket page with the certification named."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser import log_in, page  # noqa: F401  (fixture)

TURNS = [
    {"text": "电池鼓包了，充电还发烫！", "points": ["停止充电", "抱歉"], "forbidden": ["你自己"], "time_limit": 90,
     "model_answer": "非常抱歉！请马上停止充电，把车放在通风处。"},
    {"text": "我要退货退款，不然就投诉。", "points": ["退款"], "forbidden": ["不能退"], "time_limit": 120,
     "model_answer": "已为您提交退货退款，快递员明天上门取件。"},
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_agent_rehearses_turn_by_turn_and_the_trainer_grades(page):  # noqa: F811
    from django.contrib.auth import get_user_model

    from portal.demo import load_portal_demo
    from training import services
    from training.models import Attempt

    load_portal_demo()
    users = {u.username: u for u in get_user_model().objects.all()}
    now = timezone.now()
    rubric = services.default_rubric(actor=users["trainer"], now=now)
    scenario = services.create_scenario(actor=users["trainer"], now=now, title="电池鼓包 Battery", turns=TURNS,
                                        rubric=rubric, status="published", pass_mark=70)
    services.assign_scenario(scenario, agents=[users["agent"]], due_at=now + timedelta(days=2),
                             actor=users["trainer"], now=now)

    log_in(page, "agent")
    page.goto("/training/")
    page.locator("[data-testid=my-assignments] button[type=submit]").click()
    page.wait_for_selector("[data-testid=answer-form]")
    turns = page.locator("[data-testid=customer-turn]")
    assert turns.count() == 1 and "电池鼓包" in turns.first.inner_text()
    page.fill("[data-testid=answer-form] textarea", "非常抱歉！请您马上停止充电，注意安全，我来帮您处理。")
    page.click("[data-testid=answer-form] button[type=submit]")
    page.wait_for_selector("[data-testid=customer-turn] >> nth=1")
    assert "我要退货退款" in turns.nth(1).inner_text()
    assert page.locator("[data-testid=model-answer]").count() == 0  # hidden until graded
    page.fill("[data-testid=answer-form] textarea", "理解您，已为您提交退款申请，会跟进通知您。")
    page.click("[data-testid=answer-form] button[type=submit]")
    page.click("[data-testid=submit-form] button[type=submit]")
    page.wait_for_selector("[data-testid=attempt-status][data-state=submitted]")
    attempt = Attempt.objects.get(agent=users["agent"])
    assert [a["seconds"] is not None for a in attempt.answers] == [True, True]

    page.context.clear_cookies()
    log_in(page, "trainer")
    page.goto(f"/training/attempts/{attempt.pk}/grade/")
    assert page.locator("[data-testid=prescore-note]").is_visible()
    assert page.locator("[data-testid=turn-check]").count() == 2
    for category in attempt.rubric.categories.all():
        high = category.bounds[1]
        page.check(f"fieldset[data-category='{category.pk}'] input[value='{high}']")
    page.fill("[data-testid=grade-form] textarea[name=feedback]", "安全提示及时，退款流程清楚。")
    page.click("[data-testid=grade-form] button[type=submit]")
    page.wait_for_selector("[data-testid=result]")
    assert page.locator("[data-testid=score]").inner_text() == "100.00"

    page.context.clear_cookies()
    log_in(page, "agent")
    page.goto(f"/training/attempts/{attempt.pk}/")
    assert "安全提示及时" in page.locator("[data-testid=feedback]").inner_text()
    assert page.locator("[data-testid=model-answer]").count() == 2


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_queue_gate_refuses_an_uncertified_agent_on_the_ticket_page(page):  # noqa: F811
    from django.contrib.auth import get_user_model

    from portal.demo import load_portal_demo
    from tickets.demo import load_demo
    from tickets.models import Queue, Ticket
    from training.models import Certification, CertificationRequirement, QueueGate

    load_portal_demo()
    load_demo(now=timezone.now())
    queue = Queue.objects.get(name="晾衣架客服")
    requirement = CertificationRequirement.objects.create(code="rack-complaints", name_zh="晾衣架投诉处理认证",
                                                          name_en="Drying-rack complaints", validity_days=365)
    QueueGate.objects.create(queue=queue, requirement=requirement)
    ticket = Ticket.objects.filter(queue=queue, status__in=Ticket.OPEN_STATUSES).order_by("id").first()
    agent = get_user_model().objects.get(username="agent")
    Ticket.objects.filter(pk=ticket.pk).update(assignee=None)

    log_in(page, "lead")
    page.goto(f"/tickets/{ticket.pk}/")
    form = page.locator("[data-testid=form-assign]")
    if not form.is_visible():
        page.click("#assign summary")
    form.locator("select").select_option(str(agent.pk))
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "晾衣架投诉处理认证" in page.content()
    assert Ticket.objects.get(pk=ticket.pk).assignee_id is None

    now = timezone.now()
    Certification.objects.create(requirement=requirement, agent=agent, granted_at=now - timedelta(days=1),
                                 expires_at=now + timedelta(days=30))
    page.goto(f"/tickets/{ticket.pk}/")
    form = page.locator("[data-testid=form-assign]")
    if not form.is_visible():
        page.click("#assign summary")
    form.locator("select").select_option(str(agent.pk))
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == agent.pk
