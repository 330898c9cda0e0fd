"""Business-time arithmetic against a brute-force, minute-by-minute oracle (hypothesis)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickets.businesstime import (
    CalendarSpec,
    add_business_minutes,
    business_minutes_between,
    is_working,
)

SH = ZoneInfo("Asia/Shanghai")
ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe", "UTC"]
# Starting points near DST changes of the zones above, and ordinary days.
BASES = [
    datetime(2024, 1, 1, tzinfo=UTC),
    datetime(2024, 3, 8, tzinfo=UTC),  # US spring forward 2024-03-10
    datetime(2024, 3, 29, tzinfo=UTC),  # UK spring forward 2024-03-31
    datetime(2024, 4, 5, tzinfo=UTC),  # Lord Howe back 30 min 2024-04-07
    datetime(2024, 9, 30, tzinfo=UTC),  # Lord Howe forward 2024-10-06
    datetime(2024, 10, 25, tzinfo=UTC),  # UK fall back 2024-10-27
    datetime(2024, 11, 1, tzinfo=UTC),  # US fall back 2024-11-03
    datetime(2026, 2, 10, tzinfo=UTC),  # Spring Festival 2026
]
HORIZON_DAYS = 9

interval = st.tuples(st.integers(0, 1439), st.integers(1, 600)).map(lambda t: (t[0], min(1440, t[0] + t[1])))
intervals = st.lists(interval, max_size=3)


@st.composite
def scenarios(draw):
    base = draw(st.sampled_from(BASES))
    start = base + timedelta(minutes=draw(st.integers(0, 3 * 1440)))
    tz = draw(st.sampled_from(ZONES))
    weekly = draw(st.dictionaries(st.integers(0, 6), intervals, max_size=7))
    first_day = base.date() - timedelta(days=1)
    day = st.integers(0, HORIZON_DAYS + 4).map(lambda n: first_day + timedelta(days=n))
    holidays = draw(st.frozensets(day, max_size=4))
    makeup = draw(st.dictionaries(day, st.one_of(st.none(), intervals.filter(bool)), max_size=3))
    always_open = draw(st.integers(0, 9)) == 0
    spec = CalendarSpec(tz=tz, weekly=weekly, holidays=holidays, makeup_days=makeup, always_open=always_open)
    return spec, (tz, weekly, holidays, makeup, always_open), start


def oracle_schedule(raw, day: date):
    """The schedule rule written out independently of CalendarSpec."""
    tz, weekly, holidays, makeup, always_open = raw
    if always_open:
        return [(0, 1440)]
    if day in holidays:
        return []
    if day in makeup:
        if makeup[day] is not None:
            return makeup[day]
        for weekday in range(7):
            if weekly.get(weekday):
                return weekly[weekday]
        return [] if weekly else [(0, 1440)]
    return weekly.get(day.weekday(), [])


def oracle_flags(raw, start, minutes):
    """One flag per real minute from `start`: is that minute working?"""
    zone = ZoneInfo(raw[0])
    flags = []
    for n in range(minutes):
        local = (start + timedelta(minutes=n)).astimezone(zone)
        minute = local.hour * 60 + local.minute
        flags.append(any(s <= minute < e for s, e in oracle_schedule(raw, local.date())))
    return flags


def oracle_add(start, flags, minutes):
    """The instant at which the `minutes`-th working minute ends, or None beyond the flags."""
    if minutes == 0:
        return start
    seen = 0
    for n, working in enumerate(flags):
        seen += working
        if seen == minutes:
            return start + timedelta(minutes=n + 1)
    return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, HORIZON_DAYS * 1440), st.data())
def test_due_time_arithmetic_matches_minute_by_minute_oracle(scenario, span, data):
    spec, raw, start = scenario
    flags = oracle_flags(raw, start, span)
    end = start + timedelta(minutes=span)
    assert business_minutes_between(spec, start, end) == sum(flags)
    assert business_minutes_between(spec, end, start) == -sum(flags)
    if sum(flags):
        for minutes in {1, sum(flags), data.draw(st.integers(1, sum(flags)))}:
            assert add_business_minutes(spec, start, minutes) == oracle_add(start, flags, minutes)
    # Working-ness of single instants agrees with the oracle too.
    for n in data.draw(st.lists(st.integers(0, max(span - 1, 0)), max_size=3)) if span else []:
        assert is_working(spec, start + timedelta(minutes=n)) == flags[n]


# --- Pinned examples (readable cases the property also covers) --------------------------------

OFFICE = CalendarSpec(
    tz="Asia/Shanghai",
    weekly={d: [(9 * 60, 12 * 60), (13 * 60 + 30, 18 * 60)] for d in range(5)},
    holidays={date(2026, 10, 1), date(2026, 10, 2)},
    makeup_days={date(2026, 10, 10): None},  # a Saturday worked as a normal day
)


def sh(*args):
    return datetime(*args, tzinfo=SH)


def test_lunch_break_is_skipped():
    assert add_business_minutes(OFFICE, sh(2026, 9, 28, 11, 0), 90) == sh(2026, 9, 28, 14, 0)
    assert add_business_minutes(OFFICE, sh(2026, 9, 28, 11, 0), 60) == sh(2026, 9, 28, 12, 0)


def test_holidays_and_makeup_day():
    # Wednesday 30 Sept 17:00, 2 hours: 1 hour that day, holidays Thu/Fri, weekend... Monday 10:00.
    assert add_business_minutes(OFFICE, sh(2026, 9, 30, 17, 0), 120) == sh(2026, 10, 5, 10, 0)
    # From Friday 9 Oct 17:30, 60 minutes: the make-up Saturday 10 Oct counts.
    assert add_business_minutes(OFFICE, sh(2026, 10, 9, 17, 30), 60) == sh(2026, 10, 10, 9, 30)


def test_outside_hours_starts_next_morning():
    assert add_business_minutes(OFFICE, sh(2026, 9, 26, 3, 0), 30) == sh(2026, 9, 28, 9, 30)  # Saturday
    assert business_minutes_between(OFFICE, sh(2026, 9, 28, 8, 0), sh(2026, 9, 28, 20, 0)) == 450


def test_dst_day_has_one_hour_less_working_time():
    spec = CalendarSpec(tz="America/New_York", weekly={6: [(0, 1440)]})
    ny = ZoneInfo("America/New_York")
    start = datetime(2024, 3, 10, 0, 0, tzinfo=ny)
    assert business_minutes_between(spec, start, start + timedelta(days=2)) == 23 * 60


def test_long_targets_skip_days_quickly():
    import time

    begin = time.perf_counter()
    due = add_business_minutes(OFFICE, sh(2026, 1, 5, 9, 0), 390 * 250)
    assert time.perf_counter() - begin < 0.5
    assert business_minutes_between(OFFICE, sh(2026, 1, 5, 9, 0), due) == 390 * 250


def test_naive_datetimes_and_empty_calendars_are_refused():
    with pytest.raises(ValueError):
        add_business_minutes(OFFICE, datetime(2026, 1, 5, 9, 0), 10)
    with pytest.raises(ValueError):
        add_business_minutes(CalendarSpec(tz="UTC", weekly={0: []}), sh(2026, 1, 5, 9, 0), 10)


# --- The SLA clock's pause/resume bookkeeping against the same oracle -------------------------


PAUSE_HORIZON_DAYS = 4


class _Specs:
    def __init__(self, spec):
        self.spec = spec

    def for_ticket(self, ticket):
        return self.spec


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.lists(st.integers(0, PAUSE_HORIZON_DAYS * 1440), max_size=8, unique=True), st.data())
def test_due_time_with_pauses_matches_oracle(scenario, points, data):
    from tickets import sla
    from tickets.models import Ticket

    spec, raw, start = scenario
    points = sorted(points)
    pauses = [(points[i], points[i + 1]) for i in range(0, len(points) - 1, 2)]
    span = PAUSE_HORIZON_DAYS * 1440
    flags = oracle_flags(raw, start, span)
    for pause_start, pause_end in pauses:
        for n in range(pause_start, pause_end):
            flags[n] = False
    if not sum(flags):
        return
    target = data.draw(st.integers(1, sum(flags)))
    expected = oracle_add(start, flags, target)

    specs = _Specs(spec)
    ticket = Ticket(status="open", resolution_target=target, resolution_used=0, sla_clock_started_at=start,
                    created_at=start, sla_policy_id=1)
    sla.recompute_dues(ticket, spec, start)
    for pause_start, pause_end in pauses:
        if ticket.resolution_due <= start + timedelta(minutes=pause_start):
            break
        sla.pause(ticket, now=start + timedelta(minutes=pause_start), specs=specs)
        sla.resume(ticket, now=start + timedelta(minutes=pause_end), specs=specs)
    assert ticket.resolution_due == expected
