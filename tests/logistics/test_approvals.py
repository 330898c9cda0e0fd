"""The approvals inbox: compensation offers above the offerer's limit are listed for those who may
approve them (scope and limit), announced in the inbox, and approved or rejected in place."""

import pytest

from logistics.models import Compensation
from portal.models import Notification
from tests.logistics.test_alert_work import alert, offer  # noqa: F401  (fixture)

APPROVALS = "/approvals/"


def test_an_offer_above_the_limit_waits_in_the_approvers_inbox(portal, api, client, alert):  # noqa: F811
    api.as_user(portal["logistics"])
    compensation = offer(api, alert, 120)  # above the coordinator's 50 CNY: a manager approves
    assert compensation.status == Compensation.Status.PENDING_APPROVAL
    note = Notification.objects.get(recipient=portal["manager"], message_key="logistics.compensation_pending")
    assert note.link == APPROVALS

    client.force_login(portal["manager"])
    page = client.get(APPROVALS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'data-approval="compensation:{compensation.pk}"' in page and "¥120" in page
    for who in ("logistics", "agent", "chairman"):  # not theirs to approve
        client.force_login(portal[who])
        page = client.get(APPROVALS).content.decode()
        assert "data-approval=" not in page and 'data-testid="approvals-empty"' in page

    client.force_login(portal["manager"])
    response = client.post(f"/logistics/compensations/{compensation.pk}/approve/",
                           {"next": APPROVALS, "note": "ok"})
    assert response.status_code == 302 and response.url == APPROVALS
    compensation.refresh_from_db()
    assert (compensation.status, compensation.decided_by) == (Compensation.Status.APPROVED, portal["manager"])
    assert "data-approval=" not in client.get(APPROVALS).content.decode()
    assert Notification.objects.filter(recipient=portal["logistics"],
                                       message_key="logistics.compensation_decided").exists()


def test_above_the_managers_limit_only_the_director_sees_it(portal, api, client, alert):  # noqa: F811
    api.as_user(portal["logistics"])
    compensation = offer(api, alert, 800)
    client.force_login(portal["manager"])
    assert "data-approval=" not in client.get(APPROVALS).content.decode()
    response = client.post(f"/logistics/compensations/{compensation.pk}/approve/", {"next": APPROVALS})
    assert response.status_code == 302  # refused by the domain rule, with the reason
    compensation.refresh_from_db()
    assert compensation.status == Compensation.Status.PENDING_APPROVAL
    client.force_login(portal["director"])
    assert f'data-approval="compensation:{compensation.pk}"' in client.get(APPROVALS).content.decode()
    client.post(f"/logistics/compensations/{compensation.pk}/reject/", {"next": APPROVALS})
    compensation.refresh_from_db()
    assert compensation.status == Compensation.Status.REJECTED


@pytest.mark.parametrize("who, status", [("agent", 404), ("logistics", 403)])
def test_those_who_may_not_approve_are_refused(portal, api, client, alert, who, status):  # noqa: F811
    api.as_user(portal["logistics"])
    compensation = offer(api, alert, 120)
    client.force_login(portal[who])
    response = client.post(f"/logistics/compensations/{compensation.pk}/approve/")
    assert response.status_code == status
    compensation.refresh_from_db()
    assert compensation.status == Compensation.Status.PENDING_APPROVAL
    assert client.post(f"/logistics/compensations/{compensation.pk}/maybe/").status_code == 404


def test_the_approvals_page_query_count_does_not_grow(portal, api, client, alert):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api.as_user(portal["logistics"])
    offer(api, alert, 120)
    client.force_login(portal["manager"])
    with CaptureQueriesContext(connection) as few:
        client.get(APPROVALS)
    for amount in (130, 140, 150, 160):
        api.as_user(portal["logistics"])
        offer(api, alert, amount)
    client.force_login(portal["manager"])
    with CaptureQueriesContext(connection) as many:
        page = client.get(APPROVALS).content.decode()
    assert page.count("data-approval=") == 5
    assert len(many.captured_queries) == len(few.captured_queries)
