"""SLA clocks: policy matching, starting, pausing, resuming, stopping and recomputing due times.

Two clocks per ticket, first response and resolution, counted in business time of the policy's
calendar, exactly (to the microsecond of the instants involved; nothing is rounded). Bookkeeping
(fields on Ticket):

- `sla_clock_started_at`: start of the current running stretch (None while paused or stopped);
- `first_response_used_time` / `resolution_used_time`: business time spent before that stretch
  (all of it while paused); `first_response_used` / `resolution_used` are the same rounded down
  to whole minutes, for display;
- `sla_history`: the running stretches already folded into the used times (this cycle's), so the
  instant a clock passed a target can be found again when the target is lowered later;
- `first_response_due` / `resolution_due`: the instant the clock passes its current target, i.e.
  the last instant at which no more business time than the target is used
  (`business_deadline`): in the past if it already passed it (under the calendars it ran on),
  else when it will if it keeps running (while paused: as if it had kept running from the pause).

One rule for "late" everywhere: a clock is late when it has used more business time than its
target, which is exactly "after its due time" (`due < now` in SQL, `Ticket.is_breached`). The
breach flags are set whenever a clock is judged: when it pauses, stops (first reply,
resolution), and before and after a change of policy or target, so a breach under any target
that applied at the time stands. Minutes are a display and reporting unit only: `whole_minutes`
rounds the exact time down.

Pausing folds the running stretch into the used time; resuming starts a new stretch and so moves
the due times later. A calendar change first folds the running stretch under the old calendar
(time already used is never given back), then recomputes due times under the new one.
Functions on one ticket change the instance only; the caller (tickets/services.py) saves it and
writes the timeline entry (`timeline_data`). Changes to many tickets at once (a policy or calendar
edit, an escalation raising priorities) log theirs with `log_sla_changes`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import transaction

from tickets.businesstime import CalendarSpec, business_deadline, business_time_between
from tickets.models import BusinessCalendar, SLAPolicy, Ticket, TimelineEntry

CLOCK_FIELDS = [
    "sla_policy", "first_response_target", "resolution_target", "first_response_due", "resolution_due",
    "sla_clock_started_at", "clock_paused_at", "first_response_used", "resolution_used", "resolution_due_fixed_at",
    "first_response_used_time", "resolution_used_time", "sla_history",
    "first_response_breached", "resolution_breached", "sla_breached",
]
DEFAULT_PAUSE_STATUSES = [Ticket.Status.PENDING_CUSTOMER]


# --- Calendars --------------------------------------------------------------------------------


def calendar_spec(calendar: BusinessCalendar) -> CalendarSpec:
    """The pure CalendarSpec of a calendar (uses prefetched intervals/holidays/make-up days)."""
    weekly: dict[int, list] = {}
    for interval in calendar.intervals.all():
        weekly.setdefault(interval.weekday, []).append(interval.as_minutes())
    makeup = {}
    for day in calendar.makeup_days.all():
        makeup[day.date] = None if day.works_like is None else tuple(weekly.get(day.works_like, ()))
    return CalendarSpec(
        tz=calendar.time_zone,
        weekly=weekly,
        holidays=frozenset(h.date for h in calendar.holidays.all()),
        makeup_days=makeup,
        always_open=calendar.always_open,
    )


class SpecCache:
    """Calendar specs by calendar id, loaded once per operation (a few queries in all)."""

    def __init__(self):
        self._specs: dict[int, CalendarSpec] = {}
        self._deleted: set[int] = set()

    def load(self, calendar_ids):
        missing = set(calendar_ids) - set(self._specs)
        if missing:
            calendars = BusinessCalendar.objects.filter(pk__in=missing).prefetch_related(
                "intervals", "holidays", "makeup_days"
            )
            for calendar in calendars:
                self._specs[calendar.pk] = calendar_spec(calendar)
        return self

    def get(self, calendar_id) -> CalendarSpec:
        if calendar_id not in self._specs:
            self.load([calendar_id])
        return self._specs[calendar_id]

    def find(self, calendar_id) -> CalendarSpec | None:
        """The spec, or None for a calendar deleted since (looked up once)."""
        if calendar_id not in self._specs and calendar_id not in self._deleted:
            self.load([calendar_id])
            if calendar_id not in self._specs:
                self._deleted.add(calendar_id)
        return self._specs.get(calendar_id)

    def for_ticket(self, ticket: Ticket) -> CalendarSpec | None:
        if ticket.sla_policy_id is None:
            return None
        return self.get(ticket.sla_policy.calendar_id)


# --- Policies ---------------------------------------------------------------------------------


def active_policies() -> list[SLAPolicy]:
    """Active policies with their targets (two queries); pass the list to `match_policy` in loops."""
    return list(SLAPolicy.objects.filter(is_active=True).prefetch_related("targets").order_by("id"))


def _target(policy: SLAPolicy, priority):
    for target in policy.targets.all():
        if target.priority == priority:
            return target
    return None


def match_policy(ticket: Ticket, policies: list[SLAPolicy] | None = None) -> SLAPolicy | None:
    """The most specific active policy for the ticket's queue, category and priority that has a
    target for its priority (queue counts most, then category, then priority; then lowest id);
    else the default policy."""
    policies = active_policies() if policies is None else policies
    candidates = [
        p for p in policies
        if not p.is_default
        and (p.queue_id is None or p.queue_id == ticket.queue_id)
        and (not p.category or p.category == ticket.category)
        and (not p.priority or p.priority == ticket.priority)
        and _target(p, ticket.priority) is not None
    ]
    if candidates:
        return sorted(candidates, key=lambda p: (-p.specificity, p.pk))[0]
    defaults = [p for p in policies if p.is_default and _target(p, ticket.priority) is not None]
    return defaults[0] if defaults else None


def pause_statuses(ticket: Ticket) -> list[str]:
    if ticket.sla_policy_id is None:
        return list(DEFAULT_PAUSE_STATUSES)
    return list(ticket.sla_policy.pause_statuses or [])


# --- Clock arithmetic on one ticket -----------------------------------------------------------

ZERO = timedelta(0)
MINUTE = timedelta(minutes=1)
_MICROSECOND = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CLOCKS = ("first_response", "resolution")
# A history entry: [start, end, calendar id, first-response used before, after, resolution used
# before, after]; instants and durations in integer microseconds (exact in JSON); a clock that
# did not run in the stretch has None.
_SLOTS = {"first_response": 3, "resolution": 5}


def whole_minutes(time: timedelta) -> int:
    """The display and reporting unit: business time rounded down to whole minutes. A remainder
    below zero (overdue by any amount) is at least one minute overdue, so its sign is the rule."""
    return time // MINUTE


def _active(ticket, clock) -> bool:
    if clock == "first_response":
        return ticket.first_response_at is None and ticket.first_response_target is not None
    return ticket.resolution_target is not None


def _target_time(ticket, clock) -> timedelta | None:
    minutes = getattr(ticket, f"{clock}_target")
    return None if minutes is None else timedelta(minutes=minutes)


def _used(ticket, clock) -> timedelta:
    return getattr(ticket, f"{clock}_used_time") or ZERO


def _set_used(ticket, clock, used: timedelta):
    setattr(ticket, f"{clock}_used_time", used)
    setattr(ticket, f"{clock}_used", whole_minutes(used))


def _calendar_id(ticket):
    return ticket.sla_policy.calendar_id if ticket.sla_policy_id else None


def _reference(ticket) -> datetime | None:
    """The instant the used times refer to: the running stretch's start, or the pause."""
    return ticket.sla_clock_started_at or ticket.clock_paused_at


def _micros(value) -> int:
    return (value - _EPOCH if isinstance(value, datetime) else value) // _MICROSECOND


def _instant(micros: int) -> datetime:
    return _EPOCH + micros * _MICROSECOND


def _stretches(ticket, clock):
    """(start, end, calendar id, used before, used after) of the clock's folded stretches, latest first."""
    slot = _SLOTS[clock]
    for entry in reversed(ticket.sla_history or []):
        if entry[slot] is not None:
            yield (_instant(entry[0]), _instant(entry[1]), entry[2], entry[slot] * _MICROSECOND,
                   entry[slot + 1] * _MICROSECOND)


def _forget(ticket, clock):
    """Drop a stopped clock's stretches from the history (a met first response, a closed cycle)."""
    slot = _SLOTS[clock]
    history = []
    for entry in ticket.sla_history or []:
        entry = list(entry)
        entry[slot] = entry[slot + 1] = None
        if any(entry[s] is not None for s in _SLOTS.values()):
            history.append(entry)
    ticket.sla_history = history


def _fold(ticket, specs: SpecCache, now: datetime):
    """Add the running stretch up to `now` to the used times (under the calendar it ran on), keep
    it in the history and start a new stretch at `now`."""
    start = ticket.sla_clock_started_at
    if start is None:
        return
    spec = specs.for_ticket(ticket)
    elapsed = business_time_between(spec, start, now) if spec is not None and now > start else ZERO
    if elapsed > ZERO:
        entry = [_micros(start), _micros(now), _calendar_id(ticket)]
        for clock in CLOCKS:
            if _active(ticket, clock):
                before = _used(ticket, clock)
                _set_used(ticket, clock, before + elapsed)
                entry += [_micros(before), _micros(before + elapsed)]
            else:
                entry += [None, None]
        ticket.sla_history = [*(ticket.sla_history or []), entry]
    ticket.sla_clock_started_at = now


def freeze(ticket: Ticket, specs: SpecCache, now: datetime):
    """Fold the running stretch into the used time and start a new stretch at `now`."""
    _fold(ticket, specs, now)


def used_at(ticket: Ticket, clock: str, at: datetime, specs: SpecCache) -> timedelta:
    """Business time the clock ("first_response" or "resolution") has used by `at`, exactly."""
    used = _used(ticket, clock)
    reference = _reference(ticket)
    start = ticket.sla_clock_started_at
    if reference is None or at >= reference:
        if start is not None and at > start and _active(ticket, clock):
            used += business_time_between(specs.for_ticket(ticket), start, at)
        return used
    # `at` lies before the current stretch or pause (a chat reply that arrives late): the history.
    earliest = None
    for begin, end, calendar_id, before, after in _stretches(ticket, clock):
        earliest = before
        if begin < at:
            spec = specs.find(calendar_id)
            if at >= end or spec is None:
                return after
            return min(before + business_time_between(spec, begin, at), after)
    return earliest if earliest is not None else used


def _due(ticket, clock, specs: SpecCache) -> datetime | None:
    """When the clock passes its current target: in its history, in the current stretch, or (if
    it keeps running) in the future."""
    target = _target_time(ticket, clock)
    previous = getattr(ticket, f"{clock}_due")
    reference = _reference(ticket)
    spec = specs.for_ticket(ticket)
    if target is None or spec is None:
        return None
    if reference is None:
        return previous
    used = _used(ticket, clock)
    if target >= used:
        return business_deadline(spec, reference, target - used)
    for begin, end, calendar_id, before, after in _stretches(ticket, clock):
        if before <= target < after:
            stretch_spec = specs.find(calendar_id)
            if stretch_spec is None:
                return end
            # Exact under the calendar as it is; clamped to the stretch if the calendar was edited since.
            return min(business_deadline(stretch_spec, begin, target - before), end)
    # Passed before the history was kept (clocks from before it existed): the moment known then.
    return previous if previous is not None and previous <= reference else reference


def recompute_dues(ticket: Ticket, specs: SpecCache):
    """Due times of the clocks still counting (running or paused) under their current targets."""
    for clock in CLOCKS:
        if _active(ticket, clock):
            setattr(ticket, f"{clock}_due", _due(ticket, clock, specs))
    pin_fixed_deadline(ticket)


def pin_fixed_deadline(ticket: Ticket):
    """A resolution deadline fixed in wall-clock time (`resolution_due_fixed_at`, e.g. a marketplace's
    respond-by time) is the resolution due time, whatever the policy, priority, pauses or calendar.
    Such a ticket does not pause (`pause`): one fixed while paused runs on from its pause instant
    (the due times of a paused ticket already assume that)."""
    if ticket.resolution_due_fixed_at is not None:
        ticket.resolution_due = ticket.resolution_due_fixed_at
        if ticket.clock_paused_at is not None:
            ticket.sla_clock_started_at, ticket.clock_paused_at = ticket.clock_paused_at, None


def _judge(ticket, at, specs: SpecCache):
    """Flag each counting clock that has used more business time than its target by `at` (and a
    fixed resolution deadline passed by `at`)."""
    if ticket.resolution_due_fixed_at is not None and at > ticket.resolution_due_fixed_at:
        ticket.resolution_breached = ticket.sla_breached = True
    if _reference(ticket) is None:
        return
    for clock in CLOCKS:
        if _active(ticket, clock) and used_at(ticket, clock, at, specs) > _target_time(ticket, clock):
            setattr(ticket, f"{clock}_breached", True)
    if ticket.first_response_breached or ticket.resolution_breached:
        ticket.sla_breached = True


def apply_policy(ticket: Ticket, policy: SLAPolicy | None):
    ticket.sla_policy = policy
    target = _target(policy, ticket.priority) if policy else None
    ticket.first_response_target = target.first_response_minutes if target else None
    ticket.resolution_target = target.resolution_minutes if target else None
    if target is None:
        ticket.first_response_due = ticket.resolution_due = None
    pin_fixed_deadline(ticket)


def start_clocks(ticket: Ticket, *, now, policies=None, specs: SpecCache | None = None):
    """New ticket: match a policy, start both clocks at `now` (paused at once in a pause status)."""
    specs = specs or SpecCache()
    apply_policy(ticket, match_policy(ticket, policies))
    for clock in CLOCKS:
        _set_used(ticket, clock, ZERO)
    ticket.sla_history = []
    ticket.first_response_due = ticket.resolution_due = None
    ticket.clock_paused_at = None
    ticket.sla_clock_started_at = now if ticket.sla_policy_id else None
    recompute_dues(ticket, specs)
    if ticket.sla_policy_id and ticket.status in pause_statuses(ticket):
        pause(ticket, now=now, specs=specs)


def pause(ticket: Ticket, *, now, specs: SpecCache | None = None):
    """Stop the clocks for a pause status (judging them first); the due times stay as they are. A
    ticket with a resolution deadline fixed in wall-clock time never pauses: that deadline runs on
    regardless, and the sweep and `breached` only see running clocks."""
    if ticket.sla_clock_started_at is None or ticket.resolution_due_fixed_at is not None:
        return
    specs = specs or SpecCache()
    _judge(ticket, now, specs)
    _fold(ticket, specs, now)
    ticket.sla_clock_started_at = None
    ticket.clock_paused_at = now


def resume(ticket: Ticket, *, now, specs: SpecCache | None = None):
    """Restart paused clocks at `now`; the due times move by the paused business time."""
    if ticket.clock_paused_at is None:
        return
    specs = specs or SpecCache()
    ticket.clock_paused_at = None
    ticket.sla_clock_started_at = now
    recompute_dues(ticket, specs)


def record_first_response(ticket: Ticket, *, at, specs: SpecCache | None = None) -> bool:
    """Stop the first-response clock at `at` (the first public staff reply). False if already stopped."""
    if ticket.first_response_at is not None:
        return False
    at = max(at, ticket.created_at)
    if ticket.first_response_target is None:
        ticket.first_response_at = at
        return True
    specs = specs or SpecCache()
    used = used_at(ticket, "first_response", at, specs)
    ticket.first_response_at = at
    ticket.first_response_time = used
    ticket.first_response_minutes = whole_minutes(used)
    _set_used(ticket, "first_response", used)
    if used > _target_time(ticket, "first_response"):
        ticket.first_response_breached = ticket.sla_breached = True
    _forget(ticket, "first_response")
    return True


def record_resolution(ticket: Ticket, *, at, specs: SpecCache | None = None):
    """Stop the clocks on resolution (the first-response clock too, if nobody replied), judging them."""
    specs = specs or SpecCache()
    _judge(ticket, at, specs)
    _fold(ticket, specs, at)
    ticket.sla_clock_started_at = None
    ticket.clock_paused_at = None


def stop(ticket: Ticket):
    """Stop the clocks without judging them (merge into another ticket)."""
    ticket.sla_clock_started_at = None
    ticket.clock_paused_at = None


def start_new_cycle(ticket: Ticket, *, now, policies=None, specs: SpecCache | None = None):
    """Reopen: a fresh resolution clock from `now` (the first-response clock continues if unmet). A
    fixed resolution deadline belonged to the previous cycle: it is cleared (a later outside request
    can fix a new one)."""
    specs = specs or SpecCache()
    ticket.sla_cycle += 1
    ticket.resolution_due_fixed_at = None
    apply_policy(ticket, match_policy(ticket, policies))
    _set_used(ticket, "resolution", ZERO)
    _forget(ticket, "resolution")
    ticket.resolution_due = None
    ticket.resolution_breached = False
    ticket.clock_paused_at = None
    ticket.sla_clock_started_at = now if ticket.sla_policy_id else None
    recompute_dues(ticket, specs)
    _judge(ticket, now, specs)  # an unmet first response already past a lower target


def refresh(ticket: Ticket, *, now, policies=None, specs: SpecCache | None = None) -> bool:
    """Queue, category or priority changed (or the policies did): re-match the policy and recompute
    the due times, keeping the time already used. The clocks are judged under the targets that
    applied until `now` first (a breach then stands), and again under the new ones. Returns
    whether policy, targets or due times changed."""
    if not ticket.is_open:
        return False
    specs = specs or SpecCache()
    before = (ticket.sla_policy_id, ticket.first_response_target, ticket.resolution_target,
              ticket.first_response_due, ticket.resolution_due)
    _judge(ticket, now, specs)
    _fold(ticket, specs, now)  # the time used so far counts under the calendar it ran on
    policy = match_policy(ticket, policies)
    if policy is not None:
        specs.load([policy.calendar_id])
    apply_policy(ticket, policy)
    if policy is None:
        ticket.sla_clock_started_at = ticket.clock_paused_at = None
    elif ticket.sla_clock_started_at is None and ticket.clock_paused_at is None:
        # A ticket that had no policy before starts its clocks now.
        ticket.sla_clock_started_at = now
    if ticket.sla_clock_started_at is not None and ticket.status in pause_statuses(ticket):
        pause(ticket, now=now, specs=specs)
    elif ticket.clock_paused_at is not None and ticket.status not in pause_statuses(ticket):
        resume(ticket, now=now, specs=specs)
    recompute_dues(ticket, specs)
    _judge(ticket, now, specs)
    after = (ticket.sla_policy_id, ticket.first_response_target, ticket.resolution_target,
             ticket.first_response_due, ticket.resolution_due)
    return before != after


def remaining_minutes(ticket: Ticket, *, now, specs: SpecCache | None = None) -> dict[str, int | None]:
    """Business minutes left on each clock at `now`, for display: the exact remainder rounded down
    (`whole_minutes`), so it is negative exactly when the clock is late."""
    specs = specs or SpecCache()
    result = {"first_response": None, "resolution": None}
    if not ticket.is_open:
        return result
    for clock in CLOCKS:
        if _active(ticket, clock):
            result[clock] = whole_minutes(_target_time(ticket, clock) - used_at(ticket, clock, now, specs))
    return result


# --- Policy and calendar changes for all open tickets -----------------------------------------


def _open_tickets(queryset=None):
    queryset = Ticket.objects.all() if queryset is None else queryset
    return list(queryset.open().select_related("sla_policy"))


def freeze_open_clocks(*, now, queryset=None) -> int:
    """Fold every running stretch into the used time under the current (old) calendars.

    Call before changing a policy or calendar, so the change cannot give back time already used.
    """
    tickets = [t for t in _open_tickets(queryset) if t.sla_clock_started_at is not None]
    specs = SpecCache().load({t.sla_policy.calendar_id for t in tickets if t.sla_policy_id})
    for ticket in tickets:
        _fold(ticket, specs, now)
    Ticket.objects.bulk_update(
        tickets,
        ["first_response_used", "resolution_used", "first_response_used_time", "resolution_used_time", "sla_history",
         "sla_clock_started_at"],
        batch_size=500,
    )
    return len(tickets)


def recompute_open_tickets(*, now, queryset=None) -> list[Ticket]:
    """Re-match policies and recompute due times of open tickets. Returns the tickets whose policy,
    targets or due times changed (the caller writes their timeline entries)."""
    tickets = _open_tickets(queryset)
    policies = active_policies()
    specs = SpecCache().load(
        {p.calendar_id for p in policies} | {t.sla_policy.calendar_id for t in tickets if t.sla_policy_id}
    )
    by_id = {p.pk: p for p in policies}
    changed = []
    for ticket in tickets:
        if ticket.sla_policy_id in by_id:
            ticket.sla_policy = by_id[ticket.sla_policy_id]
        if refresh(ticket, now=now, policies=policies, specs=specs):
            changed.append(ticket)
    Ticket.objects.bulk_update(tickets, CLOCK_FIELDS, batch_size=500)
    return changed


def _iso(value):
    return value.isoformat() if value else None


def timeline_data(ticket: Ticket) -> dict:
    """The data of an SLA timeline entry: the ticket's policy and due times."""
    return {
        "policy": ticket.sla_policy_id, "first_response_due": _iso(ticket.first_response_due),
        "resolution_due": _iso(ticket.resolution_due),
    }


def log_sla_changes(tickets, *, actor, now):
    """Timeline entries for tickets whose SLA policy or targets changed (bulk)."""
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                ticket=t, kind=TimelineEntry.Kind.SLA, actor=actor, at=now,
                visibility=TimelineEntry.Visibility.INTERNAL, data=timeline_data(t),
            )
            for t in tickets
        ]
    )


def apply_configuration_change(change, *, now, actor=None):
    """Run `change()` (edit policies, targets or calendars) so that it applies to open tickets
    from `now` on without giving back business time already used."""
    with transaction.atomic():
        freeze_open_clocks(now=now)
        result = change()
        changed = recompute_open_tickets(now=now)
        log_sla_changes(changed, actor=actor, now=now)
    return result
