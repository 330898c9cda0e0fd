"""SLA clocks: policy matching, starting, pausing, resuming, stopping and recomputing due times.

Two clocks per ticket, first response and resolution, counted in business minutes of the
policy's calendar. Bookkeeping (fields on Ticket):

- `sla_clock_started_at`: start of the current running stretch (None while paused or stopped);
- `first_response_used` / `resolution_used`: business minutes spent before that stretch;
- `first_response_due` / `resolution_due`: the instant the target is reached if the clock keeps
  running, i.e. `add_business_minutes(calendar, stretch start, target - used)`.

Pausing folds the running stretch into `used`; resuming starts a new stretch and so moves the due
times later. A policy or calendar change first folds the running stretch into `used` under the
old rules (time already used is never given back), then recomputes due times under the new ones.
Functions on one ticket change the instance only; the caller (tickets/services.py) saves it and
writes the timeline entry (`timeline_data`). Changes to many tickets at once (a policy or calendar
edit, an escalation raising priorities) log theirs with `log_sla_changes`.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from tickets.businesstime import CalendarSpec, add_business_minutes, business_minutes_between
from tickets.models import BusinessCalendar, SLAPolicy, Ticket, TimelineEntry

CLOCK_FIELDS = [
    "sla_policy", "first_response_target", "resolution_target", "first_response_due", "resolution_due",
    "sla_clock_started_at", "clock_paused_at", "first_response_used", "resolution_used",
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


def _fr_active(ticket) -> bool:
    return ticket.first_response_at is None and ticket.first_response_target is not None


def _res_active(ticket) -> bool:
    return ticket.resolution_target is not None


def _due(spec, start, target, used, previous):
    """Due time of a clock running from `start` with `used` minutes spent; a clock already past its
    target keeps the moment it breached (or `start`, if that moment is unknown)."""
    if target is None or spec is None:
        return None
    remaining = target - used
    if remaining > 0:
        return add_business_minutes(spec, start, remaining)
    return previous if previous is not None and previous <= start else start


def _elapsed(spec, start, end) -> int:
    return max(0, business_minutes_between(spec, start, end)) if spec and start and end > start else 0


def _mark_breaches(ticket, at):
    """Flag a running clock whose due time passed before `at`."""
    if _fr_active(ticket) and ticket.first_response_due and ticket.first_response_due < at:
        ticket.first_response_breached = True
    if _res_active(ticket) and ticket.resolution_due and ticket.resolution_due < at:
        ticket.resolution_breached = True
    if ticket.first_response_breached or ticket.resolution_breached:
        ticket.sla_breached = True


def freeze(ticket: Ticket, spec, now: datetime):
    """Fold the running stretch into the used minutes and start a new stretch at `now`."""
    if ticket.sla_clock_started_at is None:
        return
    elapsed = _elapsed(spec, ticket.sla_clock_started_at, now)
    if _fr_active(ticket):
        ticket.first_response_used += elapsed
    if _res_active(ticket):
        ticket.resolution_used += elapsed
    # Used time is kept in whole business minutes: a stretch's leftover seconds (< 1 minute) are dropped.
    ticket.sla_clock_started_at = now


def recompute_dues(ticket: Ticket, spec, now: datetime):
    """Due times of a running clock from its current stretch (no-op when paused or stopped)."""
    start = ticket.sla_clock_started_at
    if start is None:
        return
    if _fr_active(ticket):
        ticket.first_response_due = _due(
            spec, start, ticket.first_response_target, ticket.first_response_used, ticket.first_response_due
        )
    if _res_active(ticket):
        ticket.resolution_due = _due(spec, start, ticket.resolution_target, ticket.resolution_used, ticket.resolution_due)


def apply_policy(ticket: Ticket, policy: SLAPolicy | None):
    ticket.sla_policy = policy
    target = _target(policy, ticket.priority) if policy else None
    ticket.first_response_target = target.first_response_minutes if target else None
    ticket.resolution_target = target.resolution_minutes if target else None
    if target is None:
        ticket.first_response_due = ticket.resolution_due = None


def start_clocks(ticket: Ticket, *, now, policies=None, specs: SpecCache | None = None):
    """New ticket: match a policy, start both clocks at `now` (paused at once in a pause status)."""
    specs = specs or SpecCache()
    apply_policy(ticket, match_policy(ticket, policies))
    ticket.first_response_used = ticket.resolution_used = 0
    ticket.first_response_due = ticket.resolution_due = None
    ticket.clock_paused_at = None
    ticket.sla_clock_started_at = now if ticket.sla_policy_id else None
    recompute_dues(ticket, specs.for_ticket(ticket), now)
    if ticket.sla_policy_id and ticket.status in pause_statuses(ticket):
        pause(ticket, now=now, specs=specs)


def pause(ticket: Ticket, *, now, specs: SpecCache | None = None):
    """Stop the clocks for a pause status; the due times stay as they were until the resume."""
    if ticket.sla_clock_started_at is None:
        return
    specs = specs or SpecCache()
    freeze(ticket, specs.for_ticket(ticket), now)
    _mark_breaches(ticket, now)
    ticket.sla_clock_started_at = None
    ticket.clock_paused_at = now


def resume(ticket: Ticket, *, now, specs: SpecCache | None = None):
    """Restart paused clocks at `now`; the due times move by the paused business time."""
    if ticket.clock_paused_at is None:
        return
    specs = specs or SpecCache()
    ticket.clock_paused_at = None
    ticket.sla_clock_started_at = now
    recompute_dues(ticket, specs.for_ticket(ticket), now)


def record_first_response(ticket: Ticket, *, at, specs: SpecCache | None = None) -> bool:
    """Stop the first-response clock at `at` (the first public staff reply). False if already stopped."""
    if ticket.first_response_at is not None:
        return False
    at = max(at, ticket.created_at)
    ticket.first_response_at = at
    if ticket.first_response_target is None:
        return True
    specs = specs or SpecCache()
    spec = specs.for_ticket(ticket)
    used = ticket.first_response_used
    if ticket.sla_clock_started_at is not None:
        used += _elapsed(spec, ticket.sla_clock_started_at, at)
        late = bool(ticket.first_response_due and at > ticket.first_response_due)
    else:
        late = used > ticket.first_response_target
    ticket.first_response_minutes = used
    if late:
        ticket.first_response_breached = ticket.sla_breached = True
    return True


def record_resolution(ticket: Ticket, *, at, specs: SpecCache | None = None):
    """Stop the clocks on resolution (the first-response clock too, if nobody replied)."""
    specs = specs or SpecCache()
    if ticket.sla_clock_started_at is not None:
        spec = specs.for_ticket(ticket)
        freeze(ticket, spec, at)
        _mark_breaches(ticket, at)
    elif _res_active(ticket) and ticket.resolution_used > ticket.resolution_target:
        ticket.resolution_breached = ticket.sla_breached = True
    ticket.sla_clock_started_at = None
    ticket.clock_paused_at = None


def stop(ticket: Ticket):
    """Stop the clocks without judging them (merge into another ticket)."""
    ticket.sla_clock_started_at = None
    ticket.clock_paused_at = None


def start_new_cycle(ticket: Ticket, *, now, policies=None, specs: SpecCache | None = None):
    """Reopen: a fresh resolution clock from `now` (the first-response clock continues if unmet)."""
    specs = specs or SpecCache()
    ticket.sla_cycle += 1
    apply_policy(ticket, match_policy(ticket, policies))
    ticket.resolution_used = 0
    ticket.resolution_due = None
    ticket.resolution_breached = False
    ticket.clock_paused_at = None
    ticket.sla_clock_started_at = now if ticket.sla_policy_id else None
    recompute_dues(ticket, specs.for_ticket(ticket), now)


def refresh(ticket: Ticket, *, now, policies=None, specs: SpecCache | None = None) -> bool:
    """Queue, category or priority changed (or the policies did): re-match the policy and recompute
    the due times, keeping the minutes already used. Returns whether policy, targets or due times changed."""
    if not ticket.is_open:
        return False
    specs = specs or SpecCache()
    before = (ticket.sla_policy_id, ticket.first_response_target, ticket.resolution_target,
              ticket.first_response_due, ticket.resolution_due)
    freeze(ticket, specs.for_ticket(ticket), now)
    policy = match_policy(ticket, policies)
    if policy is not None:
        specs.load([policy.calendar_id])
    apply_policy(ticket, policy)
    if policy is None:
        ticket.sla_clock_started_at = ticket.clock_paused_at = None
    elif ticket.sla_clock_started_at is None and ticket.clock_paused_at is None:
        # A ticket that had no policy before starts its clocks now.
        ticket.sla_clock_started_at = now
    if ticket.sla_clock_started_at is not None:
        recompute_dues(ticket, specs.for_ticket(ticket), now)
        _mark_breaches(ticket, now)
        if ticket.status in pause_statuses(ticket):
            pause(ticket, now=now, specs=specs)
    elif ticket.clock_paused_at is not None and ticket.status not in pause_statuses(ticket):
        resume(ticket, now=now, specs=specs)
    after = (ticket.sla_policy_id, ticket.first_response_target, ticket.resolution_target,
             ticket.first_response_due, ticket.resolution_due)
    return before[:3] != after[:3] or any(_moved(old, new) for old, new in zip(before[3:], after[3:], strict=True))


def _moved(old, new) -> bool:
    """A due time moved by a minute or more (freezing drops leftover seconds, which is no change)."""
    if old is None or new is None:
        return old is not new
    return abs((new - old).total_seconds()) >= 60


def remaining_minutes(ticket: Ticket, *, now, specs: SpecCache | None = None) -> dict[str, int | None]:
    """Business minutes left on each clock at `now` (negative when overdue), for display."""
    specs = specs or SpecCache()
    spec = specs.for_ticket(ticket)
    elapsed = _elapsed(spec, ticket.sla_clock_started_at, now) if ticket.sla_clock_started_at else 0
    result = {"first_response": None, "resolution": None}
    if _fr_active(ticket) and ticket.is_open:
        result["first_response"] = ticket.first_response_target - ticket.first_response_used - elapsed
    if _res_active(ticket) and ticket.is_open:
        result["resolution"] = ticket.resolution_target - ticket.resolution_used - elapsed
    return result


# --- Policy and calendar changes for all open tickets -----------------------------------------


def _open_tickets(queryset=None):
    queryset = Ticket.objects.all() if queryset is None else queryset
    return list(queryset.open().select_related("sla_policy"))


def freeze_open_clocks(*, now, queryset=None) -> int:
    """Fold every running stretch into the used minutes under the current (old) calendars.

    Call before changing a policy or calendar, so the change cannot give back time already used.
    """
    tickets = [t for t in _open_tickets(queryset) if t.sla_clock_started_at is not None]
    specs = SpecCache().load({t.sla_policy.calendar_id for t in tickets if t.sla_policy_id})
    for ticket in tickets:
        freeze(ticket, specs.for_ticket(ticket), now)
    Ticket.objects.bulk_update(tickets, ["first_response_used", "resolution_used", "sla_clock_started_at"], batch_size=500)
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
