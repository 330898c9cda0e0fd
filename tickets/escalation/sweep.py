"""The escalation ladder: publishing policies, starting a cycle's ladder, the sweep, acknowledging.

The sweep (`escalate_due_tickets(now=...)`) is set-based. The levels of each ladder version still
in use are fired lowest first, a run of consecutive levels on the same clock in ONE statement
(a level with actions ends its run, so the next levels see what it changed):

    INSERT INTO escalation (...) SELECT ... FROM ticket t, ticket_ladder tl, ladder_level lv
    WHERE <t open and due by the run's latest threshold, clock running, tl = t's current cycle on
           this version, not halted by an acknowledgement, some level of the run due and not
           fired (bit masks), then per level: its trigger, conditions and business-hours gate>
    ON CONFLICT DO NOTHING

Every row carries this sweep's uuid. The unique constraint (ticket, level, cycle) makes each
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
number of queries grows with the number of levels, never with the number of tickets.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections, transaction
from django.db.models import (
    Aggregate,
    BigIntegerField,
    BooleanField,
    Case,
    Count,
    DateTimeField,
    F,
    JSONField,
    Max,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import JSONObject
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.models import Membership, Notification, Team
from portal.notifications import queue_notifications
from portal.roles import Role
from tickets.businesstime import add_business_minutes, is_working
from tickets.models import (
    PRIORITY_RANK,
    Clock,
    Escalation,
    EscalationDelivery,
    EscalationLadder,
    EscalationLevel,
    EscalationPolicy,
    EscalationSweep,
    LadderLevel,
    Queue,
    RecipientRole,
    SLAPolicy,
    Ticket,
    TicketLadder,
    TimelineEntry,
    priorities_at_least,
)
from tickets.sla import SpecCache

Kind = TimelineEntry.Kind
INTERNAL = TimelineEntry.Visibility.INTERNAL
# How many tickets one notification lists before pointing to the escalations page for the rest.
MAX_LISTED = 20
# A superseded ladder version with no open tickets is retired after this long (see live_levels).
RETIRE_AFTER = timedelta(hours=1)


# --- Publishing policies ----------------------------------------------------------------------


def latest_version(policy: EscalationPolicy) -> EscalationLadder | None:
    return policy.versions.order_by("-version").first()


def _signatures(levels, users_of) -> list[tuple]:
    return sorted(level.signature(users_of(level)) for level in levels)


def publish_policy(policy: EscalationPolicy, *, actor=None, now) -> EscalationLadder | None:
    """Freeze the policy's current levels into a new ladder version (copy-on-write).

    Returns the new version, or the latest one unchanged when the levels are the same as in it
    (saving a policy without changes publishes nothing). A policy without levels publishes nothing.
    Tickets whose cycle already started keep their version; new cycles get this one.
    """
    with transaction.atomic():
        EscalationPolicy.objects.select_for_update().filter(pk=policy.pk).values_list("pk", flat=True).first()
        levels = list(policy.levels.prefetch_related("users").order_by("position"))
        for level in levels:
            level.full_clean(exclude=["policy", "reassign_queue", "reassign_user"], validate_unique=False,
                             validate_constraints=False)
        latest = latest_version(policy)
        if latest is not None:
            old = list(latest.levels.prefetch_related("users"))
            if _signatures(old, lambda lv: [u.pk for u in lv.users.all()]) == _signatures(
                levels, lambda lv: [u.pk for u in lv.users.all()]
            ):
                return latest
        if not levels:
            return latest
        ladder = EscalationLadder.objects.create(
            policy=policy, version=(latest.version + 1) if latest else 1, published_at=now, published_by=actor
        )
        copies = LadderLevel.objects.bulk_create(
            LadderLevel(ladder=ladder, **{name: getattr(level, name) for name in level.COPY_FIELDS})
            for level in levels
        )
        through = LadderLevel.users.through
        through.objects.bulk_create(
            through(ladderlevel_id=copy.pk, user_id=user.pk)
            for copy, level in zip(copies, levels, strict=True)
            for user in level.users.all()
        )
        EscalationPolicy.objects.filter(pk=policy.pk).update(updated_at=now)
    return ladder


def save_policy(policy: EscalationPolicy, levels: list[dict], *, actor, now) -> EscalationLadder | None:
    """Create or update a policy and replace its levels (dicts of level fields, `users` a list of
    users), then publish. All or nothing: a bad level leaves the stored policy as it was."""
    with transaction.atomic():
        policy.full_clean()
        policy.updated_at = now
        policy.save()
        positions = [item["position"] for item in levels]
        if len(set(positions)) != len(positions):
            raise ValidationError({"levels": _("Two levels have the same position.")})
        policy.levels.all().delete()
        for item in levels:
            item = dict(item)
            users = item.pop("users", [])
            level = EscalationLevel(policy=policy, **item)
            try:
                level.full_clean(exclude=["policy"], validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                raise ValidationError(
                    {"levels": [_("Level %(position)s: %(errors)s") % {
                        "position": item.get("position"),
                        "errors": "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()),
                    }]}
                ) from exc
            level.save()
            level.users.set(users)
        return publish_policy(policy, actor=actor, now=now)


# --- Starting a cycle's ladder ----------------------------------------------------------------


def active_policies() -> list[EscalationPolicy]:
    return list(EscalationPolicy.objects.filter(is_active=True).order_by("id"))


def match_policy(ticket: Ticket, policies: list[EscalationPolicy] | None = None) -> EscalationPolicy | None:
    """The ticket's queue's policy, else its SLA policy's, else a policy attached to neither."""
    policies = active_policies() if policies is None else policies
    candidates = [
        p for p in policies
        if (p.queue_id is None or p.queue_id == ticket.queue_id)
        and (p.sla_policy_id is None or p.sla_policy_id == ticket.sla_policy_id)
    ]
    if not candidates:
        return None
    return sorted(candidates, key=lambda p: (-p.specificity, p.pk))[0]


def start_ladder(ticket: Ticket, *, now, policies=None) -> TicketLadder | None:
    """Record the ladder version the ticket's current SLA cycle runs on (at creation, at reopen).

    Call in the transaction that starts the cycle. A ticket without running SLA clocks, or that
    no policy matches, gets no ladder. Idempotent per (ticket, cycle).
    """
    if ticket.sla_policy_id is None:
        return None
    policy = match_policy(ticket, policies)
    if policy is None:
        return None
    ladder = latest_version(policy) or publish_policy(policy, now=now)
    if ladder is None:
        return None
    track, _created = TicketLadder.objects.get_or_create(
        ticket=ticket, cycle=ticket.sla_cycle, defaults={"ladder": ladder, "started_at": now}
    )
    return track


# --- SQL helpers ------------------------------------------------------------------------------


def insert_from_select(model, columns: dict, queryset) -> int:
    """`INSERT INTO model (columns) SELECT <expressions> FROM queryset ON CONFLICT DO NOTHING`.

    `columns` maps field names of `model` to expressions over `queryset`'s model. One statement
    whatever the number of rows; returns how many rows were inserted (conflicts skipped).
    """
    aliases = [f"insert_col_{i}" for i in range(len(columns))]
    selected = queryset.annotate(**dict(zip(aliases, columns.values(), strict=True))).values_list(*aliases)
    compiler = selected.query.get_compiler(using=selected.db)
    try:
        select_sql, params = compiler.as_sql()
    except EmptyResultSet:  # e.g. a business-hours gate while no calendar is working
        return 0
    # The SELECT must list the columns in the order given (Django 5.2 keeps values_list order).
    assert [col[2] for col in compiler.select] == aliases, compiler.select
    connection = connections[selected.db]
    quote = connection.ops.quote_name
    column_sql = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({column_sql}) {select_sql} ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _value(value, output_field):
    return Value(value, output_field=output_field)


# --- The sweep --------------------------------------------------------------------------------


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


class SweepContext:
    """Per-sweep caches: SLA policies and their calendars, which calendars are working now."""

    def __init__(self, now):
        self.now = now
        self.specs = SpecCache()
        self._policies = None
        self._working = None

    @property
    def policy_calendars(self) -> dict[int, int]:
        """SLA policy id -> calendar id (one query)."""
        if self._policies is None:
            self._policies = dict(SLAPolicy.objects.values_list("id", "calendar_id"))
        return self._policies

    def policies_of(self, calendar_ids) -> list[int]:
        return sorted(pk for pk, calendar_id in self.policy_calendars.items() if calendar_id in calendar_ids)

    def working_policy_ids(self) -> list[int]:
        """SLA policies whose calendar is in working hours now (a business-hours gate passes)."""
        if self._working is None:
            calendars = set(self.policy_calendars.values())
            self.specs.load(calendars)
            working = {pk for pk in calendars if is_working(self.specs.get(pk), self.now)}
            self._working = self.policies_of(working)
        return self._working

    def threshold(self, calendar_id, target, percent) -> datetime:
        """The latest due time at which `percent` of `target` business minutes is used by now."""
        remaining = target * (100 - percent) // 100
        return add_business_minutes(self.specs.get(calendar_id), self.now, remaining)


def _clock_columns(clock) -> tuple[str, str]:
    if clock == Clock.FIRST_RESPONSE:
        return "first_response_due", "first_response_target"
    return "resolution_due", "resolution_target"


class FireStatement:
    """The one INSERT ... SELECT that fires a group of levels of one ladder version.

    Tickets drive the statement: the open tickets whose due time is at most the group's latest
    threshold (index on status and due time), each joined to its cycle's ladder row and to the
    group's levels, so every ticket is read once for all levels of the group: first "something
    due and not fired" from bit masks (`pending`), then per level its trigger, conditions and
    gate. On SQLite CROSS JOIN fixes that join order; PostgreSQL plans by its statistics. Rows
    are inserted in (ticket, level) order, so concurrent sweeps take row locks in the same order.
    """

    def __init__(self, levels, ctx: SweepContext, sweep_id: int):
        self.levels, self.ctx, self.sweep_id = levels, ctx, sweep_id
        self.connection = connections["default"]

    def _prep(self, value, field=None):
        return field.get_db_prep_value(value, self.connection) if field is not None else value

    def level_condition(self, level) -> tuple[str, list, datetime] | None:
        """SQL and params for "this ticket is due for this level now", and the latest due time it
        admits; None when nothing can be due (a closed gate, no running ticket to measure)."""
        due, target = _clock_columns(level.clock)
        # Not fired yet in this cycle: the level's bit of the cycle's mask (no lookup per level).
        parts, params = ["lv.id = %s", "(tl.fired_mask & %s) = 0"], [level.pk, level_bit(level)]

        def add(sql, *values):
            parts.append(sql)
            params.extend(values)

        def within(column, values):
            add(f"{column} IN ({', '.join(['%s'] * len(values))})", *values)

        if level.offset_minutes is not None:
            latest = self.ctx.now - timedelta(minutes=level.offset_minutes)
            add(f"t.{due} <= %s", self._prep(latest, DateTimeField()))
        else:
            # Share of the target: due <= the instant the remaining share ends, per (calendar, target).
            combos = self._share_combos(level)
            if not combos:
                return None
            terms, latest = [], None
            for calendar_id, target_minutes in combos:
                threshold = self.ctx.threshold(calendar_id, target_minutes, level.target_percent)
                latest = threshold if latest is None else max(latest, threshold)
                policies = self.ctx.policies_of({calendar_id})
                terms.append(f"(t.sla_policy_id IN ({', '.join(['%s'] * len(policies))}) "
                             f"AND t.{target} = %s AND t.{due} <= %s)")
                params.extend([*policies, target_minutes, self._prep(threshold, DateTimeField())])
            parts.append("(" + " OR ".join(terms) + ")")
        if level.clock == Clock.FIRST_RESPONSE:
            add("t.first_response_at IS NULL")
        if level.min_priority:
            within("t.priority", priorities_at_least(level.min_priority))
        if level.major_only:
            add("t.is_major = %s", self._prep(True, BooleanField()))
        if level.categories:
            within("t.category", level.categories)
        if level.business_hours_only:
            working = self.ctx.working_policy_ids()
            if not working:
                return None
            within("t.sla_policy_id", working)
        return "(" + " AND ".join(parts) + ")", params, latest

    def _share_combos(self, level):
        due, target = _clock_columns(level.clock)
        return list(
            Ticket.objects.filter(
                status__in=Ticket.OPEN_STATUSES, clock_paused_at__isnull=True, sla_clock_started_at__isnull=False,
                sla_policy__isnull=False, ladders__ladder_id=level.ladder_id, ladders__cycle=F("sla_cycle"),
                **{f"{target}__isnull": False},
            ).values_list("sla_policy__calendar_id", target).distinct()
        )

    def pending(self, due) -> tuple[str, list]:
        """SQL for "some level of the group is due and not fired" on the ticket and its cycle row,
        before joining the levels: (levels whose trigger passed, as bits) minus the levels its
        conditions exclude minus the fired ones. Share-of-target and gated levels count as passed
        (their exact test follows per level). Most tickets stop here in a steady state."""
        params: list = []
        timed = sorted(
            ((self.ctx.now - timedelta(minutes=lv.offset_minutes), lv) for lv in self.levels
             if lv.offset_minutes is not None),
            key=lambda item: item[0],
        )
        always = sum(level_bit(lv) for lv in self.levels if lv.offset_minutes is None)
        whens = []
        for i, (threshold, _level) in enumerate(timed):
            # due <= threshold i: level i and every level with a later threshold have come due.
            whens.append(f"WHEN t.{due} <= %s THEN %s")
            params += [self._prep(threshold, DateTimeField()), always + sum(level_bit(lv) for _t, lv in timed[i:])]
        passed = f"(CASE {' '.join(whens)} ELSE %s END)" if whens else "%s"
        params.append(always)
        excluded = []
        for level in self.levels:
            tests = []
            if level.min_priority:
                values = priorities_at_least(level.min_priority)
                tests.append(f"t.priority IN ({', '.join(['%s'] * len(values))})")
                params += values
            if level.major_only:
                tests.append("t.is_major = %s")
                params.append(self._prep(True, BooleanField()))
            if level.categories:
                tests.append(f"t.category IN ({', '.join(['%s'] * len(level.categories))})")
                params += level.categories
            if level.clock == Clock.FIRST_RESPONSE:
                tests.append("t.first_response_at IS NULL")
            if tests:
                excluded.append(f"(CASE WHEN {' AND '.join(tests)} THEN 0 ELSE %s END)")
                params.append(level_bit(level))
        sql = f"({passed} & ~tl.fired_mask"
        if excluded:
            sql += f" & ~({' + '.join(excluded)})"
        return sql + ") <> 0", params

    def statement(self) -> tuple[str, list] | None:
        conditions, condition_params, latest = [], [], None
        for level in self.levels:
            found = self.level_condition(level)
            if found is None:
                continue
            sql, params, level_latest = found
            conditions.append(sql)
            condition_params += params
            latest = level_latest if latest is None else max(latest, level_latest)
        if not conditions:
            return None
        quote = self.connection.ops.quote_name
        now = self._prep(self.ctx.now, DateTimeField())
        due, _target = _clock_columns(self.levels[0].clock)
        statuses = list(Ticket.OPEN_STATUSES)
        pending_sql, pending_params = self.pending(due)
        sql = (
            f"INSERT INTO {quote(Escalation._meta.db_table)} "
            "(ticket_id, level_id, cycle, clock_due, fired_at, sweep_id, queue_id, assignee_id) "
            f"SELECT t.id, lv.id, tl.cycle, t.{due}, %s, %s, t.queue_id, t.assignee_id "
            f"FROM {quote(Ticket._meta.db_table)} t "
            f"CROSS JOIN {quote(TicketLadder._meta.db_table)} tl "
            f"CROSS JOIN {quote(LadderLevel._meta.db_table)} lv "
            # The due tickets come from the (status, due) index; IN makes SQLite visit them in id
            # order, so the reads of ticket and ladder rows are sequential rather than scattered.
            f"WHERE t.id IN (SELECT id FROM {quote(Ticket._meta.db_table)} "
            f"WHERE status IN ({', '.join(['%s'] * len(statuses))}) AND {due} <= %s) "
            "AND t.clock_paused_at IS NULL AND t.sla_clock_started_at IS NOT NULL "
            "AND tl.ticket_id = t.id AND tl.cycle = t.sla_cycle AND tl.ladder_id = %s "
            "AND (tl.hold_until IS NULL OR tl.hold_until <= %s) "
            f"AND {pending_sql} "
            "AND lv.ladder_id = tl.ladder_id "
            f"AND ({' OR '.join(conditions)}) "
            + "ORDER BY t.id, lv.id "
            + "ON CONFLICT DO NOTHING"
        )
        params = [
            now, self.sweep_id, *statuses, self._prep(latest, DateTimeField()),
            self.levels[0].ladder_id, now, *pending_params, *condition_params,
        ]
        return sql, params

    def execute(self) -> int:
        statement = self.statement()
        if statement is None:
            return 0
        with self.connection.cursor() as cursor:
            cursor.execute(*statement)
            return cursor.rowcount


def level_bit(level) -> int:
    return 1 << level.position


def _mark_fired(sweep_id, levels):
    """Set each cycle's mask bits for the levels this sweep fired (one UPDATE ... FROM)."""
    connection = connections["default"]
    quote = connection.ops.quote_name
    cases = " ".join(f"WHEN {int(level.pk)} THEN {level_bit(level)}" for level in levels)
    table = quote(TicketLadder._meta.db_table)
    sql = (
        f"UPDATE {table} SET fired_mask = fired_mask | fired.bits FROM ("
        f"SELECT e.ticket_id, e.cycle, CAST(SUM(CASE e.level_id {cases} ELSE 0 END) AS BIGINT) AS bits "
        f"FROM {quote(Escalation._meta.db_table)} e WHERE e.sweep_id = %s GROUP BY e.ticket_id, e.cycle"
        f") AS fired WHERE {table}.ticket_id = fired.ticket_id AND {table}.cycle = fired.cycle"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [sweep_id])


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


def level_label(level) -> str:
    return _("Level %(position)s %(name)s (%(trigger)s)") % {
        "position": level.position, "name": level.name, "trigger": level.trigger_label(),
    }


class JSONGroupArray(Aggregate):
    """The values of a group as a JSON array (SQLite JSON_GROUP_ARRAY, PostgreSQL JSONB_AGG)."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra)


class GroupConcat(Aggregate):
    """The values of a group joined with "; " (SQLite GROUP_CONCAT, PostgreSQL STRING_AGG)."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, '; ')"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="STRING_AGG", **extra)


def _write_timeline(sweep, now, levels):
    """One timeline entry per ticket for the sweep, listing the levels that fired (one statement)."""
    text = TimelineEntry._meta.get_field("body")
    number = BigIntegerField()

    def per_level(values, output_field):
        return Case(*[When(level_id=level.pk, then=_value(values(level), output_field)) for level in levels],
                    output_field=output_field)

    insert_from_select(
        TimelineEntry,
        {
            "ticket": F("ticket_id"),
            "kind": _value(Kind.ESCALATION, text),
            "at": _value(now, DateTimeField()),
            "visibility": _value(INTERNAL, text),
            "body": GroupConcat(per_level(lambda lv: _("Level %(position)s %(name)s") % {
                "position": lv.position, "name": lv.name}, text)),
            "data": JSONObject(
                levels=JSONGroupArray(per_level(lambda lv: lv.position, number)),
                cycle=Max("cycle"), sweep=_value(str(sweep.uuid), text),
            ),
        },
        Escalation.objects.filter(sweep=sweep).values("ticket_id").order_by("ticket_id"),
    )


def _json_literal(value):
    """A JSON constant (true, false, ...) usable inside JSONObject on SQLite and PostgreSQL."""
    import json

    template = "%s::jsonb" if connections["default"].vendor == "postgresql" else "json(%s)"
    return RawSQL(template, [json.dumps(value)], output_field=JSONField())


def _field_entries(tickets, field_name, old, new, escalation_level, now):
    """FIELD timeline entries ({field, from, to, escalation level}) for `tickets` (one statement)."""
    text = TimelineEntry._meta.get_field("body")
    insert_from_select(
        TimelineEntry,
        {
            "ticket": F("id"),
            "kind": _value(Kind.FIELD, text),
            "at": _value(now, DateTimeField()),
            "visibility": _value(INTERNAL, text),
            "body": _value("", text),
            "data": JSONObject(field=_value(field_name, text), **{"from": old}, to=new,
                               escalation_level=_value(escalation_level, BigIntegerField())),
        },
        tickets.order_by("id"),
    )


def _apply_actions(level: LadderLevel, sweep_id, now):
    """The level's actions on the tickets this sweep escalated at this level (set-based)."""
    from tickets import services, sla

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
        _field_entries(marked, "is_major", _json_literal(False), _json_literal(True), level.position, now)
        marked.update(is_major=True, updated_at=now)
    if level.reassign_queue_id:
        queue = level.reassign_queue
        moved = tickets.exclude(queue_id=queue.pk)
        ids = list(moved.values_list("pk", flat=True))
        if ids:
            insert_from_select(
                TimelineEntry,
                {
                    "ticket": F("id"), "kind": _value(Kind.TRANSFER, text), "at": _value(now, DateTimeField()),
                    "visibility": _value(INTERNAL, text), "body": _value(level_label(level), text),
                    "data": JSONObject(
                        from_queue=F("queue_id"), to_queue=_value(queue.pk, BigIntegerField()),
                        from_team=F("queue__team_id"), to_team=_value(queue.team_id, BigIntegerField()),
                        from_assignee=F("assignee_id"), escalation_level=_value(level.position, BigIntegerField()),
                    ),
                },
                Ticket.objects.filter(pk__in=ids).order_by("id"),
            )
            Ticket.objects.filter(pk__in=ids).update(queue_id=queue.pk, assignee=None, updated_at=now)
            resla += ids
    if level.reassign_user_id:
        user = level.reassign_user
        changed = tickets.exclude(assignee_id=user.pk)
        insert_from_select(
            TimelineEntry,
            {
                "ticket": F("id"), "kind": _value(Kind.ASSIGN, text), "at": _value(now, DateTimeField()),
                "visibility": _value(INTERNAL, text), "body": _value(level_label(level), text),
                "data": JSONObject(
                    **{"from": F("assignee_id")}, to=_value(user.pk, BigIntegerField()),
                    to_name=_value(user.get_full_name() or user.get_username(), text), queue=F("queue_id"),
                    via=_value("escalation", text),
                ),
            },
            changed.order_by("id"),
        )
        changed.update(assignee_id=user.pk, updated_at=now)
    if resla:
        # A new priority or queue may match other SLA targets: recompute as the ticket domain does
        # (time already used is kept; a clock already past its target keeps its breach moment).
        queryset = Ticket.objects.filter(pk__in=resla)
        sla.freeze_open_clocks(now=now, queryset=queryset)
        services.log_sla_changes(sla.recompute_open_tickets(now=now, queryset=queryset), actor=None, now=now)


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
            _mark_fired(sweep.pk, levels)
            _write_timeline(sweep, now, levels)
            counts, result.notifications = _notify(sweep, {lv.pk: lv for lv in levels}, now)
            EscalationSweep.objects.filter(pk=sweep.pk).update(fired=fired, notifications=result.notifications)
        else:
            # Nothing fired: leave no row (one statement, no cascade collection).
            with connections["default"].cursor() as cursor:
                table = connections["default"].ops.quote_name(EscalationSweep._meta.db_table)
                cursor.execute(f"DELETE FROM {table} WHERE id = %s", [sweep.pk])
        result.levels = [LevelResult(level=level, fired=counts.get(level.pk, 0)) for level in levels]
    return result


# --- Recipients and notifications -------------------------------------------------------------


class OrgChart:
    """Teams, parents and active members by role, loaded once (two queries)."""

    ROLE_OF = {
        RecipientRole.TEAM_LEAD: Role.TEAM_LEAD, RecipientRole.MANAGER: Role.MANAGER,
        RecipientRole.DIRECTOR: Role.DIRECTOR, RecipientRole.EXECUTIVE: Role.EXECUTIVE,
    }

    def __init__(self):
        self.parent = dict(Team.objects.values_list("id", "parent_id"))
        self.members: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.executives: list[int] = []
        rows = Membership.objects.filter(user__is_active=True).order_by("user_id").values_list(
            "team_id", "role", "user_id"
        )
        for team_id, role, user_id in rows:
            self.members[team_id][role].append(user_id)
            if role == Role.EXECUTIVE and user_id not in self.executives:
                self.executives.append(user_id)

    def chain(self, team_id) -> list[int]:
        """The team and the teams above it, nearest first."""
        chain, seen = [], set()
        while team_id is not None and team_id not in seen:
            chain.append(team_id)
            seen.add(team_id)
            team_id = self.parent.get(team_id)
        return chain

    def nearest(self, team_id, role) -> list[int]:
        for team in self.chain(team_id):
            found = self.members.get(team, {}).get(role)
            if found:
                return list(found)
        return []

    # Who stands in when nobody holds a role up the chart: the next role up (an unassigned ticket's
    # "assignee" is its team lead), so a level never reaches nobody while someone is above.
    FALLBACK = {
        RecipientRole.ASSIGNEE: RecipientRole.TEAM_LEAD, RecipientRole.TEAM_LEAD: RecipientRole.MANAGER,
        RecipientRole.MANAGER: RecipientRole.DIRECTOR, RecipientRole.DIRECTOR: RecipientRole.EXECUTIVE,
    }

    def holders(self, role, team_id, assignee_id) -> list[int]:
        while role is not None:
            if role == RecipientRole.ASSIGNEE:
                found = [assignee_id] if assignee_id else []
            else:
                found = self.nearest(team_id, self.ROLE_OF[role])
                if not found and role == RecipientRole.EXECUTIVE:
                    found = list(self.executives)
            if found:
                return found
            role = self.FALLBACK.get(role)
        return []

    def recipients(self, level: LadderLevel, team_id, assignee_id, active_named) -> list[int]:
        users: list[int] = []
        for role in level.recipient_roles:
            users += self.holders(role, team_id, assignee_id)
        users += [u.pk for u in level.users.all() if u.pk in active_named]
        return list(dict.fromkeys(users))


def _link(name, *args, query=""):
    try:
        return reverse(name, args=args) + query
    except NoReverseMatch:
        return ""


@functools.cache
def _ticket_url_pattern() -> str:
    return (_link("tickets:ticket", 987654321) or "/tickets/987654321/").replace("987654321", "{}")


def ticket_url(ticket_id) -> str:
    return _ticket_url_pattern().format(ticket_id)


def _message(items, total, levels_by_id, sweep_id, channel) -> tuple[str, str, str]:
    """Subject, body and link of one recipient's notification for a sweep, highest level first.

    `items` are up to MAX_LISTED (ticket, level id, subject) of each group that reached the
    recipient, `total` the number of escalations in those groups.
    """
    items = sorted(items, key=lambda item: (-levels_by_id[item[1]].position, item[0]))
    items = [(ticket_id, levels_by_id[level_id], subject) for ticket_id, level_id, subject in items]
    tickets = list(dict.fromkeys(ticket_id for ticket_id, _level, _subject in items))
    if total == 1:
        ticket_id, level, subject_text = items[0]
        subject = _("Escalation: ticket #%(id)s, level %(position)s %(name)s") % {
            "id": ticket_id, "position": level.position, "name": level.name,
        }
    elif total == len(items):
        subject = ngettext(
            "Escalation: %(count)s ticket needs attention", "Escalation: %(count)s tickets need attention",
            len(tickets),
        ) % {"count": len(tickets)}
    else:
        subject = _("Escalation: %(count)s escalations need attention") % {"count": total}
    listed = MAX_LISTED if channel != Notification.Channel.SMS else 5
    lines = []
    for ticket_id, level, subject_text in items[:listed]:
        line = f"#{ticket_id} · {level_label(level)}"
        if subject_text:
            line += f" · {subject_text}"
        if channel != Notification.Channel.SMS:
            line += f"\n  {ticket_url(ticket_id)}"
        lines.append(line)
    page = _link("tickets:escalation_list", query=f"?sweep={sweep_id}")
    if total > listed:
        lines.append(_("… and %(count)s more: %(link)s") % {"count": total - listed, "link": page})
    single = total == len(items) and len(tickets) == 1
    link = ticket_url(tickets[0]) if single else (page or ticket_url(tickets[0]))
    return subject, "\n".join(lines), link


def _notify(sweep, levels_by_id, now) -> tuple[dict[int, int], int]:
    """Deliveries and one notification per (recipient, channel) for everything this sweep owns.

    A few queries whatever the number of escalations: the (level, queue, assignee) groups with
    their sizes and ticket ids, and the subjects of the first MAX_LISTED tickets of each group
    for the message text.
    Returns (escalations per level id, notifications queued).
    """
    from django.contrib.auth import get_user_model

    groups_of_sweep = (
        Escalation.objects.filter(sweep=sweep)
        .values_list("level_id", "queue_id", "assignee_id")
        .annotate(size=Count("id"), tickets=JSONGroupArray("ticket_id"))
        .order_by()
    )
    chart = OrgChart()
    team_of = dict(Queue.objects.values_list("id", "team_id"))
    named = {u.pk for level in levels_by_id.values() for u in level.users.all()}
    active_named = set(get_user_model().objects.filter(pk__in=named, is_active=True).values_list("pk", flat=True))
    counts: dict[int, int] = defaultdict(int)
    groups: dict[tuple, list[int]] = {}  # (level, queue, assignee) -> recipients
    inbox: dict[tuple, list] = defaultdict(list)  # (user, channel) -> [(ticket, level, subject)]
    totals: dict[tuple, int] = defaultdict(int)  # (user, channel) -> escalations
    listed: list[tuple] = []
    for level_id, queue_id, assignee_id, size, ticket_ids in groups_of_sweep:
        counts[level_id] += size
        level = levels_by_id[level_id]
        key = (level_id, queue_id or 0, assignee_id or 0)
        groups[key] = chart.recipients(level, team_of.get(queue_id), assignee_id, active_named)
        for user_id in groups[key]:
            for channel in level.channels:
                totals[(user_id, channel)] += size
        listed += [(key, ticket_id) for ticket_id in sorted(ticket_ids)[:MAX_LISTED]]
    subjects = dict(Ticket.objects.filter(pk__in={ticket_id for _key, ticket_id in listed})
                    .values_list("pk", "subject"))
    for key, ticket_id in listed:
        for user_id in groups[key]:
            for channel in levels_by_id[key[0]].channels:
                inbox[(user_id, channel)].append((ticket_id, key[0], subjects.get(ticket_id, "")))
    messages = []
    for (user_id, channel), total in totals.items():
        subject, body, link = _message(inbox[(user_id, channel)], total, levels_by_id, sweep.uuid, channel)
        messages.append({
            "recipient_id": user_id, "channel": channel, "subject": subject, "body": body, "link": link,
            "source": f"escalation-sweep:{sweep.uuid}",
        })
    notifications = queue_notifications(messages, now=now)
    by_key = {(n.recipient_id, n.channel): n.pk for n in notifications}
    deliveries = EscalationDelivery.objects.bulk_create(
        EscalationDelivery(sweep=sweep, level_id=level_id, queue_key=queue, assignee_key=assignee)
        for level_id, queue, assignee in groups
    )
    through = EscalationDelivery.notifications.through
    through.objects.bulk_create(
        through(escalationdelivery_id=delivery.pk, notification_id=by_key[(user_id, channel)])
        for delivery, key in zip(deliveries, groups, strict=True)
        for user_id in groups[key]
        for channel in levels_by_id[key[0]].channels
    )
    return counts, len(notifications)


# --- Acknowledging ----------------------------------------------------------------------------


def acknowledge(escalation: Escalation, *, actor, now) -> Escalation:
    """`actor` takes ownership: further levels of this ticket's cycle wait for the level's
    acknowledgement window, then resume if the ticket is still unresolved.

    Who may acknowledge is the caller's check (`restrict(..., "acknowledge")`: the escalation's
    recipients and the leads and managers above the ticket's team).
    """
    with transaction.atomic():
        escalation = (
            Escalation.objects.select_for_update(of=("self",)).select_related("level", "ticket").get(pk=escalation.pk)
        )
        ticket = escalation.ticket
        if escalation.acknowledged_at is not None:
            raise ValidationError({"escalation": _("Already acknowledged by %(user)s.") % {
                "user": _name(escalation.acknowledged_by)}})
        if not ticket.is_open or escalation.cycle != ticket.sla_cycle:
            raise ValidationError({"escalation": _("The ticket is no longer open in this SLA cycle.")})
        hold = now + escalation.level.ack_window
        escalation.acknowledged_by = actor
        escalation.acknowledged_at = now
        escalation.hold_until = hold
        escalation.save(update_fields=["acknowledged_by", "acknowledged_at", "hold_until"])
        track = TicketLadder.objects.select_for_update().filter(ticket=ticket, cycle=escalation.cycle).first()
        if track is not None and (track.hold_until is None or track.hold_until < hold):
            track.hold_until = hold
            track.save(update_fields=["hold_until"])
        TimelineEntry.objects.create(
            ticket=ticket, kind=Kind.ESCALATION, actor=actor, at=now, visibility=INTERNAL,
            body=_("Acknowledged %(level)s; further levels wait until %(until)s.") % {
                "level": level_label(escalation.level), "until": _local(hold),
            },
            data={"acknowledged": escalation.pk, "level": escalation.level.position, "hold_until": hold.isoformat()},
        )
    return escalation


def _name(user):
    return (user.get_full_name() or user.get_username()) if user else ""


def _local(moment):
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- Reading: who was notified, with delivery status ------------------------------------------


def attach_deliveries(escalations) -> list[Escalation]:
    """Set `escalation.notified` to [(notification), ...] (recipient, channel, status) for each
    escalation, in three queries whatever their number."""
    escalations = list(escalations)
    sweeps = {e.sweep_id for e in escalations}
    deliveries = (
        EscalationDelivery.objects.filter(sweep_id__in=sweeps, level_id__in={e.level_id for e in escalations})
        .prefetch_related("notifications", "notifications__recipient")
    )
    by_key = {d.key(): d for d in deliveries}
    from tickets.models.escalation import delivery_key

    for escalation in escalations:
        delivery = by_key.get(delivery_key(escalation))
        escalation.notified = (
            sorted(delivery.notifications.all(), key=lambda n: (n.recipient_id, n.channel)) if delivery else []
        )
    return escalations
