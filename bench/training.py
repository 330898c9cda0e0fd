"""Training benchmark: the compliance table and the case-candidates list.

`manage.py bench training --agents 2000 --certs 20 --tickets 100000` (on a fresh database of its
own). Seeds a tenth of the agents (with their certifications: about two thirds of the cells hold
one, valid, expiring or expired) and of the tickets (done and open, some rated 1-2, some major, some
escalated to level 2, some with a contested refund), measures, then seeds the rest and measures again:

- the compliance page (`/training/compliance/`, first page of 50 agents x every certification)
  and its API (`/api/v1/training/compliance/`), as a trainer;
- the candidates page (`/training/candidates/`, first page of 50) as a trainer.

Median ms of `--repeat` runs (wall time, and this process's CPU time, which leaves out waiting
for other processes on a shared machine) and SQL queries per request; the query counts must be the same at both
sizes (constant in the data size). Targets: < 300 ms with <= 15 queries on SQLite.
"""

import random
import statistics
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings

from bench.harness import measure
from portal.models import Membership, Store, Team
from portal.roles import Role, ensure_roles
from portal.services import add_member

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TEAM_SIZE = 100
TARGET_MS, TARGET_QUERIES = 300, 15


def add_arguments(parser):
    parser.add_argument("--agents", type=int, default=2000, help="Agents in the compliance table (default 2000).")
    parser.add_argument("--certs", type=int, default=20, help="Certification requirements (default 20).")
    parser.add_argument("--tickets", type=int, default=100_000, help="Tickets under the candidates list.")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)


def _setup(certs):
    from tickets.models import EscalationLadder, EscalationPolicy, EscalationSweep, LadderLevel, Queue
    from training.models import CertificationRequirement

    ensure_roles()
    store = Store.objects.create(code="bench-store", name="Bench store", marketplace="tmall", brand="Bench")
    training = Team.objects.create(name="Bench training", kind=Team.Kind.TRAINING)
    trainer = get_user_model().objects.create_user("bench-trainer", password="bench-pass-2026")
    add_member(user=trainer, team=training, role=Role.TRAINER)
    requirements = [CertificationRequirement.objects.create(code=f"cert-{n:02d}", name_zh=f"认证{n}",
                                                            name_en=f"Certification {n}", validity_days=365)
                    for n in range(certs)]
    team = Team.objects.create(name="Bench queue team", kind=Team.Kind.CUSTOMER_SERVICE)
    team.stores.set([store])
    queue = Queue.objects.create(name="Bench queue", team=team, is_default=True)
    policy = EscalationPolicy.objects.create(name="Bench ladder", queue=queue)
    ladder = EscalationLadder.objects.create(policy=policy, version=1, published_at=NOW)
    levels = [LadderLevel.objects.create(ladder=ladder, position=p, name=f"L{p}", offset_minutes=0)
              for p in (1, 2)]
    sweep = EscalationSweep.objects.create(uuid=uuid.uuid4(), swept_at=NOW)
    from refunds.models import ReasonCode

    return {"reason": ReasonCode.objects.order_by("pk").first(), "store": store, "trainer": trainer, "requirements": requirements, "queue": queue, "levels": levels,
            "sweep": sweep, "teams": []}


def seed_agents(start, stop, *, world, rng):
    """Agents `start`..`stop` in teams of 100, each with certifications in about two thirds of the cells."""
    from training.models import Certification

    User = get_user_model()
    group = Group.objects.get(name=str(Role.AGENT))
    password = make_password("bench-pass-2026")
    with transaction.atomic():
        users = User.objects.bulk_create([User(username=f"agent-{i:05d}", first_name=f"客服{i}", password=password)
                                          for i in range(start, stop)], batch_size=1000)
        members, certs = [], []
        for offset, user in enumerate(users):
            i = start + offset
            if i // TEAM_SIZE >= len(world["teams"]):
                team = Team.objects.create(name=f"Bench CS {i // TEAM_SIZE:03d}", kind=Team.Kind.CUSTOMER_SERVICE)
                world["teams"].append(team)
            members.append(Membership(user=user, team=world["teams"][i // TEAM_SIZE], role=Role.AGENT))
            for requirement in world["requirements"]:
                roll = rng.random()
                if roll < 0.34:
                    continue
                expires = NOW + timedelta(days=rng.choice([-40, 10, 200, 300]))
                certs.append(Certification(requirement=requirement, agent=user, granted_at=expires - timedelta(days=365),
                                           expires_at=expires))
        Membership.objects.bulk_create(members, batch_size=2000)
        User.groups.through.objects.bulk_create([User.groups.through(user_id=u.pk, group_id=group.pk) for u in users],
                                                batch_size=2000)
        Certification.objects.bulk_create(certs, batch_size=5000)


def seed_tickets(start, stop, *, world, rng):
    """Tickets: 70 % done; of those about 8 % rated 1-2, 3 % major, 2 % escalated to level 2, 1 % with
    a contested refund."""
    from refunds.models import RefundRequest
    from tickets.models import Escalation, Ticket

    done = [Ticket.Status.RESOLVED, Ticket.Status.CLOSED]
    for offset in range(start, stop, 5000):
        with transaction.atomic():
            rows = []
            for i in range(offset, min(offset + 5000, stop)):
                created = NOW - timedelta(minutes=i % 200_000)
                is_done = rng.random() < 0.7
                roll = rng.random()
                rows.append(Ticket(
                    store=world["store"], queue=world["queue"], subject=f"Bench ticket {i}", buyer_nick=f"买家{i}",
                    status=rng.choice(done) if is_done else Ticket.Status.OPEN,
                    rating=(rng.choice([1, 2]) if roll < 0.08 else rng.choice([4, 5])) if is_done else None,
                    is_major=rng.random() < 0.03, created_at=created, updated_at=created,
                    resolved_at=created + timedelta(hours=3) if is_done else None))
            tickets = Ticket.objects.bulk_create(rows, batch_size=1000)
            escalated = [t for t in tickets if rng.random() < 0.02]
            contested = [t for t in tickets if t.status != Ticket.Status.OPEN and rng.random() < 0.01]
            RefundRequest.objects.bulk_create([
                RefundRequest(store=world["store"], platform_request_id=f"bench-{t.pk}", order_no=f"B{t.pk}",
                              kind="refund_only", amount=Decimal("99.00"), reason=world["reason"],
                              requested_at=t.created_at, respond_by=t.created_at + timedelta(days=2),
                              created_at=t.created_at, updated_at=t.created_at, ticket=t, status="disputed",
                              decision="reject", dispute_submitted_on=t.created_at.date())
                for t in contested], batch_size=2000)
            Escalation.objects.bulk_create([
                Escalation(ticket=t, level=world["levels"][1], cycle=1, fired_at=t.created_at, sweep=world["sweep"],
                           queue=world["queue"]) for t in escalated], batch_size=2000)


def _client(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _get(client, url):
    def run():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        response.content  # noqa: B018  (rendered)

    return run


PAGES = [
    ("compliance page", "/training/compliance/"),
    ("compliance API", "/api/v1/training/compliance/"),
    ("candidates page", "/training/candidates/"),
]


def run(options, stdout):
    rng = random.Random(options["seed"])
    world = _setup(options["certs"])
    client = _client(world["trainer"])
    rows = []
    agents_done = tickets_done = 0
    with override_settings(DEBUG=False):
        for share in (10, 1):
            agents, tickets = max(1, options["agents"] // share), max(1, options["tickets"] // share)
            seed_agents(agents_done, agents, world=world, rng=rng)
            seed_tickets(tickets_done, tickets, world=world, rng=rng)
            agents_done, tickets_done = agents, tickets
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            for label, url in PAGES:
                _get(client, url)()  # warm the connection and caches
                cpu = []
                request = _get(client, url)

                def timed(request=request, cpu=cpu):
                    started = time.process_time()
                    request()
                    cpu.append((time.process_time() - started) * 1000)

                measured = measure(label, timed, repeat=options["repeat"])
                rows.append((agents, tickets, label, measured.median_ms, measured.max_queries,
                             statistics.median(cpu)))
    stdout.write("")
    stdout.write(f"{'agents':>7} {'tickets':>8}  {'page':<17} {'median ms':>10} {'cpu ms':>7} {'queries':>8}")
    for agents, tickets, label, ms, queries, cpu_ms in rows:
        stdout.write(f"{agents:>7,} {tickets:>8,}  {label:<17} {ms:>10.1f} {cpu_ms:>7.1f} {queries:>8}")
    small, large = rows[:len(PAGES)], rows[len(PAGES):]
    constant = all(a[4] == b[4] for a, b in zip(small, large, strict=True))
    within = all(r[3] < TARGET_MS and r[4] <= TARGET_QUERIES for r in large)
    within_cpu = all(r[5] < TARGET_MS and r[4] <= TARGET_QUERIES for r in large)
    stdout.write(f"Queries constant in the data size: {'yes' if constant else 'NO'}; at full size within "
                 f"{TARGET_MS} ms and {TARGET_QUERIES} queries: {'yes' if within else 'NO'} by wall time, "
                 f"{'yes' if within_cpu else 'NO'} by this process's CPU time ({connection.vendor}; the CPU time "
                 f"leaves out waiting for other processes on a shared machine).")
    return rows
