"""A real browser: an agent transfers a ticket to installation in one click; the installation
coordinator opens it and sees the job's node stepper, which follows the job live."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser import log_in, page  # noqa: F401  (fixture)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_agent_transfers_a_ticket_to_installation_and_the_coordinator_follows_the_job(page):  # noqa: F811
    from installation.models import InstallationJob
    from installation.services import record_event
    from portal.demo import load_portal_demo
    from tickets.demo import load_demo
    from tickets.models import Ticket, TimelineEntry

    load_portal_demo()
    load_demo(now=timezone.now())
    ticket = (Ticket.objects.filter(queue__team__name="晾衣架客服组", status__in=Ticket.OPEN_STATUSES)
              .exclude(order_no="").order_by("id").first())
    assert ticket is not None
    InstallationJob.objects.filter(order_number=ticket.order_no).delete()

    log_in(page, "agent")
    page.goto(f"/tickets/{ticket.pk}/")
    page.locator("[data-testid=form-transfer-installation] button[type=submit]").click()
    page.wait_for_load_state()
    job = InstallationJob.objects.get(order_number=ticket.order_no, store=ticket.store)
    assert f"#{job.pk}" in page.locator(".messages").inner_text()
    ticket.refresh_from_db()
    assert ticket.queue.team.name == "安装组"
    assert TimelineEntry.objects.filter(ticket=ticket, kind="link", data__installation_job=job.pk).exists()

    page.context.clear_cookies()
    log_in(page, "installer")
    page.goto(f"/tickets/{ticket.pk}/")
    stepper = page.locator("[data-testid=installation-stepper]")
    assert stepper.locator(".step.current").get_attribute("data-node") == "requested"
    assert f"#{job.pk}" in page.locator("[data-testid=timeline]").inner_text()  # the link entry

    # The partner books the appointment; the page's next poll (triggered now instead of in 20 s) shows it.
    now = timezone.now()
    record_event(job, node="scheduled", actor=None, now=now, appointment_start=now + timedelta(days=1),
                 appointment_end=now + timedelta(days=1, hours=2))
    page.evaluate("document.querySelector('.install-live').installationPoll()")
    page.wait_for_selector("[data-testid=installation-stepper] .step.current[data-node=scheduled]")
    assert page.locator("[data-field=appointment]").inner_text() != "—"
    # The coordinator can answer the ticket from there.
    assert page.locator("[data-testid=composer]").count() == 1
