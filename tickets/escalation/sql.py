"""The sweep's SQL: the one INSERT ... SELECT that fires a group of levels (`FireStatement`), the
fired-levels bit masks, and the JSON and string aggregates the timeline and the deliveries use.

Hand-written where the ORM cannot say it (a CROSS JOIN order, bit operations on the cycle's mask,
ON CONFLICT DO NOTHING on the escalation's unique constraint); see tickets/escalation/sweep.py.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from django.db import connections
from django.db.models import Aggregate, BooleanField, DateTimeField, F, JSONField, TextField
from django.db.models.expressions import RawSQL

from tickets.businesstime import add_business_minutes, is_working
from tickets.models import (
    Clock,
    Escalation,
    EscalationSweep,
    LadderLevel,
    SLAPolicy,
    Ticket,
    TicketLadder,
    priorities_at_least,
)
from tickets.sla import SpecCache


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
    """The level's bit in `TicketLadder.fired_mask`."""
    return 1 << level.position


def mark_fired(sweep_id, levels):
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


def json_literal(value):
    """A JSON constant (true, false, ...) usable inside JSONObject on SQLite and PostgreSQL."""
    template = "%s::jsonb" if connections["default"].vendor == "postgresql" else "json(%s)"
    return RawSQL(template, [json.dumps(value)], output_field=JSONField())


def delete_sweep(sweep_id):
    """Remove the row of a sweep that fired nothing (one statement, no cascade collection)."""
    connection = connections["default"]
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(EscalationSweep._meta.db_table)
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [sweep_id])
