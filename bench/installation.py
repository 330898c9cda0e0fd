"""Installation SLA scan benchmark: the scan's time and query count over N open jobs with appointments.

`manage.py bench installation --jobs 20000` (runs on a fresh database of its own). Seeds a tenth of
--jobs open jobs, scans twice (the first scan opens alerts and messages the coordinators, the
second finds nothing new), then seeds the rest and scans twice again: the query counts at both
sizes must be equal, since the scan is set-based (a few statements per rule, whatever the number
of jobs). Jobs spread over the open nodes: requested (waiting for a booking, some past their
booking time), scheduled / rescheduled / dispatched (an appointment window, some already over),
on site (some past their completion time).
"""

import random
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from installation.models import InstallationAlert, InstallationJob, InstallationNode, Product
from installation.services import scan_installations
from portal.models import Store, Team
from portal.roles import Role

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
STORES = 4
COORDINATORS_PER_TEAM = 3
# (share of the jobs, node); every job is open.
NODES = [
    (0.30, InstallationNode.REQUESTED),
    (0.35, InstallationNode.SCHEDULED),
    (0.05, InstallationNode.RESCHEDULED),
    (0.20, InstallationNode.DISPATCHED),
    (0.10, InstallationNode.ON_SITE),
]


def add_arguments(parser):
    parser.add_argument("--jobs", type=int, default=20_000, help="Open installation jobs (default 20000).")
    parser.add_argument("--seed", type=int, default=2026)


def _setup():
    """Stores with a product each; one installation team per two stores with its coordinators."""
    from django.contrib.auth import get_user_model

    from portal.roles import ensure_roles
    from portal.services import add_member

    ensure_roles()
    stores = [Store.objects.create(code=f"bench-{n}", name=f"Bench store {n}", marketplace="tmall", brand="Bench")
              for n in range(STORES)]
    products = [Product.objects.create(store=store, sku="RACK-X1", name="Drying rack", needs_installation=True)
                for store in stores]
    users = get_user_model().objects
    for n in range(0, STORES, 2):
        team = Team.objects.create(name=f"Installation {n // 2}", kind=Team.Kind.INSTALLATION)
        team.stores.set(stores[n:n + 2])
        for k in range(COORDINATORS_PER_TEAM):
            add_member(user=users.create_user(f"coordinator-{n // 2}-{k}"), team=team,
                       role=Role.INSTALLATION_COORDINATOR)
    return list(zip(stores, products, strict=True))


def _job(i, *, rng, node, store, product):
    """One open job at `node`; about a third of them past the SLA time their node is waiting for."""
    hours = timedelta(hours=1)
    requested = NOW - rng.uniform(2, 120) * hours
    job = InstallationJob(
        store=store, product=product, order_number=f"T{i:011d}", customer_name=f"顾客{i}",
        customer_phone=f"137{i:08d}", address=f"上海市浦东新区张江路 {i % 999} 号", node=node,
        delivered_at=requested, requested_at=requested, booking_due_at=NOW + rng.uniform(-72, 48) * hours,
        created_at=requested, updated_at=requested,
    )
    if node != InstallationNode.REQUESTED:
        start = NOW + rng.uniform(-40, 72) * hours
        job.booked_at = requested + hours
        job.appointment_start, job.appointment_end = start, start + 2 * hours
        job.completion_due_at = start + 24 * hours
        if node == InstallationNode.ON_SITE:
            job.on_site_at = start + hours
            job.visits = 1
    return job


def seed(count, *, start, rng, places):
    nodes = []
    for share, node in NODES:
        nodes += [node] * round(share * 100)
    for offset in range(0, count, 5000):
        rows = []
        for i in range(start + offset, start + min(offset + 5000, count)):
            store, product = places[i % len(places)]
            rows.append(_job(i, rng=rng, node=nodes[i % len(nodes)], store=store, product=product))
        with transaction.atomic():
            InstallationJob.objects.bulk_create(rows, batch_size=1000)


def _scan():
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        outcome = scan_installations(now=NOW)
        elapsed = time.perf_counter() - started
    return elapsed * 1000, len(captured.captured_queries), outcome


def run(options, stdout):
    total = options["jobs"]
    rng = random.Random(options["seed"])
    places = _setup()
    rows = []
    seeded = 0
    for size in (max(1, total // 10), total):
        started = time.perf_counter()
        seed(size - seeded, start=seeded, rng=rng, places=places)
        seeded = size
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # planner statistics, as a deployment keeps them
        stdout.write(f"Seeded {InstallationJob.objects.count():,} open jobs in {time.perf_counter() - started:.1f} s "
                     f"({connection.vendor}).")
        for label in ("first (opens alerts)", "again (nothing new)"):
            ms, queries, outcome = _scan()
            rows.append((size, label, ms, queries, outcome))
    stdout.write("")
    stdout.write(f"{'jobs':>8}  {'scan':<22} {'ms':>9} {'queries':>8} {'opened':>8} {'closed':>7} {'messages':>9}")
    for size, label, ms, queries, outcome in rows:
        stdout.write(f"{size:>8,}  {label:<22} {ms:>9.1f} {queries:>8} {outcome['opened']:>8,} "
                     f"{outcome['closed']:>7,} {outcome['notified']:>9}")
    small, large = rows[:2], rows[2:]
    constant = all(a[3] == b[3] for a, b in zip(small, large, strict=True))
    stdout.write(f"Queries constant in the number of jobs: {'yes' if constant else 'NO'} "
                 f"({', '.join(str(r[3]) for r in small)} at {small[0][0]:,}; "
                 f"{', '.join(str(r[3]) for r in large)} at {large[0][0]:,}). "
                 f"Open alerts: {InstallationAlert.objects.filter(status='open').count():,}.")
    return rows
