"""Service metrics with pinned numbers (definitions in docs/metrics.md)."""

from unittest import mock

import pytest
from rest_framework.test import APIClient

from portal.roles import Role
from tests.factories import make_user
from tests.tickets.factories import sh
from tickets import services
from tickets.metrics import percentile, ticket_metrics

START, END = sh(2026, 3, 2, 0, 0), sh(2026, 3, 9, 0, 0)
NOW = sh(2026, 3, 9, 8, 0)


@pytest.fixture
def tickets(world):
    w, a = world, world.agent
    t1 = w.ticket(now=sh(2026, 3, 2, 10, 0))
    services.reply(t1, actor=a, body="hi", now=sh(2026, 3, 2, 10, 20), handling_seconds=300)
    services.resolve(t1, actor=a, now=sh(2026, 3, 2, 15, 0), handling_seconds=100)
    services.rate(t1, rating=5, actor=None, now=sh(2026, 3, 2, 16, 0))

    t2 = w.ticket(now=sh(2026, 3, 2, 11, 0))
    services.reply(t2, actor=a, body="late", now=sh(2026, 3, 2, 14, 0), handling_seconds=200)
    services.resolve(t2, actor=a, now=sh(2026, 3, 3, 12, 0))
    services.rate(t2, rating=3, actor=None, now=sh(2026, 3, 3, 13, 0))

    t3 = w.ticket(now=sh(2026, 3, 3, 9, 0))
    services.reply(t3, actor=a, body="looking", now=sh(2026, 3, 3, 9, 5))

    t4 = w.ticket(now=sh(2026, 3, 4, 10, 0))
    services.reply(t4, actor=a, body="ok", now=sh(2026, 3, 4, 10, 30))
    services.resolve(t4, actor=a, now=sh(2026, 3, 5, 9, 0))
    services.rate(t4, rating=4, actor=None, now=sh(2026, 3, 5, 10, 0))

    t5 = w.ticket(now=sh(2026, 3, 5, 10, 0), store=w.other_store, queue=w.other_queue, actor=w.other_agent)
    services.resolve(t5, actor=w.other_agent, now=sh(2026, 3, 5, 11, 0))

    dup = w.ticket(now=sh(2026, 3, 2, 10, 1))
    services.merge(dup, into=t1, actor=w.lead, now=sh(2026, 3, 2, 10, 2))
    w.ticket(now=sh(2026, 3, 1, 23, 59))  # before the period
    w.ticket(now=sh(2026, 3, 8, 20, 0))  # 12 hours old at NOW: 24-hour outcome not decided yet
    return world


def test_metrics_for_one_store(tickets):
    result = ticket_metrics(start=START, end=END, now=NOW, store=tickets.store)
    assert result == {
        "tickets_created": 5,
        "resolution_24h_rate": 0.5,  # t1 (5 h) and t4 (23 h) of t1-t4; t2 took 25 h, t3 still open
        "resolved_within_24h": 2,
        "resolution_24h_counted": 4,
        "first_response_median_minutes": 25.0,  # [5, 20, 30, 90]
        "first_response_p90_minutes": 90,
        "first_response_counted": 4,
        "average_handling_seconds": 200.0,  # (400 + 200 + 0) / 3 resolved
        "handling_counted": 3,
        "satisfaction_rate": 0.6667,  # 5 and 4 of 5, 3, 4
        "ratings_counted": 3,
        "sla_breach_rate": 0.4,  # t2 (late first response and resolution), t3 (open past due)
        "sla_breached": 2,
    }
    assert ticket_metrics(start=START, end=END, now=NOW, team=tickets.team) == result


def test_metrics_for_everything(tickets):
    result = ticket_metrics(start=START, end=END, now=NOW)
    assert result["tickets_created"] == 6
    assert result["resolution_24h_rate"] == 0.6
    assert result["average_handling_seconds"] == 150.0
    assert result["sla_breach_rate"] == round(2 / 6, 4)


def test_empty_period(world):
    result = ticket_metrics(start=START, end=END, now=NOW)
    assert result["tickets_created"] == 0
    assert result["resolution_24h_rate"] is None and result["first_response_median_minutes"] is None
    assert result["satisfaction_rate"] is None and result["sla_breach_rate"] is None


def test_percentile_nearest_rank():
    assert percentile([], 0.9) is None
    assert percentile([7], 0.9) == 7
    assert percentile(list(range(1, 11)), 0.9) == 9
    assert percentile(list(range(1, 12)), 0.9) == 10


def _get(user, **params):
    client = APIClient()
    client.force_authenticate(user)
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        return client.get("/api/v1/metrics/tickets/", params)


def test_metrics_api(tickets):
    director = make_user("dir", role=Role.DIRECTOR, team=tickets.team)
    response = _get(director, store="clouddry", **{"from": "2026-03-02", "to": "2026-03-08"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tickets_created"] == 5 and body["resolution_24h_rate"] == 0.5 and body["store"] == "clouddry"
    assert _get(director, **{"from": "2026-03-02", "to": "2026-03-08"}).json()["tickets_created"] == 6
    assert _get(director, team=tickets.other_team.pk, **{"from": "2026-03-02", "to": "2026-03-08"}).json()[
        "tickets_created"] == 1
    iso = _get(director, **{"from": "2026-03-02T00:00:00+08:00", "to": "2026-03-09T00:00:00+08:00"})
    assert iso.json()["tickets_created"] == 6


@pytest.mark.parametrize(
    ("params", "field"),
    [({"store": "nope"}, "store"), ({"team": "x"}, "team"), ({"from": "March"}, "from"),
     ({"from": "2026-03-09", "to": "2026-03-01"}, "to")],
)
def test_metrics_api_bad_params(world, params, field):
    director = make_user("dir", role=Role.DIRECTOR, team=world.team)
    response = _get(director, **params)
    assert response.status_code == 400 and field in response.json()


def test_metrics_api_is_for_managers_and_above_like_the_home_page(world, client):
    """Same rule as the home page's metrics widget: the `oversee` verb (managers and above)."""
    for role in (Role.TRAINER, Role.AGENT, Role.TEAM_LEAD):
        user = make_user(f"u-{role}", role=role, team=world.team)
        assert _get(user).status_code == 403
        client.force_login(user)
        assert 'data-testid="ticket-metrics"' not in client.get("/").content.decode()
    manager = make_user("mgr", role=Role.MANAGER, team=world.team)
    assert _get(manager).status_code == 200
    client.force_login(manager)
    assert 'data-testid="ticket-metrics"' in client.get("/").content.decode()


def test_metrics_answer_a_store_or_team_outside_scope_as_unknown(world):
    """A manager's scope is the customer-service teams and their stores: another brand's store (and
    the refund desk's team) answer exactly as a store or team that does not exist."""
    from tests.factories import make_store, make_team

    other_brand = make_store("otherbrand", name="Other brand")
    make_team("Other brand CS", kind=world.refund_team.kind, stores=[other_brand])
    manager = make_user("mgr", role=Role.MANAGER, team=world.team)
    unknown = _get(manager, store="nope")
    assert (unknown.status_code, unknown.json()) == (400, {"store": ["Unknown store."]})
    for store in ("otherbrand", str(other_brand.pk)):
        response = _get(manager, store=store)
        assert (response.status_code, response.json()) == (400, unknown.json()), store
    unknown_team = _get(manager, team="999999")
    assert (unknown_team.status_code, unknown_team.json()) == (400, {"team": ["Unknown team."]})
    outside = _get(manager, team=str(world.refund_team.pk))
    assert (outside.status_code, outside.json()) == (400, unknown_team.json())
    # In scope: answered (another brand's customer-service store is a manager's).
    assert _get(manager, store="swiftride").status_code == 200
    assert _get(manager, team=str(world.other_team.pk)).status_code == 200


def test_first_response_and_breaches_come_from_the_exact_clocks(world):
    a = world.agent
    quick = world.ticket(now=sh(2026, 3, 2, 9, 0))
    services.reply(quick, actor=a, body="hi", now=sh(2026, 3, 2, 9, 0, 30))  # 30 s
    slower = world.ticket(now=sh(2026, 3, 2, 9, 0))
    services.reply(slower, actor=a, body="hi", now=sh(2026, 3, 2, 9, 1, 30))  # 90 s
    evening = world.ticket(now=sh(2026, 3, 2, 17, 0))
    services.reply(evening, actor=a, body="hi", now=sh(2026, 3, 2, 18, 30))  # exactly 60 business minutes: on time
    lowered = world.ticket(now=sh(2026, 3, 2, 9, 0), priority="high")
    services.change_priority(lowered, priority="normal", actor=a, now=sh(2026, 3, 2, 9, 45))  # late at 09:30
    services.reply(lowered, actor=a, body="hi", now=sh(2026, 3, 2, 9, 50))
    result = ticket_metrics(start=sh(2026, 3, 2, 0, 0), end=sh(2026, 3, 3, 0, 0), now=sh(2026, 3, 2, 19, 0))
    # [30 s, 90 s, 50 min, 60 min]: median (90 s + 3000 s) / 2 = 25.75 min; p90 the 4th: 60 min.
    assert result["first_response_median_minutes"] == 25.75
    assert result["first_response_p90_minutes"] == 60.0
    assert result["first_response_counted"] == 4
    assert (result["sla_breached"], result["sla_breach_rate"]) == (1, 0.25)


def test_home_metrics_durations_follow_the_readers_language(tickets, client):
    """The widget is cached per user for every language: the cache holds minutes, the page formats them."""
    manager = make_user("mgr", role=Role.MANAGER, team=tickets.team)
    client.force_login(manager)
    with mock.patch("tickets.views.metrics.timezone.now", return_value=NOW):
        chinese = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "分钟" in chinese.split('data-testid="ticket-metrics"')[1]
    metrics = english.split('data-testid="ticket-metrics"')[1]
    assert "分钟" not in metrics and " min<" in metrics
