"""Metric definitions on small hand-computed data sets (docs/scores.md)."""

from datetime import timedelta

import pytest

from installation.models import InstallationEvent, InstallationJob, InstallationNode
from refunds.models import RefundRequest
from scores.metrics import Configuration, Value, combine, metric_scores, metric_values, score_of, what_moves
from scores.models import DimensionWeight, Metric
from scores.services import window_for
from tests.factories import make_store
from tests.scores.factories import DAY, NOW, parcel, refund, rule, sh

pytestmark = pytest.mark.django_db


def values(store, *, on=DAY, days=30, now=NOW):
    start, end = window_for(on, days)
    return metric_values([store.pk], start=start, end=end, now=now)[store.pk]


def test_piecewise_linear_scores_between_and_beyond_the_points():
    points = [[0.8, 0], [0.9, 3], [0.95, 4], [1.0, 5]]
    assert score_of(points, 0.7) == 0  # below the first point: its score
    assert score_of(points, 0.85) == 1.5  # halfway from 0 to 3
    assert score_of(points, 0.925) == 3.5
    assert score_of(points, 1.0) == 5
    # Lower is better: the scores fall as the values rise.
    assert score_of([[24, 5], [48, 4], [96, 0]], 36) == 4.5
    assert score_of([[24, 5], [48, 4], [96, 0]], 200) == 0
    assert score_of(points, None) is None


def test_pickup_rate_counts_misses_once_48_hours_passed_and_leaves_returns_out():
    store = make_store()
    base = sh(2026, 11, 10, 9, 0)
    parcel(store, created=base, picked=base + timedelta(hours=47))  # hit
    parcel(store, created=base, picked=base + timedelta(hours=49))  # miss: late
    parcel(store, created=base)  # miss: never picked up, 48 h long gone
    parcel(store, created=base, picked=base + timedelta(hours=1), direction="return")  # a return: not counted
    young = parcel(store, created=sh(2026, 11, 20, 20, 0))  # 4 h before the window's end, not picked up
    # Decisions are taken at the window's end (or now, if earlier): the young parcel is not decided
    # in the snapshot of 11-20, however late it is computed, so recomputing gives the same figure.
    assert values(store)[Metric.PICKUP_48H_RATE] == Value(round(1 / 3, 4), 3)
    assert values(store, now=sh(2026, 11, 21, 0, 30))[Metric.PICKUP_48H_RATE] == Value(round(1 / 3, 4), 3)
    # Two days later it is a miss; picked up within 48 h it would have been a hit.
    assert values(store, on=DAY + timedelta(days=2))[Metric.PICKUP_48H_RATE] == Value(0.25, 4)
    young.picked_up_at = young.created_at + timedelta(hours=30)
    young.save()
    assert values(store, on=DAY + timedelta(days=2))[Metric.PICKUP_48H_RATE] == Value(0.5, 4)


def test_delivery_median_stall_and_on_time():
    from logistics.models import Alert, AlertKind

    store = make_store()
    base = sh(2026, 11, 12, 9, 0)
    a = parcel(store, created=base, picked=base, delivered=base + timedelta(hours=20), promised=base + timedelta(hours=24))
    parcel(store, created=base, picked=base, delivered=base + timedelta(hours=30), promised=base + timedelta(hours=24))
    parcel(store, created=base, picked=base, delivered=base + timedelta(hours=50))  # no promise: not in on-time
    parcel(store, created=base, picked=base, promised=base + timedelta(hours=24))  # overdue, undelivered: miss
    Alert.objects.create(shipment=a, kind=AlertKind.STALLED, cause="no_scan", trigger_at=base, opened_at=base)
    got = values(store)
    assert got[Metric.DELIVERY_MEDIAN_HOURS] == Value(30.0, 3)
    assert got[Metric.ON_TIME_DELIVERY_RATE] == Value(round(1 / 3, 4), 3)
    assert got[Metric.STALL_RATE] == Value(0.25, 4)


def _job(store, **fields):
    at = fields.pop("at", sh(2026, 11, 10, 9, 0))
    return InstallationJob.objects.create(store=store, requested_at=at, created_at=at, updated_at=at, **fields)


def test_installation_metrics():
    store = make_store()
    d = sh(2026, 11, 10, 9, 0)
    # Appointment 11-12 14:00-16:00: on site 15:00 -> kept; another arrives 17:00 -> not kept.
    _job(store, appointment_start=sh(2026, 11, 12, 14), appointment_end=sh(2026, 11, 12, 16),
         on_site_at=sh(2026, 11, 12, 15), completed_at=sh(2026, 11, 12, 16), node=InstallationNode.COMPLETED,
         visits=1, delivered_at=d)
    late = _job(store, appointment_start=sh(2026, 11, 12, 14), appointment_end=sh(2026, 11, 12, 16),
                on_site_at=sh(2026, 11, 12, 17), completed_at=sh(2026, 11, 16, 10), node=InstallationNode.COMPLETED,
                visits=2, delivered_at=d)
    InstallationEvent.objects.create(job=late, node=InstallationNode.FAILED, at=sh(2026, 11, 12, 17),
                                     recorded_at=sh(2026, 11, 12, 17))
    _job(store, node=InstallationNode.CANCELLED, delivered_at=d)  # cancelled: left out everywhere
    _job(store, node=InstallationNode.REQUESTED, delivered_at=d)  # never installed: a miss of "within 3 days"
    got = values(store)
    assert got[Metric.APPOINTMENT_KEPT_RATE] == Value(0.5, 2)
    assert got[Metric.FIRST_VISIT_RATE] == Value(0.5, 2)
    assert got[Metric.INSTALLED_WITHIN_DAYS_RATE] == Value(round(1 / 3, 4), 3)


def test_refund_handling_hours_and_dispute_rate():
    store = make_store()
    t = sh(2026, 11, 10, 9, 0)
    refund(store, requested=t, decided=t + timedelta(hours=10), ruling="buyer", status=RefundRequest.Status.CLOSED)
    refund(store, requested=t, decided=t + timedelta(hours=30), ruling="merchant", status=RefundRequest.Status.CLOSED)
    refund(store, requested=t)
    refund(store, requested=t, status=RefundRequest.Status.CANCELLED, decided=t + timedelta(hours=100))
    got = values(store)
    assert got[Metric.REFUND_HANDLING_HOURS] == Value(20.0, 2)
    assert got[Metric.DISPUTE_RATE] == Value(round(1 / 3, 4), 3)


def test_metric_below_minimum_sample_is_left_out_and_its_weight_re_spread():
    rule(Metric.PICKUP_48H_RATE, [[0, 0], [1, 5]], weight=1, minimum=10)
    rule(Metric.STALL_RATE, [[0, 5], [1, 0]], weight=3, minimum=10)
    rule(Metric.RESOLUTION_24H_RATE, [[0, 0], [1, 5]], weight=1, minimum=10)
    DimensionWeight.objects.create(dimension="logistics", weight=1)
    DimensionWeight.objects.create(dimension="service", weight=3)
    config = Configuration.load()
    data = {Metric.PICKUP_48H_RATE: Value(0.8, 100), Metric.STALL_RATE: Value(0.5, 9),  # 9 < 10: not enough
            Metric.RESOLUTION_24H_RATE: Value(0.6, 50)}
    scores = metric_scores(data, config)
    assert scores[Metric.STALL_RATE] is None  # never counted as zero
    combined = combine(scores, config)
    assert combined["logistics"] == 4.0  # the pickup rate alone
    assert combined["installation"] is None
    assert combined["overall"] == round((4.0 * 1 + 3.0 * 3) / 4, 3)
    moves = {row["metric"]: row for row in what_moves(data, config)}
    assert moves[Metric.STALL_RATE]["score"] is None and moves[Metric.STALL_RATE]["gain"] is None
    # Reaching its next threshold (5 at 100 %) raises the 24-hour rate from 3 to 5: +1.5 overall.
    assert moves[Metric.RESOLUTION_24H_RATE]["gain"] == 1.5
    assert moves[Metric.RESOLUTION_24H_RATE]["contribution"] == round(3.25 - 1 / 4 * 4, 3)


def test_three_minute_response_counts_business_time(django_user_model):
    """A buyer message at 11:59 on a 9-12 / 13:30-18 calendar, answered at 13:31: two business minutes."""
    from portal.roles import Role
    from tests.factories import make_team, make_user
    from tests.tickets.factories import make_calendar, make_policy, make_queue
    from tickets.chat import IncomingMessage, ingest_conversation

    store = make_store()
    team = make_team(stores=[store])
    make_queue(team)
    make_policy(calendar=make_calendar(), is_default=True)
    make_user(role=Role.AGENT, team=team)
    buyer = IncomingMessage(id="m1", sender="buyer", sent_at=sh(2026, 11, 16, 11, 59), text="在吗")
    late_buyer = IncomingMessage(id="m3", sender="buyer", sent_at=sh(2026, 11, 16, 14, 0), text="还在吗")
    ingest_conversation(store=store, conversation_id="c1", buyer_nick="b", messages=[buyer],
                        actor=None, now=sh(2026, 11, 16, 12, 0))
    agent = IncomingMessage(id="m2", sender="agent", sent_at=sh(2026, 11, 16, 13, 31), text="您好")
    ingest_conversation(store=store, conversation_id="c1", buyer_nick="b", messages=[agent, late_buyer],
                        actor=None, now=sh(2026, 11, 16, 13, 32))
    from tickets.models import ChatMessage

    first = ChatMessage.objects.get(external_id="m1")
    assert first.human_response_at == sh(2026, 11, 16, 13, 31) and first.human_response_seconds == 120
    # m3 (14:00) is never answered: a miss once a day has passed.
    assert values(store)[Metric.RESPONSE_3MIN_RATE] == Value(0.5, 2)


def test_a_portal_reply_by_a_person_answers_the_waiting_buyer_messages():
    from portal.roles import Role
    from tests.factories import make_team, make_user
    from tests.tickets.factories import make_calendar, make_policy, make_queue
    from tickets import services
    from tickets.chat import IncomingMessage, ingest_conversation
    from tickets.models import ChatMessage

    store = make_store()
    team = make_team(stores=[store])
    make_queue(team)
    make_policy(calendar=make_calendar(always_open=True), is_default=True)
    agent = make_user(role=Role.AGENT, team=team)
    result = ingest_conversation(store=store, conversation_id="c9", buyer_nick="b", actor=None,
                                 messages=[IncomingMessage(id="x", sender="buyer", sent_at=sh(2026, 11, 16, 9, 0),
                                                           text="hi")], now=sh(2026, 11, 16, 9, 0))
    services.reply(result.ticket, actor=agent, body="您好", now=sh(2026, 11, 16, 9, 5))
    message = ChatMessage.objects.get(external_id="x")
    assert message.human_response_seconds == 300
    services.resolve(result.ticket, actor=agent, now=sh(2026, 11, 16, 10, 0))
    result.ticket.refresh_from_db()
    assert result.ticket.first_resolution_seconds == 3600


# --- Hand-computed service metrics, and the stability of a past day's figures --------------------


def _service_store():
    from tests.factories import make_team
    from tests.tickets.factories import make_queue

    store = make_store()
    make_queue(make_team(stores=[store]))
    return store


def _ticket(store, created, **fields):
    """A ticket created at `created` with its metric fields set directly (no SLA machinery)."""
    from tickets import services
    from tickets.models import Ticket

    ticket = services.create_ticket(store=store, actor=None, now=created, buyer_nick="b", subject="s")
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created, **fields)
    return ticket


def _buyer_message(ticket, sent, answered=None, seconds=None):
    from tickets.models import ChatConversation, ChatMessage

    conversation, _ = ChatConversation.objects.get_or_create(
        store=ticket.store, conversation_id=f"c{ticket.pk}", defaults={"ticket": ticket, "created_at": sent})
    return ChatMessage.objects.create(
        conversation=conversation, ticket=ticket, external_id=f"m{ChatMessage.objects.count()}", sender="buyer",
        sent_at=sent, text="?", received_at=sent, human_response_at=answered,
        human_response_seconds=None if answered is None else (answered - sent).total_seconds() if seconds is None
        else seconds)


def test_resolution_satisfaction_and_first_response_by_hand():
    """Window of 11-20: [10-22, 11-21) Shanghai time, computed long after (everything old is decided)."""
    store = _service_store()
    t = sh(2026, 11, 10, 9, 0)
    hour, minute = timedelta(hours=1), timedelta(minutes=1)
    first = _ticket(store, t, first_resolved_at=t + 2 * hour, first_resolution_seconds=7200, rating=5,
                    rated_at=t + 3 * hour, first_response_at=t + 4 * minute, first_response_time=4 * minute)
    _ticket(store, t, first_resolved_at=t + 30 * hour, first_resolution_seconds=30 * 3600, rating=3,
            rated_at=t + 31 * hour, first_response_at=t + 10 * minute, first_response_time=10 * minute)
    _ticket(store, t, first_response_at=t + minute, first_response_time=minute)  # never resolved: a miss
    _ticket(store, t, first_resolved_at=t + 20 * hour, first_resolution_seconds=20 * 3600, rating=4,
            rated_at=t + 21 * hour)
    _ticket(store, t, merged_into=first, first_resolved_at=t + hour, first_resolution_seconds=3600, rating=1,
            rated_at=t + hour, first_response_at=t + minute, first_response_time=60 * minute)  # merged: left out
    _ticket(store, sh(2026, 11, 20, 20, 0))  # 4 h before the end, unresolved: not decided
    got = values(store)
    # Resolved within 24 h: the first and the fourth of four decided tickets.
    assert got[Metric.RESOLUTION_24H_RATE] == Value(0.5, 4)
    # Ratings 5, 3, 4: two of three are 4 or 5.
    assert got[Metric.SATISFACTION_RATE] == Value(round(2 / 3, 4), 3)
    # First responses of 4, 10 and 1 minutes: the median is 4.
    assert got[Metric.FIRST_RESPONSE_MEDIAN_MINUTES] == Value(4.0, 3)


def test_an_event_after_the_windows_end_does_not_change_a_past_days_figures():
    from tickets.models import ChatMessage, Ticket

    store = _service_store()
    t = sh(2026, 11, 10, 9, 0)
    parcel(store, created=t, picked=t + timedelta(hours=1))  # decided long ago: a hit
    young = parcel(store, created=sh(2026, 11, 19, 10, 0))  # 48 h not over at the window's end
    promised = parcel(store, created=sh(2026, 11, 18, 9, 0), picked=sh(2026, 11, 18, 10, 0),
                      promised=sh(2026, 11, 21, 12, 0))
    ticket = _ticket(store, sh(2026, 11, 20, 22, 0))
    message = _buyer_message(ticket, sh(2026, 11, 20, 23, 59))
    metrics = (Metric.PICKUP_48H_RATE, Metric.ON_TIME_DELIVERY_RATE, Metric.DELIVERY_MEDIAN_HOURS,
               Metric.RESPONSE_3MIN_RATE, Metric.RESOLUTION_24H_RATE, Metric.SATISFACTION_RATE,
               Metric.FIRST_RESPONSE_MEDIAN_MINUTES)
    just_after = values(store, now=sh(2026, 11, 21, 0, 30))
    # After the window's end, within the time limits: all of them would be hits if counted.
    young.picked_up_at = sh(2026, 11, 21, 2, 0)
    young.save()
    promised.delivered_at, promised.status = sh(2026, 11, 21, 6, 0), "delivered"
    promised.save()
    ChatMessage.objects.filter(pk=message.pk).update(human_response_at=sh(2026, 11, 21, 0, 1),
                                                     human_response_seconds=120)
    Ticket.objects.filter(pk=ticket.pk).update(
        first_resolved_at=sh(2026, 11, 21, 1, 0), first_resolution_seconds=3 * 3600, rating=5,
        rated_at=sh(2026, 11, 21, 2, 0), first_response_at=sh(2026, 11, 21, 0, 1),
        first_response_time=timedelta(minutes=2))
    later = values(store, now=NOW)
    assert {m: later[m] for m in metrics} == {m: just_after[m] for m in metrics}
    assert later[Metric.PICKUP_48H_RATE] == Value(1.0, 2)  # the old parcel and the promised one
    assert later[Metric.RESPONSE_3MIN_RATE] == Value(None, 0)


def test_day_figures_count_breaches_as_of_the_days_end():
    from scores.services import day_figures
    from tickets.models import Ticket

    store = _service_store()
    ticket = _ticket(store, sh(2026, 11, 20, 10, 0))
    # Due the next morning: not breached at the day's end, breached by the time the day is computed.
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Ticket.Status.OPEN, clock_paused_at=None, sla_breached=False, first_response_at=None,
        first_response_due=sh(2026, 11, 21, 9, 0), resolution_due=sh(2026, 11, 22, 9, 0))
    start, end = window_for(DAY, 1)
    assert day_figures([store.pk], start=start, end=end, now=NOW)[store.pk]["breached"] == 0
    # Due before the day's end: breached on that day, whenever the day is computed.
    Ticket.objects.filter(pk=ticket.pk).update(first_response_due=sh(2026, 11, 20, 20, 0))
    assert day_figures([store.pk], start=start, end=end, now=NOW)[store.pk]["breached"] == 1
