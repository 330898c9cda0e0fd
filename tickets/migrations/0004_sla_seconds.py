"""SLA clocks exact to the second: the exact used times, the first-response business time and the
clock history on the ticket, and a recomputation of the stored figures.

Until now the clocks kept whole business minutes and dropped each stretch's leftover seconds, so
the stored figures (used minutes, first-response minutes, due times, breach flags) are off by up
to a minute per pause, resume or change, and "late" was decided three ways. This migration:

1. sets the exact fields of every ticket from the minute figures it has (minutes x 60 s: the
   best the old clock kept);
2. for open tickets and tickets created in the last RECENT_DAYS days, replays the ticket's life
   from its timeline (creation, status changes, first response, resolution) on its policy's
   calendar, exactly, and stores the recomputed figures: used times, first-response time,
   breach flags (late = more business time used than the target), due times of open tickets
   (the instant the target is passed) and the clock history. A ticket is replayed only when its
   timeline fully determines its clocks: one SLA cycle, never an SLA change entry (so the same
   policy, targets and calendar all its life), a creation entry, a consistent chain of status
   changes, and a result that agrees with the old figures within the minute per stretch they
   could have lost. The others keep the converted figures (the targets and calendars that
   applied to them before are not recorded anywhere), and their open clocks get due times by
   the new rule;
3. older closed tickets keep the converted figures: metrics over old periods are as before.

The arithmetic comes from tickets.businesstime (pure functions, no models).
"""

import datetime
from datetime import timedelta

from django.db import migrations, models
from django.utils import timezone

from tickets.businesstime import CalendarSpec, business_deadline, business_time_between

RECENT_DAYS = 92
MINUTE = timedelta(minutes=1)
MICROSECOND = timedelta(microseconds=1)
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
OPEN_STATUSES = {"new", "open", "pending_customer", "pending_internal"}
BATCH = 500
FIELDS = [
    "first_response_used_time", "resolution_used_time", "first_response_used", "resolution_used", "sla_history",
    "sla_clock_started_at", "first_response_time", "first_response_minutes", "first_response_due", "resolution_due",
    "first_response_breached", "resolution_breached", "sla_breached",
]


def _micros(value):
    return (value - EPOCH if isinstance(value, datetime.datetime) else value) // MICROSECOND


def _minutes_of(value, end=False):
    minutes = value.hour * 60 + value.minute
    return 24 * 60 if end and minutes == 0 else minutes


def calendar_specs(apps):
    BusinessCalendar = apps.get_model("tickets", "BusinessCalendar")
    specs = {}
    for calendar in BusinessCalendar.objects.prefetch_related("intervals", "holidays", "makeup_days"):
        weekly = {}
        for interval in calendar.intervals.all():
            weekly.setdefault(interval.weekday, []).append((_minutes_of(interval.start), _minutes_of(interval.end, True)))
        makeup = {
            day.date: None if day.works_like is None else tuple(weekly.get(day.works_like, ()))
            for day in calendar.makeup_days.all()
        }
        try:
            specs[calendar.pk] = CalendarSpec(
                tz=calendar.time_zone, weekly=weekly, holidays=frozenset(h.date for h in calendar.holidays.all()),
                makeup_days=makeup, always_open=calendar.always_open,
            )
        except ValueError:  # a broken calendar: its tickets keep the converted figures
            pass
    return specs


def convert_minutes(apps, schema_editor):
    """Every ticket: the exact fields from the minute figures (minutes x 60 s)."""
    Ticket = apps.get_model("tickets", "Ticket")
    table = schema_editor.quote_name(Ticket._meta.db_table)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        minute = "interval '1 minute'"
    elif vendor == "sqlite":
        minute = "60000000"  # DurationField is stored in microseconds
    else:
        minute = None
    if minute is not None:
        schema_editor.execute(
            f"UPDATE {table} SET first_response_used_time = first_response_used * {minute}, "
            f"resolution_used_time = resolution_used * {minute}, "
            f"first_response_time = CASE WHEN first_response_minutes IS NULL THEN NULL "
            f"ELSE first_response_minutes * {minute} END"
        )
        return
    rows = Ticket.objects.only("first_response_used", "resolution_used", "first_response_minutes")
    batch = []
    for ticket in rows.iterator(chunk_size=2000):
        ticket.first_response_used_time = ticket.first_response_used * MINUTE
        ticket.resolution_used_time = ticket.resolution_used * MINUTE
        if ticket.first_response_minutes is not None:
            ticket.first_response_time = ticket.first_response_minutes * MINUTE
        batch.append(ticket)
        if len(batch) >= 2000:
            Ticket.objects.bulk_update(batch, ["first_response_used_time", "resolution_used_time", "first_response_time"])
            batch = []
    Ticket.objects.bulk_update(batch, ["first_response_used_time", "resolution_used_time", "first_response_time"])


class Unreplayable(Exception):
    """The timeline does not determine the ticket's clocks."""


class Clock:
    """One clock's running stretches: (start, end or None while running, used before)."""

    def __init__(self, spec, stretches, stop=None):
        self.spec = spec
        self.stretches = []
        used = timedelta(0)
        for start, end in stretches:
            if stop is not None:
                if start >= stop:
                    break
                end = stop if end is None else min(end, stop)
            self.stretches.append((start, end, used))
            if end is not None:
                used += business_time_between(spec, start, end)

    def used_at(self, at):
        used = timedelta(0)
        for start, end, before in self.stretches:
            if at <= start:
                return before
            stop = at if end is None else min(at, end)
            used = before + business_time_between(self.spec, start, stop)
        return used

    def due(self, target, paused_at):
        """The instant the clock passes `target`: in a past stretch, or if it keeps running (from the
        pause while paused)."""
        for start, end, before in self.stretches:
            after = before + business_time_between(self.spec, start, end) if end is not None else None
            if before <= target and (after is None or target < after):
                return business_deadline(self.spec, start, target - before)
        used = self.stretches[-1][2] + business_time_between(self.spec, *self.stretches[-1][:2]) if (
            self.stretches) else timedelta(0)
        return business_deadline(self.spec, paused_at, target - used)


def replay(ticket, entries, spec, pause_statuses, now, *, slack):
    """The recomputed figures of one ticket (a dict of field values), or Unreplayable."""
    status, running_since, stretches, judged, paused_at, resolved_at = "new", None, [], [], None, None
    if status in pause_statuses:
        paused_at = ticket.created_at
    else:
        running_since = ticket.created_at
    for entry in entries:
        data = entry.data or {}
        if entry.at < ticket.created_at:
            raise Unreplayable
        if entry.kind in ("field", "transfer"):
            # A category, priority or queue change judged the clocks (same policy and targets).
            if status in OPEN_STATUSES and (entry.kind == "transfer" or data.get("field") in ("category", "priority")):
                judged.append(entry.at)
            continue
        if data.get("from") != status:
            raise Unreplayable
        to = data.get("to")
        if to == "resolved":
            if running_since is not None:
                stretches.append((running_since, entry.at))
                running_since = None
            resolved_at, paused_at = entry.at, None
            judged.append(entry.at)
        elif status in ("resolved", "closed"):
            if to != "closed":
                raise Unreplayable  # a reopen would be a second cycle
        elif to not in OPEN_STATUSES:
            raise Unreplayable
        elif running_since is not None and to in pause_statuses:
            stretches.append((running_since, entry.at))
            judged.append(entry.at)
            running_since, paused_at = None, entry.at
        elif running_since is None and to not in pause_statuses:
            running_since, paused_at = entry.at, None
        status = to
    is_open = status in OPEN_STATUSES
    if status != ticket.status or (is_open and paused_at != ticket.clock_paused_at):
        raise Unreplayable
    if running_since is not None:
        stretches.append((running_since, None))

    fr_target = None if ticket.first_response_target is None else ticket.first_response_target * MINUTE
    res_target = None if ticket.resolution_target is None else ticket.resolution_target * MINUTE
    fr_at = ticket.first_response_at
    res = Clock(spec, stretches)
    fr = Clock(spec, stretches, stop=fr_at)
    reference = running_since or paused_at or resolved_at or now
    res_used = res.used_at(reference)
    fr_used = fr.used_at(fr_at if fr_at is not None else reference)
    # Judged whenever a clock paused, stopped (first response, resolution) or its ticket changed.
    res_breached = res_target is not None and any(res.used_at(at) > res_target for at in judged)
    fr_points = [at for at in judged if fr_at is None or at <= fr_at] + ([fr_at] if fr_at else [])
    fr_breached = fr_target is not None and any(fr.used_at(at) > fr_target for at in fr_points)

    # The old figures were at most a minute short per stretch or change: anything else means the
    # timeline does not tell the whole story (e.g. the policy's pause statuses were edited).
    old_point = (ticket.sla_clock_started_at if is_open else None) or reference
    if not ticket.resolution_used <= res.used_at(old_point) // MINUTE <= ticket.resolution_used + slack:
        raise Unreplayable
    if fr_at is not None and ticket.first_response_minutes is not None and not (
        ticket.first_response_minutes <= fr_used // MINUTE <= ticket.first_response_minutes + slack
    ):
        raise Unreplayable

    result = {
        "resolution_used_time": res_used, "resolution_used": res_used // MINUTE,
        "first_response_used_time": fr_used, "first_response_used": fr_used // MINUTE,
        "resolution_breached": res_breached, "first_response_breached": fr_breached,
        "sla_breached": res_breached or fr_breached,
        "sla_clock_started_at": running_since if is_open else None, "sla_history": [],
    }
    if fr_at is not None and fr_target is not None:
        result.update(first_response_time=fr_used, first_response_minutes=fr_used // MINUTE)
    if is_open:
        if res_target is not None:
            result["resolution_due"] = res.due(res_target, paused_at)
        if fr_at is None and fr_target is not None:
            result["first_response_due"] = fr.due(fr_target, paused_at)
        # The closed stretches, for finding a lowered target's crossing later (tickets/sla.py). In
        # this one cycle both clocks ran together until the first response.
        for start, end, before in res.stretches:
            length = business_time_between(spec, start, end) if end is not None else timedelta(0)
            if length > timedelta(0):
                slots = [_micros(before), _micros(before + length)]
                result["sla_history"].append(
                    [_micros(start), _micros(end), ticket.sla_policy.calendar_id,
                     *(slots if fr_at is None else [None, None]), *slots]
                )
    return result


def recompute(apps, schema_editor, now=None):
    """Replay open and recent tickets (see the module docstring)."""
    Ticket = apps.get_model("tickets", "Ticket")
    TimelineEntry = apps.get_model("tickets", "TimelineEntry")
    now = now or timezone.now()
    specs = calendar_specs(apps)
    tickets = (
        Ticket.objects.filter(models.Q(status__in=OPEN_STATUSES) | models.Q(created_at__gte=now - timedelta(days=RECENT_DAYS)))
        .filter(sla_policy__isnull=False, merged_into__isnull=True)
        .select_related("sla_policy")
        .order_by("pk")
    )
    ids = list(tickets.values_list("pk", flat=True))
    for offset in range(0, len(ids), BATCH):
        chunk = {t.pk: t for t in tickets.filter(pk__in=ids[offset:offset + BATCH])}
        counts = dict(
            TimelineEntry.objects.filter(ticket_id__in=chunk).values_list("ticket_id").annotate(n=models.Count("pk"))
        )
        entries = {}
        for entry in TimelineEntry.objects.filter(
            ticket_id__in=chunk, kind__in=["status", "sla", "created", "field", "transfer"]
        ).order_by("at", "pk"):
            entries.setdefault(entry.ticket_id, []).append(entry)
        changed = []
        for pk, ticket in chunk.items():
            spec = specs.get(ticket.sla_policy.calendar_id)
            if spec is None:
                continue
            own = entries.get(pk, [])
            kinds = {entry.kind for entry in own}
            result = None
            if ticket.sla_cycle == 1 and "sla" not in kinds and "created" in kinds:
                try:
                    result = replay(
                        ticket, [e for e in own if e.kind != "created"], spec,
                        set(ticket.sla_policy.pause_statuses or []), now, slack=counts.get(pk, 0) + 10,
                    )
                except (Unreplayable, ValueError):
                    result = None
            if result is None:
                result = _new_due_rule(ticket, spec)
            if result:
                for field, value in result.items():
                    setattr(ticket, field, value)
                changed.append(ticket)
        Ticket.objects.bulk_update(changed, FIELDS, batch_size=BATCH)


def _new_due_rule(ticket, spec):
    """A ticket that cannot be replayed: an open clock not past its target gets its due time by the
    new rule (the last instant with no more business time used than the target)."""
    reference = ticket.sla_clock_started_at or ticket.clock_paused_at
    if ticket.status not in OPEN_STATUSES or reference is None:
        return {}
    result = {}
    try:
        for clock, active in (("first_response", ticket.first_response_at is None), ("resolution", True)):
            target = getattr(ticket, f"{clock}_target")
            used = getattr(ticket, f"{clock}_used_time")
            if active and target is not None and target * MINUTE >= used:
                result[f"{clock}_due"] = business_deadline(spec, reference, target * MINUTE - used)
    except ValueError:
        return {}
    return result


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0003_oversee_permission'),
    ]

    operations = [
        migrations.AddField(
            model_name='ticket',
            name='first_response_time',
            field=models.DurationField(blank=True, null=True, verbose_name='first response time (business time)'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='first_response_used_time',
            field=models.DurationField(default=datetime.timedelta(0), verbose_name='first-response business time used'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='resolution_used_time',
            field=models.DurationField(default=datetime.timedelta(0), verbose_name='resolution business time used'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='sla_history',
            field=models.JSONField(blank=True, default=list, verbose_name='SLA clock history'),
        ),
        migrations.RunPython(convert_minutes, migrations.RunPython.noop),
        migrations.RunPython(recompute, migrations.RunPython.noop),
    ]
