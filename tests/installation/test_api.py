"""The partner API: scoped to one partner (list, detail, events), idempotent on the partner's event
id, refused moves as 400 field errors; staff create jobs by hand; metrics."""

from datetime import timedelta

import pytest
from django.utils import timezone

from installation.models import InstallationEvent, InstallationJob
from portal.roles import Role
from tests.factories import make_user
from tests.installation.factories import (
    NOW,
    make_installation_coordinator,
    make_job,
    make_partner,
    make_partner_user,
    make_product,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/installations/"


@pytest.fixture
def two_partners(store):
    mine, theirs = make_partner([store], "tmall-install"), make_partner([store], "clouddry-crew")
    now = timezone.now() - timedelta(hours=2)
    product = make_product(store)
    return {
        "mine": mine, "theirs": theirs, "user": make_partner_user(mine),
        "my_job": make_job(store, product=product, partner=mine, order="T-MINE", now=now),
        "their_job": make_job(store, product=product, partner=theirs, order="T-THEIRS", now=now),
    }


def test_a_partner_lists_and_reads_only_its_own_jobs(api, two_partners):
    api.as_user(two_partners["user"])
    listed = api.get(URL).json()["results"]
    assert [job["order_number"] for job in listed] == ["T-MINE"]
    assert listed[0]["customer_phone"] == "13711112222"  # the partner needs it to arrange the visit
    assert api.get(f"{URL}{two_partners['my_job'].pk}/").status_code == 200
    assert api.get(f"{URL}{two_partners['their_job'].pk}/").status_code == 404
    # Filtering by the other partner shows nothing either.
    other = api.get(URL, partner="clouddry-crew")
    assert (other.status_code, other.json()) == (400, {
        "partner": ["Select a valid choice. That choice is not one of the available choices."]})
    assert all(j["partner"] == "tmall-install" for j in api.get(URL).json()["results"])


def test_a_partner_cannot_post_events_to_another_partners_job(api, two_partners):
    api.as_user(two_partners["user"])
    response = api.post(f"{URL}{two_partners['their_job'].pk}/events/", {"node": "cancelled", "reason": "x"})
    assert response.status_code == 404
    assert two_partners["their_job"].events.count() == 1


def test_an_integration_user_of_no_partner_sees_no_job(api, two_partners):
    api.as_user(make_user(role=Role.INTEGRATION))
    assert api.get(URL).json()["results"] == []


def test_partner_events_move_the_job_and_are_idempotent_on_the_event_id(api, two_partners):
    job = two_partners["my_job"]
    api.as_user(two_partners["user"])
    start = timezone.now() + timedelta(days=1)
    body = {"node": "scheduled", "appointment_start": start.isoformat(),
            "appointment_end": (start + timedelta(hours=2)).isoformat(), "note": "约好了", "event_id": "ev-1"}
    first = api.post(f"{URL}{job.pk}/events/", body)
    assert first.status_code == 201, first.json()
    assert first.json()["job"]["node"] == "scheduled" and first.json()["event"]["partner"] == "tmall-install"
    again = api.post(f"{URL}{job.pk}/events/", body)
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["event"]["id"] == first.json()["event"]["id"]
    assert job.events.filter(node="scheduled").count() == 1
    dispatched = api.post(f"{URL}{job.pk}/events/", {"node": "dispatched", "technician": "王师傅", "event_id": "ev-2"})
    assert dispatched.status_code == 201
    # Completed before on site: refused with the reason, nothing written.
    refused = api.post(f"{URL}{job.pk}/events/", {"node": "completed", "photos": ["https://img.example.com/a.jpg"],
                                                   "event_id": "ev-3"})
    assert refused.status_code == 400
    assert "cannot move to completed" in refused.json()["node"][0]
    api.post(f"{URL}{job.pk}/events/", {"node": "on_site", "event_id": "ev-4"})
    done = api.post(f"{URL}{job.pk}/events/", {"node": "completed", "photos": ["https://img.example.com/a.jpg"],
                                                "customer_confirmed": True, "event_id": "ev-5"})
    assert done.status_code == 201
    detail = api.get(f"{URL}{job.pk}/").json()
    assert [e["node"] for e in detail["events"]] == ["requested", "scheduled", "dispatched", "on_site", "completed"]
    assert detail["events"][-1]["photos"] == ["https://img.example.com/a.jpg"]


@pytest.mark.parametrize("body,field", [
    ({"node": "teleported"}, "node"),
    ({"node": "scheduled"}, "appointment_start"),
    ({"node": "completed", "photos": ["not a url"]}, "photos"),
    ({"node": "scheduled", "time": "yesterday-ish"}, "time"),
])
def test_bad_event_input_is_a_400_with_the_field(api, two_partners, body, field):
    api.as_user(two_partners["user"])
    response = api.post(f"{URL}{two_partners['my_job'].pk}/events/", body)
    assert response.status_code == 400 and field in response.json()
    assert InstallationEvent.objects.filter(job=two_partners["my_job"]).count() == 1


def test_updated_since_returns_the_jobs_changed_since_then(api, two_partners):
    api.as_user(two_partners["user"])
    since = timezone.now()
    assert api.get(URL, updated_since=since.isoformat()).json()["results"] == []
    api.post(f"{URL}{two_partners['my_job'].pk}/events/", {"node": "cancelled", "reason": "客户取消"})
    assert [j["id"] for j in api.get(URL, updated_since=since.isoformat()).json()["results"]] == [
        two_partners["my_job"].pk]
    assert api.get(URL, updated_since="last tuesday").status_code == 400


def test_a_coordinator_opens_a_job_by_hand_and_a_partner_cannot(api, store, other_store, two_partners):
    coordinator = make_installation_coordinator([store])
    api.as_user(coordinator)
    created = api.post(URL, {"store": store.code, "order_number": "T-HAND", "product": "RACK-X1",
                             "customer_name": "陈", "customer_phone": "13900000000", "address": "杭州"})
    assert created.status_code == 201, created.json()
    job = InstallationJob.objects.get(order_number="T-HAND")
    assert job.node == "requested" and job.created_by == coordinator and job.partner.code == "tmall-install"
    assert api.post(URL, {"store": store.code, "product": "NOPE"}).json() == {
        "product": ["The store has no product with this SKU."]}
    # A store outside the coordinator's scope answers exactly as a store that does not exist.
    outside, unknown = api.post(URL, {"store": other_store.code}), api.post(URL, {"store": "no-such-store"})
    assert (outside.status_code, outside.json()) == (
        400, {"store": [f"Object with code={other_store.code} does not exist."]})
    assert (unknown.status_code, unknown.json()) == (400, {"store": ["Object with code=no-such-store does not exist."]})
    api.as_user(two_partners["user"])
    assert api.post(URL, {"store": store.code}).status_code == 403


def test_metrics(api, store):
    coordinator = make_installation_coordinator([store])
    product = make_product(store, booking=48, completion=24)
    now = NOW
    make_job(store, product=product, order="A", now=now, path=["scheduled", "dispatched", "on_site", "completed"])
    make_job(store, product=product, order="B", now=now,
             path=["scheduled", "dispatched", "on_site", "failed", "rescheduled", "dispatched", "on_site", "completed"])
    make_job(store, product=product, order="C", now=now)
    InstallationJob.objects.update(delivered_at=now - timedelta(hours=6))
    api.as_user(coordinator)
    data = api.get("/api/v1/metrics/installations/", **{"from": "2026-11-20", "to": "2026-11-20"}).json()
    assert data["completed"] == 2 and data["open"] == 1
    assert data["first_visit_rate"] == 0.5
    assert data["on_time_rate"] == 1.0  # both booked within 48 h, completed within 24 h of the appointment
    assert data["median_hours_delivery_to_completed"] == pytest.approx((10 + 14) / 2)
    assert api.get("/api/v1/metrics/installations/", **{"from": "soon"}).status_code == 400


def test_the_list_does_not_query_per_job(api, store, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    coordinator = make_installation_coordinator([store])
    product = make_product(store)
    api.as_user(coordinator)
    for n in range(3):
        make_job(store, product=product, order=f"S{n}")
    with CaptureQueriesContext(connection) as small:
        assert api.get(URL).status_code == 200
    for n in range(20):
        make_job(store, product=product, order=f"L{n}")
    with django_assert_max_num_queries(len(small)):
        assert len(api.get(URL).json()["results"]) == 23
