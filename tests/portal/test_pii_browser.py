"""A real browser: the "show" button next to a masked phone reveals it (static/portal/pii.js) and
the reveal is recorded; a user the rule does not allow gets no button."""

import pytest
from django.utils import timezone

from tests.browser import log_in, page  # noqa: F401  (fixture)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_show_button_reveals_the_phone_and_records_it(page):  # noqa: F811
    from django.contrib.auth import get_user_model

    from portal import pii
    from portal.demo import load_portal_demo
    from portal.models import PiiAccess
    from portal.permissions import can, restrict
    from tickets.demo import load_demo
    from tickets.models import Ticket

    load_portal_demo()
    load_demo(now=timezone.now())
    users = get_user_model().objects.in_bulk(["lead", "chairman"], field_name="username")
    lead, chairman = users["lead"], users["chairman"]
    # A ticket with a phone the lead may reveal; the chairman (executive) sees tickets but not their PII.
    ticket = next(t for t in restrict(Ticket.objects.select_related("queue"), lead, "view").exclude(customer_phone="")
                  if pii.may_see(lead, t))
    assert can(chairman, ticket, "view") and not pii.may_see(chairman, ticket)

    log_in(page, "chairman")
    page.goto(f"/tickets/{ticket.pk}/")
    phone = page.locator("[data-testid=phone]")
    assert phone.inner_text().strip() == pii.mask_phone(ticket.customer_phone)
    assert phone.locator("button").count() == 0

    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/login/")
    log_in(page, "lead")
    page.goto(f"/tickets/{ticket.pk}/")
    assert ticket.customer_phone not in page.content()
    button = phone.get_by_role("button", name="显示")
    assert button.is_visible()  # enabled by pii.js (hidden without it)
    button.click()
    phone.locator(".pii-revealed").wait_for()
    assert phone.locator(".pii-value").inner_text() == ticket.customer_phone
    assert phone.locator("button").count() == 0
    access = PiiAccess.objects.get()
    assert (access.user.username, access.object_id, access.field, access.channel, access.source) == (
        "lead", ticket.pk, "customer_phone", "page", f"/tickets/{ticket.pk}/")
    # The address next to it is still masked until asked for.
    assert page.locator("[data-testid=address] .pii-value").inner_text() == pii.mask_address(ticket.customer_address)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_show_button_in_admin_change_form(page):  # noqa: F811
    from portal.demo import load_portal_demo
    from portal.models import PiiAccess
    from tickets.demo import load_demo
    from tickets.models import Ticket

    load_portal_demo()
    load_demo(now=timezone.now())
    ticket = Ticket.objects.exclude(customer_address="").order_by("pk").first()
    log_in(page, "admin")
    page.goto(f"/admin/tickets/ticket/{ticket.pk}/change/")
    field = page.locator(".field-customer_address")
    assert ticket.customer_address not in page.content()
    field.locator("button.pii-show").click()
    field.locator(".pii-revealed").wait_for()
    assert field.locator(".pii-value").inner_text() == ticket.customer_address
    access = PiiAccess.objects.get()
    assert (access.user.username, access.field, access.channel) == ("admin", "customer_address", "admin")
