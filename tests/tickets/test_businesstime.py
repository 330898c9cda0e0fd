"""Business-time arithmetic against a brute-force, minute-by-minute oracle (hypothesis)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickets.businesstime import (
    CalendarSpec,
    add_business_minutes,
    business_deadline,
    business_minutes_between,
    business_time_between,
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
        # "Works like" empty: the first weekday with working hours; none has any: no hours.
        for weekday in range(7):
            if weekly.get(weekday):
                return weekly[weekday]
        return []
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


def oracle_deadline(start, flags, minutes):
    """The start of the first working minute after `minutes` working minutes (the last instant by
    which no more than `minutes` are used), or None beyond the flags."""
    seen = 0
    for n, working in enumerate(flags):
        if working and seen == minutes:
            return start + timedelta(minutes=n)
        seen += working
    return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, HORIZON_DAYS * 1440), st.data())
def test_due_time_arithmetic_matches_minute_by_minute_oracle(scenario, span, data):
    spec, raw, start = scenario
    flags = oracle_flags(raw, start, span)
    end = start + timedelta(minutes=span)
    assert business_minutes_between(spec, start, end) == sum(flags)
    assert business_minutes_between(spec, end, start) == -sum(flags)
    assert business_time_between(spec, start, end) == timedelta(minutes=sum(flags))
    if sum(flags):
        for minutes in {1, sum(flags), data.draw(st.integers(1, sum(flags)))}:
            assert add_business_minutes(spec, start, minutes) == oracle_add(start, flags, minutes)
        for minutes in {0, sum(flags) - 1, data.draw(st.integers(0, sum(flags) - 1))}:
            assert business_deadline(spec, start, timedelta(minutes=minutes)) == oracle_deadline(start, flags, minutes)
    # Seconds: a stretch starting and ending at arbitrary seconds counts exactly its working seconds.
    if span >= 2:
        first, last = sorted(data.draw(st.lists(st.integers(0, span * 60 - 1), min_size=2, max_size=2, unique=True)))
        seconds = sum(1 for n in range(first, last) if flags[n // 60])
        a, b = start + timedelta(seconds=first), start + timedelta(seconds=last)
        assert business_time_between(spec, a, b) == timedelta(seconds=seconds)
        if seconds:
            budget = data.draw(st.integers(0, seconds - 1))
            # The deadline of a budget in seconds: the start of the first working second past it.
            working = [n for n in range(first, last) if flags[n // 60]]
            assert business_deadline(spec, a, timedelta(seconds=budget)) == start + timedelta(seconds=working[budget])
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


def test_makeup_day_without_weekday_hours_has_no_hours():
    """The help text's rule: "works like" empty means the first weekday with working hours; a
    calendar without any has none to lend (it does not become a 24-hour day)."""
    spec = CalendarSpec(tz="Asia/Shanghai", weekly={}, makeup_days={date(2026, 2, 14): None})
    assert spec.intervals_on(date(2026, 2, 14)) == ()
    assert not spec.has_working_time()
    lent = CalendarSpec(tz="Asia/Shanghai", weekly={2: [(600, 660)]}, makeup_days={date(2026, 2, 14): None})
    assert lent.intervals_on(date(2026, 2, 14)) == ((600, 660),)


def test_deadline_at_the_end_of_a_working_interval_is_the_next_start():
    # 60 minutes from 17:00 are used up at 18:00; nothing more is used until 09:00 next morning.
    assert add_business_minutes(OFFICE, sh(2026, 9, 28, 17, 0), 60) == sh(2026, 9, 28, 18, 0)
    assert business_deadline(OFFICE, sh(2026, 9, 28, 17, 0), timedelta(minutes=60)) == sh(2026, 9, 29, 9, 0)
    assert business_deadline(OFFICE, sh(2026, 9, 28, 17, 0), timedelta(minutes=59, seconds=59)) == sh(
        2026, 9, 28, 17, 59, 59)
    assert business_deadline(OFFICE, sh(2026, 9, 26, 3, 0), timedelta(0)) == sh(2026, 9, 28, 9, 0)  # Saturday
