"""The escalation ladder: publishing policies, starting a cycle's ladder, the sweep, acknowledging.

The sweep (`escalate_due_tickets(now=...)`) is set-based. For each level of each ladder version
that open tickets run on, lowest level first, ONE statement inserts an escalation for every
ticket that is due for it:

    INSERT INTO escalation (...) SELECT ... FROM ticket_ladder JOIN ticket ...
    WHERE <ladder version, current cycle, open, clock running, not halted by an acknowledgement,
           the level's conditions, its trigger moment passed, no escalation of this level yet>
    ON CONFLICT DO NOTHING

Every row carries this sweep's uuid. The unique constraint (ticket, level, cycle) makes each
escalation fire at most once: on PostgreSQL a concurrent sweep's insert waits on the conflicting
row and then skips it, so exactly one sweep owns (inserted) each row, and only the owner writes the
timeline entries, applies the level's actions and queues notifications, all in the sweep's one
transaction. After downtime every level that came due fires in the same sweep, in order.

Recipients depend only on (level, team, assignee), so they are resolved in memory from the org
chart loaded once per sweep; every recipient gets ONE notification per channel per sweep listing
everything that reached them (`EscalationDelivery` records which notifications carried which
level/team/assignee group). The number of queries grows with the number of levels, not tickets.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections, transaction
from django.db.models import BigIntegerField, DateTimeField, Exists, F, OuterRef, Q, UUIDField, Value
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
    BusinessCalendar,
    Clock,
    Escalation,
    EscalationDelivery,
    EscalationLadder,
    EscalationLevel,
    EscalationPolicy,
    LadderLevel,
    RecipientRole,
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
    """Per-sweep caches: calendars (working now?), share-of-target thresholds."""

    def __init__(self, now):
        self.now = now
        self.specs = SpecCache()
        self._working = None

    def working_calendar_ids(self) -> set[int]:
        if self._working is None:
            ids = list(BusinessCalendar.objects.values_list("id", flat=True))
            self.specs.load(ids)
            self._working = {pk for pk in ids if is_working(self.specs.get(pk), self.now)}
        return self._working

    def threshold(self, calendar_id, target, percent) -> datetime:
        """The latest due time at which `percent` of `target` business minutes is used by now."""
        remaining = target * (100 - percent) // 100
        return add_business_minutes(self.specs.get(calendar_id), self.now, remaining)


def _clock_fields(level) -> tuple[str, str]:
    if level.clock == Clock.FIRST_RESPONSE:
        return "first_response_due", "first_response_target"
    return "resolution_due", "resolution_target"


def _running(ladder_id, now):
    """Cycles on this ladder version whose ticket is open with a running clock, not halted."""
    return TicketLadder.objects.filter(
        Q(hold_until__isnull=True) | Q(hold_until__lte=now),
        ladder_id=ladder_id,
        cycle=F("ticket__sla_cycle"),
        ticket__status__in=Ticket.OPEN_STATUSES,
        ticket__clock_paused_at__isnull=True,
        ticket__sla_clock_started_at__isnull=False,
    )


def candidates(level: LadderLevel, ctx: SweepContext):
    """TicketLadder rows whose ticket is due for `level` now (one query when evaluated)."""
    due_field, target_field = _clock_fields(level)
    queryset = _running(level.ladder_id, ctx.now)
    if level.clock == Clock.FIRST_RESPONSE:
        queryset = queryset.filter(ticket__first_response_at__isnull=True)
    if level.offset_minutes is not None:
        queryset = queryset.filter(**{f"ticket__{due_field}__lte": ctx.now - timedelta(minutes=level.offset_minutes)})
    else:
        # Share of the target: due <= the instant `remaining` business minutes from now, per
        # (calendar, target) present among the running tickets (a handful of combinations).
        combos = (
            queryset.filter(**{f"ticket__{target_field}__isnull": False, "ticket__sla_policy__isnull": False})
            .values_list("ticket__sla_policy__calendar_id", f"ticket__{target_field}")
            .distinct()
        )
        condition = Q()
        for calendar_id, target in combos:
            condition |= Q(**{
                "ticket__sla_policy__calendar_id": calendar_id, f"ticket__{target_field}": target,
                f"ticket__{due_field}__lte": ctx.threshold(calendar_id, target, level.target_percent),
            })
        if not condition:
            return queryset.none()
        queryset = queryset.filter(condition)
    queryset = queryset.filter(**{f"ticket__{due_field}__isnull": False})
    if level.min_priority:
        queryset = queryset.filter(ticket__priority__in=priorities_at_least(level.min_priority))
    if level.major_only:
        queryset = queryset.filter(ticket__is_major=True)
    if level.categories:
        queryset = queryset.filter(ticket__category__in=level.categories)
    if level.business_hours_only:
        queryset = queryset.filter(ticket__sla_policy__calendar_id__in=ctx.working_calendar_ids())
    return queryset.filter(
        ~Exists(Escalation.objects.filter(ticket_id=OuterRef("ticket_id"), level_id=level.pk, cycle=OuterRef("cycle")))
    )


def _fire(level: LadderLevel, ctx: SweepContext, sweep_id) -> int:
    """Insert this level's escalations for every due ticket; returns how many this sweep owns."""
    due_field, _target = _clock_fields(level)
    queryset = candidates(level, ctx)
    if queryset.query.is_empty():
        return 0
    return insert_from_select(
        Escalation,
        {
            "ticket": F("ticket_id"),
            "level": _value(level.pk, BigIntegerField()),
            "cycle": F("cycle"),
            "clock_due": F(f"ticket__{due_field}"),
            "fired_at": _value(ctx.now, DateTimeField()),
            "sweep_id": _value(sweep_id, UUIDField()),
            "team": F("ticket__queue__team_id"),
            "assignee": F("ticket__assignee_id"),
        },
        queryset.order_by("ticket_id"),
    )


def _owned(level, sweep_id):
    return Escalation.objects.filter(sweep_id=sweep_id, level_id=level.pk)


def level_label(level) -> str:
    return _("Level %(position)s %(name)s (%(trigger)s)") % {
        "position": level.position, "name": level.name, "trigger": level.trigger_label(),
    }


def _write_timeline(level, sweep_id, now):
    insert_from_select(
        TimelineEntry,
        {
            "ticket": F("ticket_id"),
            "kind": _value(Kind.ESCALATION, TimelineEntry._meta.get_field("kind")),
            "at": _value(now, DateTimeField()),
            "visibility": _value(INTERNAL, TimelineEntry._meta.get_field("visibility")),
            "body": _value(level_label(level), TimelineEntry._meta.get_field("body")),
            "data": JSONObject(
                escalation=F("id"), level=F("level__position"), level_name=F("level__name"), cycle=F("cycle"),
                sweep=_value(str(sweep_id), TimelineEntry._meta.get_field("body")),
            ),
        },
        _owned(level, sweep_id).order_by("id"),
    )


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
        _field_entries(marked, "is_major", _value(False, Ticket._meta.get_field("is_major")),
                       _value(True, Ticket._meta.get_field("is_major")), level.position, now)
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


def live_levels() -> list[LadderLevel]:
    """Levels of the ladder versions open tickets currently run on, in firing order."""
    live = TicketLadder.objects.filter(
        cycle=F("ticket__sla_cycle"), ticket__status__in=Ticket.OPEN_STATUSES
    ).values("ladder_id")
    return list(
        LadderLevel.objects.filter(ladder_id__in=live)
        .select_related("ladder", "ladder__policy", "reassign_queue", "reassign_user")
        .prefetch_related("users")
        .order_by("ladder_id", "position")
    )


def escalate_due_tickets(*, now, sweep_id=None) -> SweepResult:
    """Fire every escalation level that has come due by `now`, in order, and notify once per
    recipient and channel. One transaction; safe to run concurrently (see the module docstring)."""
    sweep_id = sweep_id or uuid.uuid4()
    result = SweepResult(sweep_id=sweep_id, now=now)
    ctx = SweepContext(now)
    with transaction.atomic():
        levels = live_levels()
        for level in levels:
            fired = _fire(level, ctx, sweep_id)
            result.levels.append(LevelResult(level=level, fired=fired))
            if fired:
                _write_timeline(level, sweep_id, now)
                if level.has_actions:
                    _apply_actions(level, sweep_id, now)
        if result.fired:
            result.notifications = _notify(sweep_id, {lv.pk: lv for lv in levels}, now)
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

    def recipients(self, level: LadderLevel, team_id, assignee_id, active_named) -> list[int]:
        users: list[int] = []
        for role in level.recipient_roles:
            if role == RecipientRole.ASSIGNEE:
                found = [assignee_id] if assignee_id else []
            else:
                found = self.nearest(team_id, self.ROLE_OF[role])
                if not found and role == RecipientRole.EXECUTIVE:
                    found = list(self.executives)
            users += found
        users += [u.pk for u in level.users.all() if u.pk in active_named]
        return list(dict.fromkeys(users))


def _link(name, *args, query=""):
    try:
        return reverse(name, args=args) + query
    except NoReverseMatch:
        return ""


def ticket_url(ticket_id) -> str:
    return _link("tickets:ticket", ticket_id) or f"/tickets/{ticket_id}/"


def _message(items, sweep_id, channel) -> tuple[str, str, str]:
    """Subject, body and link of one recipient's notification for a sweep."""
    items = sorted(items, key=lambda item: (-item[1].position, item[0]))
    tickets = list(dict.fromkeys(ticket_id for ticket_id, _level, _subject in items))
    if len(items) == 1:
        ticket_id, level, subject_text = items[0]
        subject = _("Escalation: ticket #%(id)s, level %(position)s %(name)s") % {
            "id": ticket_id, "position": level.position, "name": level.name,
        }
    else:
        subject = ngettext(
            "Escalation: %(count)s ticket needs attention", "Escalation: %(count)s tickets need attention",
            len(tickets),
        ) % {"count": len(tickets)}
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
    if len(items) > listed:
        lines.append(_("… and %(count)s more: %(link)s") % {"count": len(items) - listed, "link": page})
    link = ticket_url(tickets[0]) if len(tickets) == 1 else (page or ticket_url(tickets[0]))
    return subject, "\n".join(lines), link


def _notify(sweep_id, levels_by_id, now) -> int:
    """Deliveries and one notification per (recipient, channel) for everything this sweep owns."""
    from django.contrib.auth import get_user_model

    owned = (
        Escalation.objects.filter(sweep_id=sweep_id)
        .order_by("id")
        .values_list("ticket_id", "level_id", "team_id", "assignee_id", "ticket__subject")
    )
    chart = OrgChart()
    named = {u.pk for level in levels_by_id.values() for u in level.users.all()}
    active_named = set(get_user_model().objects.filter(pk__in=named, is_active=True).values_list("pk", flat=True))
    groups: dict[tuple, list[int]] = {}  # (level, team, assignee) -> recipients
    inbox: dict[tuple, list] = defaultdict(list)  # (user, channel) -> [(ticket, level, subject)]
    for ticket_id, level_id, team_id, assignee_id, subject in owned.iterator(chunk_size=5000):
        key = (level_id, team_id or 0, assignee_id or 0)
        level = levels_by_id[level_id]
        if key not in groups:
            groups[key] = chart.recipients(level, team_id, assignee_id, active_named)
        for user_id in groups[key]:
            for channel in level.channels:
                inbox[(user_id, channel)].append((ticket_id, level, subject))
    messages = []
    for (user_id, channel), items in inbox.items():
        subject, body, link = _message(items, sweep_id, channel)
        messages.append({
            "recipient_id": user_id, "channel": channel, "subject": subject, "body": body, "link": link,
            "source": f"escalation-sweep:{sweep_id}",
        })
    notifications = queue_notifications(messages, now=now)
    by_key = {(n.recipient_id, n.channel): n.pk for n in notifications}
    deliveries = EscalationDelivery.objects.bulk_create(
        EscalationDelivery(sweep_id=sweep_id, level_id=level_id, team_key=team, assignee_key=assignee)
        for level_id, team, assignee in groups
    )
    through = EscalationDelivery.notifications.through
    through.objects.bulk_create(
        through(escalationdelivery_id=delivery.pk, notification_id=by_key[(user_id, channel)])
        for delivery, key in zip(deliveries, groups, strict=True)
        for user_id in groups[key]
        for channel in levels_by_id[key[0]].channels
    )
    return len(notifications)


# --- Acknowledging ----------------------------------------------------------------------------


def acknowledge(escalation: Escalation, *, actor, now) -> Escalation:
    """`actor` takes ownership: further levels of this ticket's cycle wait for the level's
    acknowledgement window, then resume if the ticket is still unresolved.

    Who may acknowledge is the caller's check (`restrict(..., "acknowledge")`: the escalation's
    recipients and the leads and managers above the ticket's team).
    """
    with transaction.atomic():
        escalation = (
            Escalation.objects.select_for_update().select_related("level", "ticket").get(pk=escalation.pk)
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
    from tickets.escalation_models import delivery_key

    for escalation in escalations:
        delivery = by_key.get(delivery_key(escalation))
        escalation.notified = (
            sorted(delivery.notifications.all(), key=lambda n: (n.recipient_id, n.channel)) if delivery else []
        )
    return escalations
