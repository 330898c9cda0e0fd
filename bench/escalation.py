"""Escalation sweep benchmark: N open tickets spread over the standard ladder's stages.

`manage.py bench escalation --tickets 100000` (runs on a fresh database of its own). Prints the
wall time, SQL query count and escalations fired of a first sweep (everything due fires) and of
a second sweep with nothing new due, and the peak memory.
"""

import random
import resource
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench.harness import peak_memory
from portal.models import Membership, Profile, Store, Team
from portal.roles import Role
from tickets.escalation.demo import make_standard_policy
from tickets.escalation.sweep import escalate_due_tickets
from tickets.models import BusinessCalendar, Queue, SLAPolicy, SLATarget, Ticket, TicketLadder

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TEAMS = 5
AGENTS_PER_TEAM = 10
# (share of tickets, minutes from now to the resolution due time: low, high). Negative: overdue.
STAGES = [
    (0.20, 60, 600),  # nothing due yet
    (0.15, 1, 30),  # warning (30 min before)
    (0.20, -119, -1),  # breached: team lead
    (0.20, -479, -120),  # +2 h: manager
    (0.15, -1439, -480),  # +8 h: director
    (0.10, -2880, -1440),  # +24 h: chairman, major complaints only
]
MAJOR_SHARE = 0.1


def add_arguments(parser):
    parser.add_argument("--tickets", type=int, default=100_000, help="Open tickets to create (default 100000).")
    parser.add_argument("--seed", type=int, default=2026)


def _org():
    """Board > service centre > CS department > 5 customer-service teams, with people in each."""
    User = get_user_model()
    store = Store.objects.create(code="bench-store", name="Bench store", marketplace="tmall", brand="Bench")
    board = Team.objects.create(name="Board", kind=Team.Kind.MANAGEMENT)
    centre = Team.objects.create(name="Service centre", kind=Team.Kind.MANAGEMENT, parent=board)
    department = Team.objects.create(name="CS department", kind=Team.Kind.MANAGEMENT, parent=centre)
    teams = [Team.objects.create(name=f"CS team {i}", kind=Team.Kind.CUSTOMER_SERVICE, parent=department)
             for i in range(TEAMS)]
    people = [("chairman", board, Role.EXECUTIVE), ("director", centre, Role.DIRECTOR),
              ("manager", department, Role.MANAGER)]
    for i, team in enumerate(teams):
        people.append((f"lead{i}", team, Role.TEAM_LEAD))
        people += [(f"agent{i}-{j}", team, Role.AGENT) for j in range(AGENTS_PER_TEAM)]
    users = User.objects.bulk_create(User(username=name, email=f"{name}@example.com") for name, _t, _r in people)
    Membership.objects.bulk_create(
        Membership(user=user, team=team, role=role) for user, (_n, team, role) in zip(users, people, strict=True)
    )
    Profile.objects.create(user=users[0], phone="13900000000")
    agents = {team.pk: [u for u, (_n, t, r) in zip(users, people, strict=True) if t == team and r == Role.AGENT]
              for team in teams}
    queues = [Queue.objects.create(name=f"Queue {i}", team=team, is_default=True) for i, team in enumerate(teams)]
    return store, queues, agents


def _tickets(count, seed):
    rng = random.Random(seed)
    store, queues, agents = _org()
    calendar = BusinessCalendar.objects.create(name="Bench 24x7", always_open=True)
    policy = SLAPolicy.objects.create(name="Bench SLA", calendar=calendar, is_default=True)
    for priority in ("low", "normal", "high", "urgent"):
        SLATarget.objects.create(policy=policy, priority=priority, first_response_minutes=60, resolution_minutes=480)
    ladder_policy = make_standard_policy(now=NOW - timedelta(days=30))
    ladder = ladder_policy.versions.get()
    stages = []
    for share, low, high in STAGES:
        stages += [(low, high)] * round(share * 100)
    created = 0
    batch = 5000
    while created < count:
        size = min(batch, count - created)
        rows = []
        for i in range(created, created + size):
            low, high = stages[i % len(stages)]
            due = NOW + timedelta(minutes=rng.randint(low, high), seconds=rng.randint(0, 59))
            started = due - timedelta(minutes=480)
            queue = queues[i % len(queues)]
            rows.append(Ticket(
                store=store, queue=queue, assignee=rng.choice(agents[queue.team_id]), subject=f"Bench ticket {i}",
                buyer_nick=f"buyer{i}", status=Ticket.Status.OPEN, priority=Ticket.Priority.NORMAL,
                category=Ticket.Category.PRODUCT, is_major=rng.random() < MAJOR_SHARE, sla_policy=policy,
                first_response_target=60, resolution_target=480, first_response_at=started + timedelta(minutes=5),
                first_response_minutes=5, first_response_time=timedelta(minutes=5), resolution_due=due, sla_clock_started_at=started, created_at=started,
                updated_at=started,
            ))
        with transaction.atomic():
            tickets = Ticket.objects.bulk_create(rows, batch_size=1000)
            TicketLadder.objects.bulk_create(
                (TicketLadder(ticket=t, cycle=1, ladder=ladder, started_at=t.created_at) for t in tickets),
                batch_size=2000,
            )
        created += size


def _settle():
    """Fold SQLite's write-ahead log into the database file, as its automatic checkpoints do on a
    running portal, so a sweep is not measured against a WAL full of the set-up's writes."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _analyze():
    """Planner statistics, as a deployment's scheduled ANALYZE (or PostgreSQL's autovacuum) keeps."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _sweep():
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = escalate_due_tickets(now=NOW)
        elapsed = time.perf_counter() - started
    return result, elapsed, len(captured.captured_queries)


def _heap_peak_of_first_sweep() -> float:
    """Python heap peak (MB) of the first sweep, measured in a transaction that is rolled back."""

    class Rollback(Exception):
        pass

    with peak_memory() as figures:
        try:
            with transaction.atomic():
                escalate_due_tickets(now=NOW)
                raise Rollback
        except Rollback:
            pass
    return figures["peak_mb"]


def run(options, stdout):
    count = options["tickets"]
    started = time.perf_counter()
    _tickets(count, options["seed"])
    stdout.write(f"Created {count} open tickets on the standard ladder in {time.perf_counter() - started:.1f} s "
                 f"({connection.vendor}); sweep at {NOW.isoformat()}.")
    _analyze()
    _settle()
    heap = _heap_peak_of_first_sweep()
    _settle()
    first, first_s, first_q = _sweep()
    levels = len(first.levels)
    stdout.write(f"First sweep:  {first_s * 1000:8.0f} ms  queries {first_q:3d}  fired {first.fired:7d}  "
                 f"notifications {first.notifications}")
    for line in first.lines():
        stdout.write(f"    {line}")
    second, second_s, second_q = _sweep()
    stdout.write(f"Second sweep: {second_s * 1000:8.0f} ms  queries {second_q:3d}  fired {second.fired:7d}  "
                 f"(nothing new due)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stdout.write(f"Levels: {levels}; queries per level: first {first_q / levels:.1f}, second {second_q / levels:.1f}")
    stdout.write(f"Peak memory: Python heap during the first sweep {heap:.0f} MB; process peak RSS {rss:.0f} MB "
                 f"(including creating the tickets).")
