"""Service badges kept true by rules (docs/scores.md, "Badges").

`next_state()` is the rule of an earned badge as a pure function; `evaluate_badges()` applies it
(and the policy rule) for one data date to every store, writing the states, the history of every
change with the figures that caused it, and the outbox messages to the store's managers when a
badge falls at risk or is lost. A fixed number of queries whatever the number of stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.urls import reverse

from portal.models import Membership, Store
from portal.notifications import queue_notifications
from portal.roles import Role
from scores import refund_source
from scores.metrics import Value, metric_values, window_for
from scores.models import SHOWN_STATES, Badge, BadgeChange, BadgeState, Comparator, StoreBadge


@dataclass(frozen=True)
class Outcome:
    state: str
    since: date | None
    below_since: date | None


def meets(badge: Badge, figure: float) -> bool:
    return figure >= badge.threshold if badge.comparator == Comparator.AT_LEAST else figure <= badge.threshold


def near(badge: Badge, figure: float) -> bool:
    """Meeting the threshold, but by less than the at-risk margin."""
    if badge.comparator == Comparator.AT_LEAST:
        return figure < badge.threshold + badge.at_risk_margin
    return figure > badge.threshold - badge.at_risk_margin


def next_state(badge: Badge, value: Value, *, previous: str | None, since: date | None,
               below_since: date | None, on: date) -> Outcome:
    """The earned badge's state on `on`:

    - below the minimum sample: not enough data (not shown, never counted as a miss);
    - meeting the threshold: earned, or at risk when within the at-risk margin of it;
    - below it after being held (earned or at risk): at risk for `grace_days` days from the first day
      below, then lost; below it without being held: lost (or still not earned).
    """
    if value.value is None or value.sample < badge.minimum_sample:
        return Outcome(BadgeState.NOT_ENOUGH_DATA, None, None)
    held = previous in SHOWN_STATES
    if meets(badge, value.value):
        state = BadgeState.AT_RISK if near(badge, value.value) else BadgeState.EARNED
        return Outcome(state, since if held and since else on, None)
    if held:
        first_below = below_since or on
        if (on - first_below).days >= badge.grace_days:
            return Outcome(BadgeState.LOST, None, None)
        return Outcome(BadgeState.AT_RISK, since, first_below)
    return Outcome(BadgeState.LOST, None, None)


def evaluate_badges(on: date, *, now: datetime, store_ids=None, values_by_window=None) -> dict[str, int]:
    """Evaluate every active badge for every store (or `store_ids`) for the data date `on`.

    `values_by_window`: {window_days: {store_id: {metric: Value}}} already computed (the daily
    snapshot's window), reused instead of computing again. A store badge already evaluated for a
    later date is left alone (a backfill never rewinds a state). Returns counts of changes by state.
    """
    store_ids = list(Store.objects.values_list("pk", flat=True)) if store_ids is None else list(store_ids)
    badges = list(Badge.objects.filter(active=True))
    values_by_window = dict(values_by_window or {})
    for days in {b.window_days for b in badges if b.kind == Badge.Kind.EARNED} - set(values_by_window):
        start, end = window_for(on, days)
        needed = {b.metric for b in badges if b.kind == Badge.Kind.EARNED and b.window_days == days}
        values_by_window[days] = metric_values(store_ids, start=start, end=end, now=now, metrics=needed)
    policy_days = {b.policy_return_days for b in badges if b.kind == Badge.Kind.POLICY}
    windows = refund_source.stores_with_return_window(store_ids, policy_days, on) if policy_days else {}
    counts: dict[str, int] = {}
    with transaction.atomic():
        current = {(sb.store_id, sb.badge_id): sb for sb in StoreBadge.objects.select_for_update().filter(
            store_id__in=store_ids, badge__in=badges)}
        create, update, changes = [], [], []
        for store_id in store_ids:
            for badge in badges:
                row = current.get((store_id, badge.pk))
                if row is not None and row.evaluated_on > on:
                    continue
                previous = row.state if row else None
                if badge.kind == Badge.Kind.POLICY:
                    active = badge.policy_return_days in windows.get(store_id, set())
                    value = Value(float(badge.policy_return_days) if active else None, 1 if active else 0)
                    held = previous in SHOWN_STATES
                    outcome = Outcome(BadgeState.EARNED, (row.since if held and row.since else on), None) if active \
                        else Outcome(BadgeState.LOST, None, None)
                else:
                    value = values_by_window[badge.window_days].get(store_id, {}).get(badge.metric, Value(None, 0))
                    outcome = next_state(badge, value, previous=previous, since=row.since if row else None,
                                         below_since=row.below_since if row else None, on=on)
                if row is None:
                    row = StoreBadge(store_id=store_id, badge=badge, state=outcome.state, since=outcome.since,
                                     below_since=outcome.below_since, figure=value.value, sample=value.sample,
                                     evaluated_on=on, updated_at=now)
                    create.append(row)
                else:
                    row.state, row.since, row.below_since = outcome.state, outcome.since, outcome.below_since
                    row.figure, row.sample, row.evaluated_on, row.updated_at = value.value, value.sample, on, now
                    update.append(row)
                if outcome.state != previous:
                    changes.append((row, previous or "", outcome.state, value, badge))
                    counts[outcome.state] = counts.get(outcome.state, 0) + 1
        StoreBadge.objects.bulk_create(create)
        StoreBadge.objects.bulk_update(update, ["state", "since", "below_since", "figure", "sample", "evaluated_on",
                                                "updated_at"])
        BadgeChange.objects.bulk_create(
            BadgeChange(store_badge=row, date=on, at=now, from_state=old, to_state=new, figure=value.value,
                        sample=value.sample, threshold=badge.threshold if badge.kind == Badge.Kind.EARNED
                        else badge.policy_return_days)
            for row, old, new, value, badge in changes
        )
        # At risk: always worth a look; lost: only a badge the store held (not one never earned).
        _notify_managers([c for c in changes if c[2] == BadgeState.AT_RISK
                          or (c[2] == BadgeState.LOST and c[1] in SHOWN_STATES)], now=now)
    return counts


def _notify_managers(changes, *, now):
    """One in-app message per store manager (managers of the teams serving the store) per change,
    rendered in each reader's language (scores/notification_texts.py)."""
    if not changes:
        return
    store_ids = {row.store_id for row, *_ in changes}
    managers: dict[int, set[int]] = {}
    for store_id, user_id in Membership.objects.filter(
            role=Role.MANAGER, team__stores__in=store_ids).values_list("team__stores", "user_id").distinct():
        managers.setdefault(store_id, set()).add(user_id)
    codes = dict(Store.objects.filter(pk__in=store_ids).values_list("pk", "code"))
    messages = []
    for row, _old, new, value, badge in changes:
        code = codes.get(row.store_id, "")
        params = {"badge_zh": badge.name_zh, "badge_en": badge.name_en, "store": code, "figure": value.value,
                  "sample": value.sample, "threshold": badge.threshold}
        key = "scores.badge_at_risk" if new == BadgeState.AT_RISK else "scores.badge_lost"
        for user_id in sorted(managers.get(row.store_id, ())):
            messages.append({"recipient_id": user_id, "channel": "in_app", "message_key": key, "params": params,
                             "link": reverse("scores:store", args=[code]),
                             "source": f"scores:badge:{row.store_id}:{badge.pk}:{new}"})
    queue_notifications(messages, now=now)
