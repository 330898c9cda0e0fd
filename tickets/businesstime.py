"""Business-time arithmetic over a business calendar. Pure functions, no database.

Definition used everywhere (and by the brute-force oracle in the tests): a real instant is
*working* when its wall-clock time in the calendar's time zone falls inside a working interval of
its local date. The local date's intervals are: nothing on a holiday; the make-up day's intervals
on a make-up working day; otherwise the weekday's intervals. A 24x7 calendar is always working.
Business minutes between two instants are the real working time between them, so a DST change
inside working hours shortens or lengthens that day's business time just as it does the clock on
the wall. The arithmetic is exact (to the microsecond of a datetime): `business_time_between`
returns a timedelta; whole business minutes are only a display unit on top of it.

Two "due" instants exist for a budget of business time from a start: `add_business_minutes`
gives the earliest instant by which the budget is used up, `business_deadline` the last instant
by which no more than the budget is used (they differ when the budget ends exactly at the end of
a working interval: the deadline is then the start of the next one). The SLA clocks use the
deadline, so that "late" means "more business time used than the target" and nothing else.

The walk goes chunk by chunk, a chunk being the rest of one local day under one UTC offset (it is
split only on the rare day the offset changes), so its cost grows with the number of days covered,
never with the number of minutes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[int, int]  # [start_minute, end_minute) of the local day, 0 <= start < end <= 1440
DAY_MINUTES = 24 * 60
# A calendar without working time within this many days is treated as a configuration error
# rather than looping for ever.
MAX_SEARCH_DAYS = 3 * 366


def normalise_intervals(intervals) -> tuple[Interval, ...]:
    """Sorted, merged, validated intervals."""
    cleaned = []
    for start, end in intervals:
        start, end = int(start), int(end)
        if not 0 <= start < end <= DAY_MINUTES:
            raise ValueError(f"Bad working interval {start}-{end} (minutes of the day, start < end <= 1440).")
        cleaned.append((start, end))
    cleaned.sort()
    merged: list[Interval] = []
    for start, end in cleaned:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


@dataclass(frozen=True)
class CalendarSpec:
    """A business calendar as plain data.

    `weekly`: {weekday (Monday=0): [(start_minute, end_minute), ...]}.
    `makeup_days`: {date: intervals or None}; None means "a normal working day" (the intervals of
    `makeup_default()`, the first weekday that has working hours; no hours if no weekday has any).
    """

    tz: str = "Asia/Shanghai"
    weekly: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    makeup_days: Mapping[date, tuple[Interval, ...] | None] = field(default_factory=dict)
    always_open: bool = False

    def __post_init__(self):
        object.__setattr__(self, "weekly", {int(d): normalise_intervals(iv) for d, iv in self.weekly.items()})
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(
            self, "makeup_days",
            {d: (None if iv is None else normalise_intervals(iv)) for d, iv in self.makeup_days.items()},
        )
        object.__setattr__(self, "_zone", ZoneInfo(self.tz))

    @property
    def zone(self) -> ZoneInfo:
        return self._zone  # type: ignore[attr-defined]

    def makeup_default(self) -> tuple[Interval, ...]:
        for weekday in range(7):
            if self.weekly.get(weekday):
                return self.weekly[weekday]
        return ()

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The working intervals of one local date."""
        if self.always_open:
            return ((0, DAY_MINUTES),)
        if day in self.holidays:
            return ()
        if day in self.makeup_days:
            intervals = self.makeup_days[day]
            return self.makeup_default() if intervals is None else intervals
        return self.weekly.get(day.weekday(), ())

    def has_working_time(self) -> bool:
        """Whether any date has working hours (a calendar with only make-up days has a few)."""
        return self.always_open or any(self.weekly.values()) or any(self.makeup_days.values())


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Business-time arithmetic needs aware datetimes.")
    return moment.astimezone(UTC)


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    return instant.astimezone(zone).utcoffset()


def _chunks(spec: CalendarSpec, start: datetime) -> Iterator[tuple[datetime, datetime, date, timedelta]]:
    """(chunk_start, chunk_end, local_date, utc_offset) from `start` on; real (UTC) instants.

    Within a chunk the offset is constant, so local time = real time + offset, and the local date
    does not change. A chunk ends at the next local midnight or at an offset change.
    """
    zone = spec.zone
    cursor = start
    while True:
        offset = _offset(zone, cursor)
        local = cursor + offset
        local_day = local.date()
        end = datetime.combine(local_day + timedelta(days=1), datetime.min.time(), tzinfo=UTC) - offset
        if _offset(zone, end - timedelta(seconds=1)) != offset:
            # The offset changes before the local midnight: find the first second of the new offset.
            low, high = int(cursor.timestamp()), int(end.timestamp()) - 1  # offset(low) == old, offset(high) != old
            while high - low > 1:
                mid = (low + high) // 2
                if _offset(zone, datetime.fromtimestamp(mid, UTC)) == offset:
                    low = mid
                else:
                    high = mid
            end = datetime.fromtimestamp(high, UTC)
        yield cursor, end, local_day, offset
        cursor = end


def _windows(spec: CalendarSpec, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Real working windows [a, b) from `start` on, in order (a >= start)."""
    quiet_days = 0
    for chunk_start, chunk_end, local_day, offset in _chunks(spec, start):
        midnight = datetime.combine(local_day, datetime.min.time(), tzinfo=UTC) - offset
        found = False
        for start_minute, end_minute in spec.intervals_on(local_day):
            a = max(midnight + timedelta(minutes=start_minute), chunk_start)
            b = min(midnight + timedelta(minutes=end_minute), chunk_end)
            if a < b:
                found = True
                yield a, b
        quiet_days = 0 if found else quiet_days + 1
        if quiet_days > MAX_SEARCH_DAYS * 2:
            raise ValueError("The calendar has no working time in the next three years.")


def add_business_minutes(spec: CalendarSpec, start: datetime, minutes: int) -> datetime:
    """The earliest instant by which `minutes` business minutes have elapsed after `start`.

    0 minutes gives `start` back. The result is an aware datetime in UTC.
    """
    start = _as_utc(start)
    if minutes < 0:
        raise ValueError("minutes must not be negative.")
    if minutes == 0:
        return start
    if spec.always_open:
        return start + timedelta(minutes=minutes)
    if not spec.has_working_time():
        raise ValueError("The calendar has no working time.")
    remaining = timedelta(minutes=minutes)
    for a, b in _windows(spec, start):
        length = b - a
        if remaining <= length:
            return a + remaining
        remaining -= length
    raise AssertionError("unreachable")  # pragma: no cover


def business_deadline(spec: CalendarSpec, start: datetime, budget: timedelta) -> datetime:
    """The last instant by which no more than `budget` of business time has elapsed after `start`:
    any later instant has used more. It is `add_business_minutes` except when the budget runs out
    exactly at the end of a working interval: then it is the start of the next working interval
    (nothing is used in between). A zero budget gives the first working instant at or after `start`.
    """
    start = _as_utc(start)
    if budget < timedelta(0):
        raise ValueError("The budget must not be negative.")
    if spec.always_open:
        return start + budget
    if not spec.has_working_time():
        raise ValueError("The calendar has no working time.")
    remaining = budget
    for a, b in _windows(spec, start):
        length = b - a
        if remaining < length:
            return a + remaining
        remaining -= length
    raise AssertionError("unreachable")  # pragma: no cover


def business_time_between(spec: CalendarSpec, start: datetime, end: datetime) -> timedelta:
    """Working time in [start, end), exact; negative when end is before start."""
    start, end = _as_utc(start), _as_utc(end)
    if end < start:
        return -business_time_between(spec, end, start)
    if spec.always_open:
        return end - start
    total = timedelta(0)
    if spec.has_working_time():
        for a, b in _windows_until(spec, start, end):
            total += b - a
    return total


def business_seconds_between(spec: CalendarSpec, start: datetime, end: datetime) -> float:
    """Working seconds in [start, end); negative when end is before start."""
    return business_time_between(spec, start, end).total_seconds()


def _windows_until(spec, start, end):
    for chunk_start, chunk_end, local_day, offset in _chunks(spec, start):
        if chunk_start >= end:
            return
        midnight = datetime.combine(local_day, datetime.min.time(), tzinfo=UTC) - offset
        for start_minute, end_minute in spec.intervals_on(local_day):
            a = max(midnight + timedelta(minutes=start_minute), chunk_start)
            b = min(midnight + timedelta(minutes=end_minute), chunk_end, end)
            if a < b:
                yield a, b


def business_minutes_between(spec: CalendarSpec, start: datetime, end: datetime) -> int:
    """Whole business minutes in [start, end) (truncated toward zero; negative when end < start)."""
    seconds = business_seconds_between(spec, start, end)
    return int(seconds / 60) if seconds >= 0 else -int(-seconds / 60)


def is_working(spec: CalendarSpec, instant: datetime) -> bool:
    """Whether the instant is inside working hours."""
    local = _as_utc(instant).astimezone(spec.zone)
    minute = local.hour * 60 + local.minute
    return any(s <= minute < e for s, e in spec.intervals_on(local.date()))


ALWAYS_OPEN = CalendarSpec(tz="UTC", always_open=True)
