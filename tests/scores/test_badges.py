"""Badges kept true by rules: earned -> at risk -> lost -> earned, grace days, minimum sample,
policy badges that follow the return policy, and the managers told through the outbox."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from portal.models import Notification, Profile
from portal.notifications import recipient_language, render
from portal.roles import Role
from refunds.models import ReturnPolicy
from scores.badges import evaluate_badges, next_state
from scores.metrics import Value
from scores.models import BadgeChange, BadgeState, StoreBadge
from tests.factories import make_store, make_team, make_user
from tests.scores.factories import NOW, earned_badge, policy_badge

pytestmark = pytest.mark.django_db


def test_the_rule_as_a_pure_function():
    badge = earned_badge(threshold=0.95, margin=0.01, grace=3, minimum=4)
    d = date(2026, 11, 1)
    assert next_state(badge, Value(0.99, 3), previous=None, since=None, below_since=None, on=d).state \
        == BadgeState.NOT_ENOUGH_DATA
    assert next_state(badge, Value(0.99, 10), previous=None, since=None, below_since=None, on=d) \
        .state == BadgeState.EARNED
    assert next_state(badge, Value(0.955, 10), previous=None, since=None, below_since=None, on=d).state \
        == BadgeState.AT_RISK  # meets it, by less than the margin
    assert next_state(badge, Value(0.90, 10), previous=None, since=None, below_since=None, on=d).state \
        == BadgeState.LOST  # never held: not earned


def _evaluate(store, badge_values, day):
    return evaluate_badges(day, now=NOW, store_ids=[store.pk], values_by_window={30: {store.pk: badge_values}})


def test_earned_at_risk_lost_and_earned_again_with_grace_days_and_history():
    store = make_store()
    team = make_team(stores=[store])
    manager = make_user(role=Role.MANAGER, team=team)
    make_user(role=Role.AGENT, team=team)
    badge = earned_badge(threshold=0.95, margin=0.01, grace=3, minimum=4)
    day = date(2026, 11, 1)

    def state_on(offset, value, sample=10):
        _evaluate(store, {"pickup_48h_rate": Value(value, sample)}, day + timedelta(days=offset))
        return StoreBadge.objects.get(store=store, badge=badge)

    row = state_on(0, 0.98)
    assert (row.state, row.since) == (BadgeState.EARNED, day)
    assert state_on(1, 0.97).state == BadgeState.EARNED  # unchanged: no history row
    row = state_on(2, 0.93)  # below: at risk for the grace days
    assert (row.state, row.below_since, row.since) == (BadgeState.AT_RISK, day + timedelta(days=2), day)
    assert state_on(3, 0.92).state == BadgeState.AT_RISK
    assert state_on(4, 0.94).state == BadgeState.AT_RISK  # two days below: grace not over
    assert state_on(5, 3 / 4, sample=4).state == BadgeState.LOST  # three days below: lost
    row = state_on(6, 0.99)
    assert (row.state, row.since) == (BadgeState.EARNED, day + timedelta(days=6))
    changes = list(BadgeChange.objects.order_by("date").values_list("date", "from_state", "to_state", "figure",
                                                                     "sample", "threshold"))
    assert changes == [
        (day, "", "earned", 0.98, 10, 0.95),
        (day + timedelta(days=2), "earned", "at_risk", 0.93, 10, 0.95),
        (day + timedelta(days=5), "at_risk", "lost", 0.75, 4, 0.95),
        (day + timedelta(days=6), "lost", "earned", 0.99, 10, 0.95),
    ]
    # The store's manager heard of "at risk" and "lost" (in the outbox), the agent of nothing.
    Profile.objects.update_or_create(user=manager, defaults={"language": "en"})  # an English reader
    told = list(Notification.objects.select_related("recipient__profile").order_by("id"))
    assert [n.recipient.username for n in told] == [manager.username, manager.username]
    assert [n.message_key for n in told] == ["scores.badge_at_risk", "scores.badge_lost"]
    assert told[0].link == reverse("scores:store", args=[store.code])
    # Each reader reads their own language (the message registry renders it when read).
    at_risk, lost = (render(n, language=recipient_language(n)) for n in told)
    assert at_risk.subject == f"Badge at risk: Fast dispatch ({store.code})"
    assert lost.subject == f"Badge lost: Fast dispatch ({store.code})"
    assert at_risk.text() == "Figure 0.93 over 10 cases; threshold 0.95."
    assert render(told[0], language="zh-hans").subject == f"服务标签有风险：极速发货（{store.code}）"


def test_a_recovery_within_the_grace_days_keeps_the_badge_and_its_since():
    store = make_store()
    badge = earned_badge(threshold=0.95, margin=0.0, grace=3, minimum=4)
    day = date(2026, 11, 1)
    _evaluate(store, {"pickup_48h_rate": Value(0.98, 10)}, day)
    _evaluate(store, {"pickup_48h_rate": Value(0.90, 10)}, day + timedelta(days=1))
    _evaluate(store, {"pickup_48h_rate": Value(0.97, 10)}, day + timedelta(days=2))
    row = StoreBadge.objects.get(store=store, badge=badge)
    assert (row.state, row.since, row.below_since) == (BadgeState.EARNED, day, None)


def test_below_the_minimum_sample_is_not_enough_data_never_a_miss():
    store = make_store()
    earned_badge(minimum=20)
    _evaluate(store, {"pickup_48h_rate": Value(0.10, 19)}, date(2026, 11, 1))
    assert StoreBadge.objects.get(store=store).state == BadgeState.NOT_ENOUGH_DATA
    assert not Notification.objects.exists()


def test_a_backfill_never_rewinds_a_later_evaluation():
    store = make_store()
    earned_badge()
    _evaluate(store, {"pickup_48h_rate": Value(0.99, 10)}, date(2026, 11, 5))
    _evaluate(store, {"pickup_48h_rate": Value(0.10, 10)}, date(2026, 11, 4))
    row = StoreBadge.objects.get(store=store)
    assert (row.state, row.evaluated_on) == (BadgeState.EARNED, date(2026, 11, 5))


def test_policy_badge_is_held_exactly_while_the_return_policy_with_that_window_is_active():
    store, other = make_store(), make_store()
    badge = policy_badge(90)
    ReturnPolicy.objects.create(store=store, code="r90", name_zh="90天", window_days=90,
                                active_from=date(2026, 11, 3), active_to=date(2026, 11, 5))
    ReturnPolicy.objects.create(store=other, code="r30", name_zh="30天", window_days=30, active_from=date(2026, 1, 1))
    states = []
    for n in range(1, 8):
        evaluate_badges(date(2026, 11, n), now=NOW, store_ids=[store.pk, other.pk])
        states.append(StoreBadge.objects.get(store=store, badge=badge).state)
    assert states == ["lost", "lost", "earned", "earned", "earned", "lost", "lost"]
    assert StoreBadge.objects.get(store=other, badge=badge).state == BadgeState.LOST
