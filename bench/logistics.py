"""Logistics benchmark: report-file import rate, API ingest rate, alert scan time and query count.

`manage.py bench logistics --events 1000000 --shipments 200000` runs on a fresh database of its
own (bench.harness.fresh_database: a new SQLite file in a temporary folder, or a scratch PostgreSQL
database), never on the portal's database. Steps:

1. generate a carrier report CSV (the sample's columns) with --events rows for --shipments parcels;
2. import it as the import task does (`run_import` inside `relaxed_gc()`, logistics/tasks.py), timed;
3. post --api-events further events to POST /api/v1/logistics/events/ in batches of 1,000 through
   the Django test client (the whole request stack: token authentication, JSON, idempotency), timed;
4. run the alert scan over all parcels: wall time and SQL query count, then a second scan.
Timings run with DEBUG off, as in production (no per-query logging). Rates are given by wall
time and by the process's CPU time: on a machine shared with other work the CPU figure is the
one that says what the code does (SQLite works in-process, so uncontended they are close).
"""

import json
import random
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.files import File
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
HEADER = ["运单号", "订单号", "扫描时间", "操作码", "操作描述", "网点", "城市"]
# A parcel's life: (code, description) in order; parcels stop somewhere along it.
JOURNEY = [
    ("50", "已揽收"), ("30", "已发出，下一站 中转场"), ("31", "已到达 广州中转场"), ("30", "已发出，下一站 上海中转场"),
    ("31", "已到达 上海中转场"), ("33", "已到达 营业点"), ("44", "派送中，快递员 王师傅"), ("80", "已签收，签收人：本人"),
]
CITIES = ["广州", "上海", "杭州", "南京", "武汉", "成都", "北京", "天津"]


def add_arguments(parser):
    parser.add_argument("--events", type=int, default=1_000_000, help="Rows in the generated report file.")
    parser.add_argument("--shipments", type=int, default=200_000, help="Parcels in the generated report file.")
    parser.add_argument("--api-events", type=int, default=None,
                        help="Events posted through the API (default: a tenth of --events, at most 200,000).")
    parser.add_argument("--seed", type=int, default=2026)


def generate_report(path: Path, *, events: int, shipments: int, seed: int) -> int:
    """Write the report; returns the number of rows.

    Each parcel gets events//shipments scans (the remainder spread over the first ones), 2-14 h
    apart, ending at a stage of its journey: 70 % in transit, 12 % at the outlet, 10 % out for
    delivery, 8 % delivered. Its latest scan is 0.5-30 h old, except for 6 % of parcels whose
    scans stopped 49-120 h ago (stalled); 5 % have a transit exception. Like a real daily report,
    the rows are grouped by waybill."""
    rng = random.Random(seed)
    base, extra = divmod(events, shipments)
    stages = [(4, 0.70), (5, 0.12), (6, 0.10), (7, 0.08)]  # index in JOURNEY of the last scan
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(HEADER) + "\n")
        lines = []
        for n in range(shipments):
            count = base + (1 if n < extra else 0)
            waybill = f"SF{n:013d}"
            order = f"T{n:011d}"
            city = CITIES[n % len(CITIES)]
            roll, last_stage = rng.random(), stages[-1][0]
            for stage, share in stages:
                if roll < share:
                    last_stage = stage
                    break
                roll -= share
            age = rng.uniform(49, 120) if rng.random() < 0.06 else rng.uniform(0.5, 30)
            times = [NOW - timedelta(hours=age)]
            for _ in range(count - 1):
                times.append(times[-1] - timedelta(hours=rng.uniform(2, 14)))
            times.reverse()
            anomaly_at = rng.randrange(count) if count > 1 and rng.random() < 0.05 else -1
            for k, at in enumerate(times):
                step = last_stage - (count - 1) + k
                if k == anomaly_at and step < 5:
                    code, text = "99", "中转异常：错分，已安排重新分拣"
                elif 0 <= step < len(JOURNEY):
                    code, text = JOURNEY[step]
                else:
                    code, text = "31", f"已到达 {CITIES[(n + k) % len(CITIES)]}中转场"
                lines.append(f"{waybill},{order},{at:%Y-%m-%d %H:%M:%S},{code},{text},{city}营业部,{city}\n")
                rows += 1
            if len(lines) > 10_000:
                handle.writelines(lines)
                lines = []
        handle.writelines(lines)
    return rows


def api_batches(*, count: int, shipments: int, seed: int, batch: int = 1000):
    """JSON bodies of `count` new events (later scans of existing parcels), `batch` per request."""
    rng = random.Random(seed + 1)
    bodies = []
    for start in range(0, count, batch):
        events = []
        for i in range(start, min(start + batch, count)):
            n = rng.randrange(shipments)
            at = NOW - timedelta(hours=1, seconds=i)
            events.append({"waybill": f"SF{n:013d}", "order_number": f"T{n:011d}", "time": at.isoformat(),
                           "code": "31", "description": f"已到达 中转场 {i}", "outlet": "中转场", "city": "上海"})
        bodies.append(json.dumps({"carrier": "SF", "store": "bench-store", "events": events}))
    return bodies


def _setup():
    from logistics.setup import ensure_sample_carrier
    from portal.models import Store, Team
    from portal.roles import Role, ensure_roles
    from portal.services import add_member

    ensure_roles()
    carrier = ensure_sample_carrier()
    store = Store.objects.create(code="bench-store", name="Bench store", marketplace="tmall", brand="Bench")
    team = Team.objects.create(name="Bench logistics", kind=Team.Kind.LOGISTICS)
    team.stores.add(store)
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    integration = users.create_user("bench-integration", password="bench-pass-123")
    add_member(user=integration, team=Team.objects.create(name="Bench integrations", kind=Team.Kind.MANAGEMENT),
               role=Role.INTEGRATION)
    from portal.integrations import Kind
    from portal.models import IntegrationClient

    client = IntegrationClient.objects.create(user=integration, name="Bench carrier", kinds=[Kind.CARRIER_FEED])
    client.stores.add(store)
    add_member(user=users.create_user("bench-coordinator"), team=team, role=Role.LOGISTICS_COORDINATOR)
    return carrier, store, integration


def run(options, stdout):
    from logistics.alerts import scan_logistics
    from logistics.imports import create_import, run_import
    from logistics.models import Alert, Shipment, TrackingEvent
    from portal.memory import relaxed_gc

    events, shipments = options["events"], options["shipments"]
    api_events = options["api_events"]
    if api_events is None:
        api_events = min(events // 10, 200_000)
    carrier, store, integration = _setup()
    with tempfile.TemporaryDirectory(prefix="logistics-bench-") as scratch, \
            override_settings(MEDIA_ROOT=scratch, DEBUG=False):
        report = Path(scratch) / "bench_report.csv"
        started = time.perf_counter()
        rows = generate_report(report, events=events, shipments=shipments, seed=options["seed"])
        stdout.write(f"Generated {rows:,} rows for {shipments:,} parcels "
                     f"({report.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s")

        # 1. The file import.
        with report.open("rb") as handle:
            tracking_import = create_import(carrier=carrier, store=store, uploaded_file=File(handle, name=report.name),
                                            actor=None, now=NOW)
        started, cpu = time.perf_counter(), time.process_time()
        with relaxed_gc():  # as the import task does (logistics/tasks.py)
            result = run_import(tracking_import.pk, now=NOW)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        stdout.write(
            f"File import: {result.events_added:,} events added ({result.shipments_created:,} parcels created, "
            f"{result.rejected_count} rejected) in {elapsed:.1f} s = {result.events_added / elapsed:,.0f} events/s"
            f" (CPU {cpu:.1f} s = {result.events_added / cpu:,.0f} events/s)  [target >= 20,000]"
        )

        # 2. The API, in batches of 1,000.
        bodies = api_batches(count=api_events, shipments=shipments, seed=options["seed"])
        # As an integration calls it: token authentication, no session.
        from django.utils import timezone

        from portal.tokens import create_token

        auth = f"Token {create_token(user=integration, name='bench', now=timezone.now())[1]}"
        client = Client()
        added = 0
        started, cpu = time.perf_counter(), time.process_time()
        for n, body in enumerate(bodies):
            response = client.post("/api/v1/logistics/events/", body, content_type="application/json",
                                   headers={"Idempotency-Key": f"bench-{n}", "Authorization": auth})
            if response.status_code != 200:
                raise RuntimeError(f"API batch {n}: HTTP {response.status_code} {response.content[:300]!r}")
            added += response.json()["events_added"]
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        stdout.write(f"API ingest: {added:,} events in {len(bodies)} requests of <= 1,000 in {elapsed:.1f} s = "
                     f"{added / elapsed if elapsed else 0:,.0f} events/s (CPU {cpu:.1f} s = "
                     f"{added / cpu if cpu else 0:,.0f} events/s)  [target >= 10,000]")

        # 3. The alert scan.
        active = Shipment.objects.active().count()
        for label in ("Alert scan", "Alert scan again (nothing new)"):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                outcome = scan_logistics(now=NOW)
                elapsed = time.perf_counter() - started
            stdout.write(
                f"{label}: {elapsed:.2f} s, {len(captured)} SQL queries over {active:,} active parcels; opened "
                f"{outcome['opened']:,}, closed {outcome['closed']:,}, {outcome['messages']} message(s)  [target < 2 s]"
            )
        stdout.write(f"Totals: {Shipment.objects.count():,} parcels, {TrackingEvent.objects.count():,} events, "
                     f"{Alert.objects.count():,} alerts")
