"""Whole ticket lives through the services against a brute-force, second-by-second oracle (hypothesis).

Each example builds two business calendars (split shifts, holidays, make-up days, time zones with
DST changes, sometimes 24x7) and two queue policies with random targets, then drives one ticket
through tickets.services: creation, status changes that pause and resume the clocks, priority
changes and transfers to the other policy in both directions, target changes in the policies,
first reply, resolution and reopen, at arbitrary seconds (some exactly at, or a second around, a
due time). After every event the ticket is compared with the oracle, which knows nothing of
tickets.businesstime or tickets.sla: it walks the life second by second, counting a second for a
clock when the clock runs and the second is working time under the calendar of the policy then in
force, and decides:

- used time: the number of counted seconds;
- late: more seconds counted than the target (in force at that instant) allows; a breach stands;
- due time: the start of the first counted second beyond the target, in the past if the clock
  already passed it, else in the future as if the clock ran on (from the pause, when paused).
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tickets.factories import make_policy
from tickets import services, sla
from tickets.models import (
    BusinessCalendar,
    CalendarInterval,
    Holiday,
    MakeupDay,
    SLAPolicy,
    SLATarget,
    Ticket,
)

ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe", "UTC"]
BASES = [
    datetime(2024, 3, 8, tzinfo=UTC),  # US spring forward 2024-03-10
    datetime(2024, 3, 29, tzinfo=UTC),  # UK spring forward 2024-03-31
    datetime(2024, 4, 5, tzinfo=UTC),  # Lord Howe back 30 min 2024-04-07
    datetime(2024, 10, 25, tzinfo=UTC),  # UK fall back 2024-10-27
    datetime(2024, 11, 1, tzinfo=UTC),  # US fall back 2024-11-03
    datetime(2026, 2, 12, tzinfo=UTC),  # Spring Festival 2026, make-up Saturdays
    datetime(2026, 3, 2, tzinfo=UTC),
]
PRIORITIES = ["low", "normal", "high", "urgent"]
PAUSES = {"A": {"pending_customer"}, "B": {"pending_customer", "pending_internal"}}
OPEN = {"new", "open", "pending_customer", "pending_internal"}


# --- Scenarios --------------------------------------------------------------------------------

interval = st.tuples(st.integers(0, 1380), st.integers(30, 600)).map(lambda t: (t[0], min(1440, t[0] + t[1])))


@st.composite
def calendars(draw, base):
    """(tz, weekly, holidays, make-up days {date: works-like weekday or None}, 24x7): a calendar
    that works (two weekdays at least have hours), as its admin form requires."""
    tz = draw(st.sampled_from(ZONES))
    days = draw(st.sets(st.integers(0, 6), min_size=2, max_size=7))
    weekly = {day: draw(st.lists(interval, min_size=1, max_size=3)) for day in days}
    dates = st.integers(0, 12).map(lambda n: base.date() + timedelta(days=n - 1))
    holidays = draw(st.frozensets(dates, max_size=3))
    makeup = draw(st.dictionaries(dates, st.one_of(st.none(), st.sampled_from(sorted(days))), max_size=2))
    always_open = draw(st.integers(0, 5)) == 0
    return tz, weekly, holidays, makeup, always_open


targets = st.fixed_dictionaries(
    {p: st.tuples(st.integers(1, 120), st.integers(1, 600)) for p in PRIORITIES}
)


def schedule(raw, day: date):
    """Working intervals of a local date, written out from the calendar's rules."""
    _tz, weekly, holidays, makeup, always_open = raw
    if always_open:
        return [(0, 1440)]
    if day in holidays:
        return []
    if day in makeup:
        if makeup[day] is not None:
            return weekly.get(makeup[day], [])
        return next((weekly[d] for d in range(7) if weekly.get(d)), [])
    return weekly.get(day.weekday(), [])


def make_calendar(name, raw) -> BusinessCalendar:
    tz, weekly, holidays, makeup, always_open = raw
    calendar = BusinessCalendar.objects.create(name=name, time_zone=tz, always_open=always_open)
    for weekday, intervals in weekly.items():
        for start, end in intervals:
            CalendarInterval.objects.create(calendar=calendar, weekday=weekday, start=time(start // 60, start % 60),
                                            end=time(end // 60 % 24, end % 60))
    for day in holidays:
        Holiday.objects.create(calendar=calendar, date=day)
    for day, works_like in makeup.items():
        MakeupDay.objects.create(calendar=calendar, date=day, works_like=works_like)
    return calendar


# --- The oracle -------------------------------------------------------------------------------


class Seconds:
    """Working seconds of each calendar, counted from t0 (a whole UTC minute; every zone's offset
    is whole minutes, and working intervals start and end on whole local minutes)."""

    def __init__(self, t0, raws):
        self.t0, self.raws = t0, raws
        self.flags = {key: [] for key in raws}

    def working_minute(self, key, minute):
        flags, raw = self.flags[key], self.raws[key]
        zone = ZoneInfo(raw[0])
        while len(flags) <= minute:
            local = (self.t0 + timedelta(minutes=len(flags))).astimezone(zone)
            at = local.hour * 60 + local.minute
            flags.append(any(s <= at < e for s, e in schedule(raw, local.date())))
        return flags[minute]

    def runs(self, key, start, end):
        """Working (start, length) runs of seconds in [start, end)."""
        second = start
        while second < end:
            if second % 60 == 0 and second + 60 <= end:
                step = 60
            else:
                step = min(60 - second % 60, end - second)
            if self.working_minute(key, second // 60):
                yield second, step
            second += step

    def nth_working(self, key, start, n):
        """The (n+1)-th working second at or after `start` (n >= 0)."""
        second = start
        while True:
            step = 60 - second % 60
            if self.working_minute(key, second // 60):
                if n < step:
                    return second + n
                n -= step
            second += step


@dataclass
class Trace:
    """The seconds one clock counted, as runs."""

    runs: list = field(default_factory=list)
    total: int = 0

    def add(self, start, length):
        if self.runs and sum(self.runs[-1]) == start:
            self.runs[-1] = (self.runs[-1][0], self.runs[-1][1] + length)
        else:
            self.runs.append((start, length))
        self.total += length

    def nth(self, n):
        for start, length in self.runs:
            if n < length:
                return start + n
            n -= length
        return None


class Life:
    """The ticket as the oracle sees it."""

    def __init__(self, seconds: Seconds, table, *, created, priority):
        self.seconds, self.table = seconds, table
        self.now, self.queue, self.priority, self.status = created, "A", priority, "new"
        self.fr, self.res = Trace(), Trace()
        self.fr_met = self.resolved = False
        self.fr_breached = self.res_breached = self.ever_breached = False
        self.paused_since = None
        self.fr_time = None
        self.fr_target, self.res_target = self.table[self.queue][self.priority]

    def counting(self):
        return not self.resolved and self.status not in PAUSES[self.queue]

    def advance(self, to):
        if self.counting():
            for start, length in self.seconds.runs(self.queue, self.now, to):
                self.res.add(start, length)
                if not self.fr_met:
                    self.fr.add(start, length)
        self.now = to

    def judge(self):
        if self.resolved:
            return
        if not self.fr_met and self.fr.total > self.fr_target * 60:
            self.fr_breached = self.ever_breached = True
        if self.res.total > self.res_target * 60:
            self.res_breached = self.ever_breached = True

    def set_status(self, status):
        was = self.counting()
        self.status = status
        if was and not self.counting():
            self.paused_since = self.now
        elif self.counting():
            self.paused_since = None

    def retarget(self):
        self.fr_target, self.res_target = self.table[self.queue][self.priority]

    def due(self, clock):
        trace, target = (self.fr, self.fr_target) if clock == "first_response" else (self.res, self.res_target)
        budget = target * 60
        if budget < trace.total:
            return trace.nth(budget)
        start = self.now if self.counting() else self.paused_since
        return self.seconds.nth_working(self.queue, start, budget - trace.total)

    def late_now(self):
        """Open, counting, and some clock past its target right now."""
        return self.counting() and (
            (not self.fr_met and self.fr.total > self.fr_target * 60) or self.res.total > self.res_target * 60
        )


# --- The property -----------------------------------------------------------------------------

GAPS = st.one_of(st.integers(0, 90), st.integers(0, 3 * 3600), st.integers(0, 2 * 86400), st.sampled_from(
    ["due-1", "due", "due+1"]))


def _check(ticket: Ticket, life: Life, at):
    ticket.refresh_from_db()
    specs = sla.SpecCache()
    instant = life.seconds.t0 + timedelta(seconds=at)
    assert ticket.status == life.status
    assert (ticket.first_response_target, ticket.resolution_target) == (life.fr_target, life.res_target)
    is_open = life.status in OPEN
    active = [("resolution", life.res)] + ([("first_response", life.fr)] if not life.fr_met else [])
    if is_open:
        for clock, trace in active:
            assert sla.used_at(ticket, clock, instant, specs) == timedelta(seconds=trace.total), clock
            due = life.seconds.t0 + timedelta(seconds=life.due(clock))
            assert getattr(ticket, f"{clock}_due") == due, clock
            target = getattr(ticket, f"{clock}_target") * 60
            assert sla.remaining_minutes(ticket, now=instant, specs=specs)[clock] == (target - trace.total) // 60
        running = ticket.clock_paused_at is None and ticket.sla_clock_started_at is not None
        assert running == life.counting()
    else:
        assert ticket.resolution_used_time == timedelta(seconds=life.res.total)
    if life.fr_met:
        assert ticket.first_response_time == timedelta(seconds=life.fr_time)
        assert ticket.first_response_minutes == life.fr_time // 60
    # A breach stands; a running clock past its due time is late now (the SQL rule, same as the oracle's).
    assert Ticket.objects.breached(instant).filter(pk=ticket.pk).exists() == life.late_now()
    assert ticket.is_breached(instant) == life.late_now()
    running = is_open and ticket.clock_paused_at is None
    fr_live = running and not life.fr_met and ticket.first_response_due < instant
    res_live = running and ticket.resolution_due < instant
    assert (ticket.first_response_breached or fr_live) == life.fr_breached
    assert (ticket.resolution_breached or res_live) == life.res_breached
    assert (ticket.sla_breached or fr_live or res_live) == life.ever_breached


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(st.data())
def test_ticket_lives_match_the_second_by_second_oracle(world, data):
    base = data.draw(st.sampled_from(BASES))
    raws = {"A": data.draw(calendars(base)), "B": data.draw(calendars(base))}
    table = {"A": data.draw(targets), "B": data.draw(targets)}
    created = data.draw(st.integers(0, 3 * 86400))
    priority = data.draw(st.sampled_from(PRIORITIES))
    seconds = Seconds(base, raws)
    with transaction.atomic():
        policies = {}
        for key, queue in (("A", world.queue), ("B", world.refund_queue)):
            calendar = make_calendar(f"calendar {key}", raws[key])
            policies[key] = make_policy(f"policy {key}", calendar=calendar, queue=queue, targets=table[key])
            SLAPolicy.objects.filter(pk=policies[key].pk).update(pause_statuses=sorted(PAUSES[key]))
        table = {key: dict(value) for key, value in table.items()}
        ticket = world.ticket(now=base + timedelta(seconds=created), priority=priority, queue=world.queue)
        life = Life(seconds, table, created=created, priority=priority)
        _check(ticket, life, created)
        for _step in range(data.draw(st.integers(1, 12))):
            if life.resolved:
                kinds = ["reopen", "reply", "priority", "config"]
            else:
                kinds = ["status", "status", "priority", "transfer", "reply", "resolve", "config"]
            kind = data.draw(st.sampled_from(kinds))
            gap = data.draw(GAPS)
            at = life.now + gap if isinstance(gap, int) else _near_due(ticket, life, gap)
            now = base + timedelta(seconds=at)
            life.advance(at)
            life.judge()  # late under the targets in force until now: a breach stands
            if kind == "status":
                status = data.draw(st.sampled_from(["open", "pending_customer", "pending_internal"]))
                services.change_status(ticket, actor=world.agent, status=status, now=now)
                life.set_status(status)
            elif kind == "priority":
                life.priority = data.draw(st.sampled_from(PRIORITIES))
                services.change_priority(ticket, priority=life.priority, actor=world.agent, now=now)
                if not life.resolved:
                    life.retarget()
            elif kind == "transfer":
                queue = world.refund_queue if life.queue == "A" else world.queue
                services.transfer(ticket, actor=world.agent, queue=queue, now=now)
                was_counting = life.counting()
                life.queue = "B" if life.queue == "A" else "A"
                if was_counting and not life.counting():
                    life.paused_since = at
                elif life.counting():
                    life.paused_since = None
                life.retarget()
            elif kind == "reply":
                services.reply(ticket, actor=world.agent, body="您好", now=now)
                if not life.fr_met:
                    life.fr_met, life.fr_time = True, life.fr.total
                if life.status == "new":
                    life.set_status("open")
            elif kind == "resolve":
                services.resolve(ticket, actor=world.agent, now=now)
                life.status, life.resolved, life.paused_since = "resolved", True, None
            elif kind == "reopen":
                services.reopen(ticket, actor=world.agent, now=now)
                life.status, life.resolved, life.paused_since = "open", False, None
                life.res, life.res_breached = Trace(), False
                life.retarget()
            elif kind == "config":
                key = data.draw(st.sampled_from(["A", "B"]))
                which = data.draw(st.sampled_from(PRIORITIES))
                new = data.draw(st.tuples(st.integers(1, 120), st.integers(1, 600)))
                sla.apply_configuration_change(
                    lambda key=key, which=which, new=new: SLATarget.objects.filter(
                        policy=policies[key], priority=which
                    ).update(first_response_minutes=new[0], resolution_minutes=new[1]),
                    now=now,
                )
                life.table[key][which] = new
                if not life.resolved:
                    life.retarget()
            life.judge()  # late under the targets in force from now on
            _check(ticket, life, at)
        transaction.set_rollback(True)


def _near_due(ticket, life, gap):
    """An instant a second before, at or after a due time of the ticket (or now if that is past)."""
    dues = [d for d in (ticket.first_response_due if not life.fr_met else None, ticket.resolution_due) if d]
    if not dues:
        return life.now
    offset = {"due-1": -1, "due": 0, "due+1": 1}[gap]
    at = int((min(dues) - life.seconds.t0).total_seconds()) + offset
    return max(at, life.now)
