"""The escalation sweep: fire every level that has come due, in order, in one transaction.

The sweep (`escalate_due_tickets(now=...)`) is set-based. The levels of each ladder version still
in use are fired lowest first, a run of consecutive levels on the same clock in ONE statement
(a level with actions ends its run, so the next levels see what it changed):

    INSERT INTO escalation (...) SELECT ... FROM ticket t, ticket_ladder tl, ladder_level lv
    WHERE <t open and due by the run's latest threshold, clock running, tl = t's current cycle on
           this version, not halted by an acknowledgement, some level of the run due and not
           fired (bit masks), then per level: its trigger, conditions and business-hours gate>
    ON CONFLICT DO NOTHING

(tickets/escalation/sql.py builds it). Every row carries this sweep's uuid. The unique constraint (ticket, level, cycle) makes each
escalation fire at most once: on PostgreSQL a concurrent sweep's insert waits on the conflicting
row and then skips it, so exactly one sweep owns (inserted) each row, and only the owner writes the
timeline entries, applies the level's actions and queues notifications, all in the sweep's one
transaction. After downtime every level that came due fires in the same sweep, in order.

`TicketLadder.fired_mask` (a bit per level fired in the cycle) lets a steady-state sweep dismiss a
ticket with one row read instead of a lookup per (ticket, level); it is a filter only, the
constraint stays the guarantee.

Recipients depend only on (level, queue, assignee), so they are resolved in memory from the org
chart loaded once per sweep; every recipient gets ONE notification per channel per sweep listing
what reached them (`EscalationDelivery` records which notifications carried which group). The
number of queries grows with the number of levels, never with the number of tickets
(tickets/escalation/recipients.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import BigIntegerField, Case, DateTimeField, F, Max, Value, When
from django.db.models.functions import JSONObject
from django.utils.translation import gettext as _

from portal import registry
from portal.formatting import person_name
from portal.sql import insert_select
from tickets import sla
from tickets.escalation.ladders import level_label
from tickets.escalation.recipients import notify
from tickets.escalation.sql import (
    FireStatement,
    GroupConcat,
    JSONGroupArray,
    SweepContext,
    delete_sweep,
    json_literal,
    mark_fired,
)
from tickets.models import (
    PRIORITY_RANK,
    Escalation,
    EscalationLadder,
    EscalationSweep,
    LadderLevel,
    Queue,
    Ticket,
    TicketLadder,
    TimelineEntry,
)

Kind = TimelineEntry.Kind
INTERNAL = TimelineEntry.Visibility.INTERNAL
# A superseded ladder version with no open tickets is retired after this long (see live_levels).
RETIRE_AFTER = timedelta(hours=1)


def _value(value, output_field):
    return Value(value, output_field=output_field)


@dataclass
class LevelResult:
    level: LadderLevel
    fired: int = 0


@dataclass
class SweepResult:
    """What one sweep did: escalations fired per level, notifications queued."""

    sweep_id: uuid.UUID
    now: datetime
    levels: list[LevelResult] = field(default_factory=list)
    notifications: int = 0

    @property
    def fired(self) -> int:
        return sum(item.fired for item in self.levels)

    def lines(self) -> list[str]:
        """One line per level: '<policy> v<version> level <n> <name>: <count>'."""
        return [
            f"{item.level.ladder.policy.name} v{item.level.ladder.version} "
            f"level {item.level.position} {item.level.name}: {item.fired}"
            for item in self.levels
        ]

    def summary(self) -> dict:
        return {
            "sweep": str(self.sweep_id), "fired": self.fired, "notifications": self.notifications,
            "levels": {f"{i.level.ladder_id}:{i.level.position}": i.fired for i in self.levels},
        }


def firing_groups(levels) -> list[list[LadderLevel]]:
    """Consecutive levels of one ladder on the same clock fire in one statement; a level with
    actions ends its group, so the next levels see what its actions changed."""
    groups: list[list[LadderLevel]] = []
    for level in levels:
        current = groups[-1] if groups else None
        if (current and current[-1].ladder_id == level.ladder_id and current[-1].clock == level.clock
                and not current[-1].has_actions):
            current.append(level)
        else:
            groups.append([level])
    return groups


def _owned(level, sweep_id):
    return Escalation.objects.filter(sweep_id=sweep_id, level_id=level.pk)


def _write_timeline(sweep, now, levels):
    """One timeline entry per ticket for the sweep, listing the levels that fired (one statement)."""
    text = TimelineEntry._meta.get_field("body")
    number = BigIntegerField()

    def per_level(values, output_field):
        return Case(*[When(level_id=level.pk, then=_value(values(level), output_field)) for level in levels],
                    output_field=output_field)

    insert_select(
        TimelineEntry,
        Escalation.objects.filter(sweep=sweep).values("ticket_id").order_by("ticket_id"),
        {
            "ticket": F("ticket_id"),
            "kind": _value(Kind.ESCALATION, text),
            "at": _value(now, DateTimeField()),
            "visibility": _value(INTERNAL, text),
            "body": GroupConcat(per_level(lambda lv: _("Level %(position)s %(name)s") % {
                "position": lv.position, "name": lv.display_name}, text)),
            "data": JSONObject(
                levels=JSONGroupArray(per_level(lambda lv: lv.position, number)),
                cycle=Max("cycle"), sweep=_value(str(sweep.uuid), text),
            ),
        },
    )


def _field_entries(tickets, field_name, old, new, escalation_level, now):
    """FIELD timeline entries ({field, from, to, escalation level}) for `tickets` (one statement)."""
    text = TimelineEntry._meta.get_field("body")
    insert_select(
        TimelineEntry,
        tickets.order_by("id"),
        {
            "ticket": F("id"),
            "kind": _value(Kind.FIELD, text),
            "at": _value(now, DateTimeField()),
            "visibility": _value(INTERNAL, text),
            "body": _value("", text),
            "data": JSONObject(field=_value(field_name, text), **{"from": old}, to=new,
                               escalation_level=_value(escalation_level, BigIntegerField())),
        },
    )


def _apply_actions(level: LadderLevel, sweep_id, now):
    """The level's actions on the tickets this sweep escalated at this level (set-based)."""
    owned_ids = _owned(level, sweep_id).values("ticket_id")
    tickets = Ticket.objects.filter(pk__in=owned_ids)
    text = TimelineEntry._meta.get_field("body")
    resla = []
    if level.raise_priority_to:
        lower = [p for p, rank in PRIORITY_RANK.items() if rank < PRIORITY_RANK[level.raise_priority_to]]
        raised = tickets.filter(priority__in=lower)
        ids = list(raised.values_list("pk", flat=True))
        if ids:
            _field_entries(Ticket.objects.filter(pk__in=ids), "priority", F("priority"),
                           _value(level.raise_priority_to, text), level.position, now)
            Ticket.objects.filter(pk__in=ids).update(priority=level.raise_priority_to, updated_at=now)
            resla += ids
    if level.mark_major:
        marked = tickets.filter(is_major=False)
        _field_entries(marked, "is_major", json_literal(False), json_literal(True), level.position, now)
        marked.update(is_major=True, updated_at=now)
    if level.reassign_queue_id:
        queue = level.reassign_queue
        moved = tickets.exclude(queue_id=queue.pk)
        ids = list(moved.values_list("pk", flat=True))
        if ids:
            insert_select(
                TimelineEntry,
                Ticket.objects.filter(pk__in=ids).order_by("id"),
                {
                    "ticket": F("id"), "kind": _value(Kind.TRANSFER, text), "at": _value(now, DateTimeField()),
                    "visibility": _value(INTERNAL, text), "body": _value(level_label(level), text),
                    "data": JSONObject(
                        from_queue=F("queue_id"), to_queue=_value(queue.pk, BigIntegerField()),
                        from_team=F("queue__team_id"), to_team=_value(queue.team_id, BigIntegerField()),
                        from_assignee=F("assignee_id"), escalation_level=_value(level.position, BigIntegerField()),
                    ),
                },
            )
            Ticket.objects.filter(pk__in=ids).update(queue_id=queue.pk, assignee=None, updated_at=now)
            resla += ids
    if level.reassign_user_id:
        user = level.reassign_user
        changed = tickets.exclude(assignee_id=user.pk)
        # The level's person is not given tickets of a queue an assignment guard closes to them
        # (e.g. a queue requiring a certification they lack): those keep their assignee.
        queues = Queue.objects.filter(pk__in=changed.values("queue_id"))
        refused = [queue.pk for queue in queues if registry.assignment_refusals(queue, [user.pk], now=now)]
        if refused:
            changed = changed.exclude(queue_id__in=refused)
        insert_select(
            TimelineEntry,
            changed.order_by("id"),
            {
                "ticket": F("id"), "kind": _value(Kind.ASSIGN, text), "at": _value(now, DateTimeField()),
                "visibility": _value(INTERNAL, text), "body": _value(level_label(level), text),
                "data": JSONObject(
                    **{"from": F("assignee_id")}, to=_value(user.pk, BigIntegerField()),
                    to_name=_value(person_name(user), text), queue=F("queue_id"),
                    via=_value("escalation", text),
                ),
            },
        )
        changed.update(assignee_id=user.pk, updated_at=now)
    if resla:
        # A new priority or queue may match other SLA targets: recompute as the ticket domain does
        # (time already used is kept; a clock already past its target keeps its breach moment).
        queryset = Ticket.objects.filter(pk__in=resla)
        sla.freeze_open_clocks(now=now, queryset=queryset)
        sla.log_sla_changes(sla.recompute_open_tickets(now=now, queryset=queryset), actor=None, now=now)


def live_levels(now) -> list[LadderLevel]:
    """Levels of the ladder versions still in use, in firing order (two queries).

    A version superseded for more than an hour that no open ticket's current cycle runs on any
    more is retired (it can never gain a ticket again: new cycles start on the latest version),
    so old versions do not cost the sweep anything.
    """
    levels = list(
        LadderLevel.objects.filter(ladder__retired_at__isnull=True)
        .select_related("ladder", "ladder__policy", "reassign_queue", "reassign_user")
        .prefetch_related("users")
        .order_by("ladder_id", "position")
    )
    latest: dict[int, EscalationLadder] = {}
    for level in levels:
        ladder = level.ladder
        if ladder.policy_id not in latest or latest[ladder.policy_id].version < ladder.version:
            latest[ladder.policy_id] = ladder
    newest = {ladder.pk for ladder in latest.values()}
    superseded = {level.ladder_id for level in levels if level.ladder_id not in newest}
    if superseded:
        successors = dict(
            EscalationLadder.objects.filter(policy_id__in={lv.ladder.policy_id for lv in levels})
            .values_list("policy_id").annotate(Max("published_at"))
        )
        retire = [
            pk for pk in superseded
            if successors.get(next(lv.ladder.policy_id for lv in levels if lv.ladder_id == pk), now) < now - RETIRE_AFTER
            and not TicketLadder.objects.filter(
                ladder_id=pk, cycle=F("ticket__sla_cycle"), ticket__status__in=Ticket.OPEN_STATUSES
            ).exists()
        ]
        if retire:
            EscalationLadder.objects.filter(pk__in=retire).update(retired_at=now)
            levels = [level for level in levels if level.ladder_id not in retire]
    return levels


def escalate_due_tickets(*, now, sweep_id=None) -> SweepResult:
    """Fire every escalation level that has come due by `now`, in order, and notify once per
    recipient and channel. One transaction; safe to run concurrently (see the module docstring)."""
    sweep_id = sweep_id or uuid.uuid4()
    result = SweepResult(sweep_id=sweep_id, now=now)
    ctx = SweepContext(now)
    with transaction.atomic():
        levels = live_levels(now)
        if not levels:
            return result
        sweep = EscalationSweep.objects.create(uuid=sweep_id, swept_at=now)
        fired = 0
        for group in firing_groups(levels):
            count = FireStatement(group, ctx, sweep.pk).execute()
            fired += count
            if count and group[-1].has_actions:
                _apply_actions(group[-1], sweep.pk, now)
        counts: dict[int, int] = {}
        if fired:
            mark_fired(sweep.pk, levels)
            _write_timeline(sweep, now, levels)
            counts, result.notifications = notify(sweep, {lv.pk: lv for lv in levels}, now)
            EscalationSweep.objects.filter(pk=sweep.pk).update(fired=fired, notifications=result.notifications)
        else:
            delete_sweep(sweep.pk)  # nothing fired: leave no row
        result.levels = [LevelResult(level=level, fired=counts.get(level.pk, 0)) for level in levels]
    return result

