"""Tickets benchmark: queue pages, the ticket API list and the ticket page at scale.

`manage.py bench tickets --tickets 100000` runs on a fresh database of its own
(bench.harness.fresh_database: the default connection is re-pointed at a new SQLite file in a
temporary folder, or a scratch PostgreSQL database, and migrated), never on the portal's database.

1. seed: the portal and tickets demo (org chart, queues, calendars, SLA policies, macros), 15 more
   workers per ticket team, then --tickets tickets in bulk spread over 90 days, the queues,
   statuses, priorities and assignees (open ones mostly recent, a backlog breached), timeline
   entries for a third of them, and one long ticket (60 timeline entries, 30 chat messages);
2. refresh the planner statistics (ANALYZE; --no-analyze to skip), as a deployment does;
3. measure through django.test.Client (the whole request stack: session, middleware, templates,
   DRF) logged in as the demo manager (and the agent): --requests requests per page after one
   warm-up, the median wall time and the SQL query count (CaptureQueriesContext).
Timings run with DEBUG off, as in production.
"""

import random
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from bench.harness import measure

# (label, URL, user, target median ms, target max queries[, requests]); None: no target, for information.
PAGES = [
    ("queue page: my team's queue", "/tickets/", "manager", 150, 15),
    ("queue page: my team's queue (agent)", "/tickets/", "agent", 150, 15),
    ("queue page: all tickets", "/tickets/all/", "manager", 150, 15),
    ("queue page: all, 100 per page", "/tickets/all/?per_page=100", "manager", None, 15),
    ("queue page: all, filtered", "/tickets/all/?status=open&priority=high&category=logistics", "manager", 150, 15),
    ("queue page: all, sorted by priority", "/tickets/all/?sort=-priority", "manager", None, 15),
    ("queue page: at risk", "/tickets/at-risk/", "manager", 150, 15),
    ("queue page: breached", "/tickets/breached/", "manager", 150, 15),
    ("API list ?page_size=50", "/api/v1/tickets/?page_size=50", "manager", 150, 15),
    ("API list ?page_size=200", "/api/v1/tickets/?page_size=200", "manager", None, 15),
    ("API list, open, ordered by due", "/api/v1/tickets/?open=true&ordering=resolution_due", "manager", None, 15),
    ("ticket page (60 entries, 30 messages)", "/tickets/{ticket}/", "manager", 100, None),
    ("ticket page (agent)", "/tickets/{ticket}/", "agent", 100, None),
    ("home page (metrics widget cached)", "/", "manager", None, None),
    # Every ticket in the manager's scope, streamed: time to the last byte (3 requests).
    ("CSV export, all in scope (streamed)", "/tickets/export.csv?view=all", "manager", None, 15, 3),
]

SUBJECTS = [
    "快递三天了还没收到", "晾衣架安装后无法升降", "遥控器按键没反应", "电池充不进电", "要求退货退款",
    "师傅上门时间改约", "发票怎么开", "物流显示签收但没收到", "电机有异响", "配件少了一个螺丝",
]
CATEGORIES = ["logistics", "installation", "product", "refund", "return", "dispute", "other"]
CATEGORY_WEIGHTS = [30, 20, 25, 10, 6, 3, 6]
PRIORITIES = ["low", "normal", "high", "urgent"]
PRIORITY_WEIGHTS = [15, 60, 20, 5]


def add_arguments(parser):
    parser.add_argument("--tickets", type=int, default=100_000, help="Tickets to seed.")
    parser.add_argument("--requests", type=int, default=20, help="Timed requests per page (after one warm-up).")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-analyze", action="store_true",
                        help="Measure without refreshing the planner statistics (ANALYZE) after seeding.")


# --- Seeding ----------------------------------------------------------------------------------


def _workers_by_team(rng):
    """Each ticket team gets 15 more workers (agents), so assignees spread like a real floor."""
    from portal.models import Membership, Team
    from portal.roles import Role
    from portal.services import add_member
    from tickets.models import Queue

    User = get_user_model()
    team_ids = set(Queue.objects.values_list("team_id", flat=True))
    for team in Team.objects.filter(pk__in=team_ids):
        for n in range(15):
            user, _created = User.objects.get_or_create(username=f"bench-{team.pk}-{n}",
                                                        defaults={"first_name": f"坐席{team.pk}-{n}"})
            add_member(user=user, team=team, role=Role.AGENT)
    workers = {}
    from tickets.services import WORKER_ROLES

    for team_id, user_id in Membership.objects.filter(team_id__in=team_ids, role__in=WORKER_ROLES).values_list(
        "team_id", "user_id"
    ):
        workers.setdefault(team_id, []).append(user_id)
    return workers


def seed(*, count, now, rng, stdout, batch=5000):
    """Seed the demo configuration and `count` tickets in bulk; returns the long ticket's id."""
    from portal.demo import load_portal_demo
    from tickets.demo import load_demo
    from tickets.models import ChatConversation, ChatMessage, Queue, SLAPolicy, Ticket, TimelineEntry

    load_portal_demo()
    load_demo(now=now)
    workers = _workers_by_team(rng)
    queues = list(Queue.objects.select_related("team").prefetch_related("team__stores"))
    queues = [q for q in queues if q.team.stores.all()]
    # Customer-service queues carry most of the load.
    queue_weights = [8 if q.team.kind == "customer_service" else 2 for q in queues]
    policy = SLAPolicy.objects.filter(is_default=True, is_active=True).prefetch_related("targets").first()
    targets = {t.priority: (t.first_response_minutes, t.resolution_minutes) for t in policy.targets.all()}
    User = get_user_model()
    system = User.objects.get(username="integration")

    created = 0
    entry_total = 0
    while created < count:
        size = min(batch, count - created)
        tickets = []
        for i in range(created, created + size):
            tickets.append(_ticket(i, rng=rng, now=now, queues=queues, queue_weights=queue_weights, workers=workers,
                                   policy=policy, targets=targets))
        with transaction.atomic():
            Ticket.objects.bulk_create(tickets, batch_size=1000)
            entries = []
            for ticket in tickets:
                if rng.random() < 0.33:
                    entries.extend(_entries(ticket, system))
            TimelineEntry.objects.bulk_create(entries, batch_size=2000)
        entry_total += len(entries)
        created += size
        stdout.write(f"  seeded {created:,} tickets, {entry_total:,} timeline entries")

    # The ticket page is measured on a long ticket of the demo agent's team (so the manager and the agent see it).
    from portal.models import Membership

    agent_team = Membership.objects.filter(user__username="agent").values_list("team_id", flat=True).first()
    long_ticket = (
        Ticket.objects.filter(queue__team_id=agent_team, status="open", assignee__isnull=False)
        .order_by("-created_at").first()
    )
    at = long_ticket.created_at
    conversation = ChatConversation.objects.create(store=long_ticket.store, conversation_id=f"bench-{long_ticket.pk}",
                                                   ticket=long_ticket, created_at=at)
    ChatMessage.objects.bulk_create([
        ChatMessage(conversation=conversation, ticket=long_ticket, external_id=str(n),
                    sender="buyer" if n % 2 == 0 else "agent", sent_at=at + timedelta(minutes=n),
                    text=f"消息 {n}：{SUBJECTS[n % len(SUBJECTS)]}", received_at=at + timedelta(minutes=n))
        for n in range(30)
    ])
    kinds = ["note", "reply", "status", "assign", "transfer", "field"]
    agent_ids = workers[long_ticket.queue.team_id]
    TimelineEntry.objects.bulk_create([
        TimelineEntry(ticket=long_ticket, kind=kinds[n % len(kinds)], actor_id=agent_ids[n % len(agent_ids)],
                      at=at + timedelta(minutes=n), body=f"处理记录 {n}",
                      data=_entry_data(kinds[n % len(kinds)], long_ticket), handling_seconds=60)
        for n in range(60)
    ])
    return long_ticket.pk


def _entry_data(kind, ticket):
    if kind == "status":
        return {"from": "new", "to": "open", "cycle": 1}
    if kind == "assign":
        return {"from": None, "to": ticket.assignee_id, "to_name": "坐席", "queue": ticket.queue_id, "via": "manual"}
    if kind == "transfer":
        return {"from_queue": ticket.queue_id, "to_queue": ticket.queue_id, "from_team": None, "to_team": None}
    if kind == "field":
        return {"field": "priority", "from": "normal", "to": "high"}
    return {}


def _ticket(i, *, rng, now, queues, queue_weights, workers, policy, targets):
    from tickets.models import Ticket

    queue = rng.choices(queues, queue_weights)[0]
    stores = list(queue.team.stores.all())
    age = timedelta(minutes=rng.randint(0, 90 * 24 * 60))
    created_at = now - age
    recent = age < timedelta(days=3)
    if recent:
        status = rng.choices(["new", "open", "pending_customer", "pending_internal", "resolved"], [20, 40, 15, 5, 20])[0]
    else:
        status = rng.choices(["open", "pending_customer", "resolved", "closed"], [4, 2, 34, 60])[0]
    priority = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
    first_target, resolution_target = targets[priority]
    # Due times as on a 24x7 clock: good enough to spread tickets over "due soon" and "past due".
    first_due = created_at + timedelta(minutes=first_target)
    resolution_due = created_at + timedelta(minutes=resolution_target)
    assignee_id = None if status == "new" else rng.choice(workers[queue.team_id])
    replied = status != "new"
    first_response_at = created_at + timedelta(minutes=rng.randint(2, 150)) if replied else None
    if first_response_at and first_response_at > now:
        first_response_at = now
    done = status in ("resolved", "closed")
    resolved_at = min(now, created_at + timedelta(minutes=rng.randint(20, 4 * 24 * 60))) if done else None
    paused = status == "pending_customer"
    open_ = not done
    late = bool(
        (first_response_at and first_response_at > first_due)
        or (resolved_at and resolved_at > resolution_due)
        or (open_ and not paused and resolution_due < now)
    )
    return Ticket(
        store=rng.choice(stores), order_no=f"BN{i:09d}", buyer_nick=f"买家{i}", customer_phone=f"139{i:08d}",
        customer_address=f"浙江省杭州市西湖区文三路{i % 999}号", subject=rng.choice(SUBJECTS),
        channel=rng.choices(["chat", "phone", "review", "proactive"], [80, 12, 6, 2])[0],
        category=rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0], priority=priority, is_major=rng.random() < 0.02,
        queue=queue, assignee_id=assignee_id, status=status, sla_policy=policy,
        first_response_target=first_target, resolution_target=resolution_target,
        first_response_due=first_due, resolution_due=resolution_due,
        sla_clock_started_at=created_at if open_ and not paused else None,
        clock_paused_at=created_at + timedelta(minutes=30) if paused else None,
        first_response_at=first_response_at,
        first_response_minutes=int((first_response_at - created_at).total_seconds() // 60) if first_response_at else None,
        first_response_time=(first_response_at - created_at) if first_response_at else None,
        resolved_at=resolved_at, first_resolved_at=resolved_at,
        first_resolution_seconds=int((resolved_at - created_at).total_seconds()) if resolved_at else None,
        closed_at=resolved_at if status == "closed" else None,
        first_response_breached=bool(first_response_at and first_response_at > first_due),
        resolution_breached=bool(resolved_at and resolved_at > resolution_due), sla_breached=late,
        rating=rng.choices([None, 5, 4, 3, 2, 1], [60, 28, 7, 2, 1, 2])[0] if done else None,
        created_at=created_at, updated_at=resolved_at or first_response_at or created_at,
    )


def _entries(ticket, system):
    from tickets.models import TimelineEntry

    entries = [TimelineEntry(ticket=ticket, kind="created", actor=system, at=ticket.created_at,
                             body=ticket.subject, data={"channel": ticket.channel, "queue": ticket.queue_id})]
    if ticket.first_response_at:
        entries.append(TimelineEntry(ticket=ticket, kind="reply", actor_id=ticket.assignee_id,
                                     at=ticket.first_response_at, body="亲，已为您处理。", visibility="public",
                                     handling_seconds=300))
    if ticket.resolved_at:
        entries.append(TimelineEntry(ticket=ticket, kind="status", actor_id=ticket.assignee_id, at=ticket.resolved_at,
                                     data={"from": "open", "to": "resolved", "cycle": 1}, handling_seconds=120))
    return entries


# --- Measuring --------------------------------------------------------------------------------


def _fetch(client, url):
    """GET the URL and read the whole body (a streamed export to its last byte); returns (status, bytes)."""
    response = client.get(url)
    if response.streaming:
        return response.status_code, sum(len(chunk) for chunk in response.streaming_content)
    return response.status_code, len(response.content)


def measure_page(client, url, repeat):
    """One warm-up, then `repeat` timed requests: (median ms, max queries, status, bytes)."""
    last = [_fetch(client, url)]
    figures = measure(url, lambda: last.append(_fetch(client, url)), repeat=repeat)
    status, size = last[-1]
    return figures.median_ms, figures.max_queries, status, size


def run(options, stdout):
    count, repeat = options["tickets"], options["requests"]
    rng = random.Random(options["seed"])
    now = timezone.now()
    started = time.perf_counter()
    long_ticket = seed(count=count, now=now, rng=rng, stdout=stdout)
    if not options.get("no_analyze"):
        # A deployment refreshes the planner statistics (SQLite: a scheduled ANALYZE or PRAGMA
        # optimize; PostgreSQL: autovacuum). Without them SQLite picks the status index for the
        # queue pages and sorts thousands of rows (see docs/benchmarks.md).
        analyze_started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        stdout.write(f"ANALYZE took {(time.perf_counter() - analyze_started) * 1000:.0f} ms.")
    from tickets.models import Ticket, TimelineEntry

    stdout.write(
        f"Seeded {Ticket.objects.count():,} tickets and {TimelineEntry.objects.count():,} timeline entries "
        f"in {time.perf_counter() - started:.0f} s ({connection.vendor})."
    )
    from tickets.navigation import register

    register()  # the home page's metrics widget (idempotent; TicketsConfig.ready() does it too)
    User = get_user_model()
    clients = {}
    for username in ("manager", "agent"):
        clients[username] = Client()
        clients[username].force_login(User.objects.get(username=username))
    rows = []
    # Static files as found in the checkout: the pages' timings do not depend on `collectstatic`.
    storages = {**settings.STORAGES,
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"], STORAGES=storages):
        for label, url, username, target_ms, target_queries, *times in PAGES:
            url = url.format(ticket=long_ticket)
            median, queries, status, size = measure_page(clients[username], url, min([repeat, *times]))
            ok = status == 200 and (target_ms is None or median < target_ms) and (
                target_queries is None or queries <= target_queries)
            rows.append((label, url, median, queries, status, target_ms, target_queries, ok))
        # The widget's metrics themselves, computed (the home page caches them for 10 minutes).
        from tickets.views.metrics import home_metrics

        manager = User.objects.get(username="manager")
        figures = measure("metrics", lambda: home_metrics(manager, now=timezone.now()), repeat=3)
        rows.append(("service metrics, 30 days (computed)", "", figures.median_ms, figures.max_queries, 200, None,
                     None, True))
    stdout.write("")
    stdout.write(f"{'page':<42} {'median ms':>10} {'queries':>8}  {'target':<16} result")
    for label, _url, median, queries, status, target_ms, target_queries, ok in rows:
        target = " ".join(filter(None, [f"<{target_ms} ms" if target_ms else "",
                                        f"<={target_queries} q" if target_queries else ""]))
        verdict = "ok" if ok else ("MISSED" if status == 200 else f"HTTP {status}")
        stdout.write(f"{label:<42} {median:>10.1f} {queries:>8}  {target:<16} {verdict}")
    stdout.write(f"({repeat} timed requests per page after one warm-up; {count:,} tickets; URL of the ticket page: "
                 f"/tickets/{long_ticket}/)")
    return rows
