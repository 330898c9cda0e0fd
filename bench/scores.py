"""Scores benchmark: the daily snapshot, a 90-day backfill, the badge evaluation and the dashboards.

`manage.py bench scores` (defaults: the issue's scale) runs on a fresh database of its own. One store
gets --parcels parcels (5 tracking events each: --parcels 200000 is 1M events), --tickets tickets
(each with a chat conversation and its first buyer message), --jobs installation jobs and --refunds
refund requests, spread over the 90 days before NOW. The rows are written with executemany in
batches straight into the tables (set-based generation: no ORM object per row). Then:

1. one day's snapshot (`compute_scores` for the last full day): median time of three runs, SQL
   queries, and the Python heap peak of a separate run (tracemalloc slows the code it watches, so
   no timed run is traced), at a tenth of the data first and at all of it (the query counts must
   be equal);
2. the 90-day backfill (`compute_range`), total and per day;
3. the badge evaluation alone (five demo badges, including one on a 60-day window);
4. the executive and manager dashboards (median of --repeat page loads, SQL queries).
Timings run with DEBUG off. Targets on SQLite, 2 cores: a day's snapshot < 5 s with a query count
independent of the data size; dashboards < 300 ms with <= 20 queries.
"""

import random
import time
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection, models, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from bench.harness import measure, peak_memory

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=SH)
DAYS = 90
BATCH = 5000


def add_arguments(parser):
    parser.add_argument("--parcels", type=int, default=200_000, help="Parcels (5 tracking events each).")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=20_000, help="Installation jobs.")
    parser.add_argument("--refunds", type=int, default=10_000, help="Refund requests.")
    parser.add_argument("--repeat", type=int, default=5, help="Page loads per dashboard.")
    parser.add_argument("--backfill-days", type=int, default=DAYS)
    parser.add_argument("--seed", type=int, default=2026)


class Writer:
    """executemany INSERTs of plain tuples into a model's table, every other non-null column at its
    default; datetimes, durations, decimals and JSON prepared for the database once per value."""

    def __init__(self, model, fields):
        self.model = model
        concrete = {f.name: f for f in model._meta.concrete_fields}
        self.fields = [concrete[name] for name in fields]
        defaults = []
        for field in model._meta.concrete_fields:
            if field.primary_key or field.name in fields or field.null:
                continue
            defaults.append((field, field.get_db_prep_value(field.get_default(), connection, prepared=False)))
        self.defaults = defaults
        self.prep = [self._converter(f) for f in self.fields]
        qn = connection.ops.quote_name
        columns = [f.column for f in self.fields] + [f.column for f, _v in defaults]
        marks = ", ".join(["%s"] * len(columns))
        self.sql = f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) VALUES ({marks})"
        self.tail = tuple(value for _f, value in defaults)

    @staticmethod
    def _converter(field):
        if isinstance(field, models.DateTimeField | models.DurationField | models.DecimalField | models.JSONField):
            return lambda value: None if value is None else field.get_db_prep_value(value, connection, prepared=False)
        return None

    def write(self, rows):
        batch = []
        with connection.cursor() as cursor:
            for row in rows:
                batch.append(tuple(value if prep is None else prep(value) for value, prep in zip(row, self.prep,
                                                                                                   strict=True))
                             + self.tail)
                if len(batch) >= BATCH:
                    cursor.executemany(self.sql, batch)
                    batch = []
            if batch:
                cursor.executemany(self.sql, batch)


def _setup():
    from django.contrib.auth import get_user_model

    from logistics.models import Carrier
    from portal.models import Store, Team
    from portal.roles import Role, ensure_roles
    from portal.services import add_member
    from scores.demo import load_configuration
    from tickets.models import BusinessCalendar, Queue, SLAPolicy, SLATarget

    ensure_roles()
    load_configuration()
    from scores.models import Badge

    Badge.objects.filter(code="resolution-24h").update(window_days=60)  # one badge on another window
    store = Store.objects.create(code="bench-store", name="Bench store", marketplace="tmall", brand="Bench")
    carrier = Carrier.objects.create(code="bench-sf", name="SF")
    team = Team.objects.create(name="Bench CS", kind=Team.Kind.CUSTOMER_SERVICE)
    team.stores.set([store])
    users = get_user_model().objects
    manager = users.create_user("bench-manager", password="x")
    director = users.create_user("bench-director", password="x")
    add_member(user=manager, team=team, role=Role.MANAGER)
    add_member(user=director, team=Team.objects.create(name="Bench board", kind=Team.Kind.MANAGEMENT),
               role=Role.DIRECTOR)
    agents = []
    for n in range(20):
        agent = users.create_user(f"bench-agent-{n}", password="x")
        add_member(user=agent, team=team, role=Role.AGENT)
        agents.append(agent)
    queue = Queue.objects.create(name="Bench queue", team=team, is_default=True)
    calendar = BusinessCalendar.objects.create(name="24x7", time_zone="Asia/Shanghai", always_open=True)
    policy = SLAPolicy.objects.create(name="Bench", calendar=calendar, is_default=True)
    SLATarget.objects.create(policy=policy, priority="normal", first_response_minutes=60, resolution_minutes=480)
    return store, carrier, queue, policy, agents, manager, director


def _last_pk(model):
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _ids_after(model, last_pk, count):
    """The primary keys of the `count` rows just written to `model` after `last_pk`, in the order they were
    written (one session, one transaction: the sequence hands them out in order). Read back rather than
    computed as last_pk + 1 + n: on PostgreSQL a sequence is not rolled back with its transaction (earlier
    tests, an aborted run), so the first new id is often well past MAX(id) + 1."""
    ids = list(model.objects.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True))
    if len(ids) != count:
        raise RuntimeError(f"{model._meta.label}: wrote {count} rows, found {len(ids)} after id {last_pk}")
    return ids


def seed(*, parcels, tickets, jobs, refunds, rng, stdout, offset=0, setup=None):
    from installation.models import InstallationJob
    from logistics.models import Alert, Shipment, TrackingEvent
    from refunds.models import ReasonCode, RefundRequest
    from tickets.models import ChatConversation, ChatMessage, Ticket

    store, carrier, queue, policy, agents, manager, director = setup or _setup()
    start = NOW - timedelta(days=DAYS)
    span = DAYS * 86400
    started = time.perf_counter()
    with transaction.atomic():
        shipments = Writer(Shipment, ["store", "carrier", "waybill_number", "order_number", "created_at",
                                      "picked_up_at", "shipped_at", "delivered_at", "promised_by", "status",
                                      "last_event_at"])
        last_shipment = _last_pk(Shipment)

        def parcel_rows():
            for n in range(parcels):
                created = start + timedelta(seconds=rng.random() * span)
                picked = created + timedelta(hours=rng.choice((2, 10, 20, 30, 40, 47, 60)))
                delivered = picked + timedelta(hours=rng.uniform(18, 100)) if rng.random() < 0.9 else None
                if delivered is not None and delivered > NOW:
                    delivered = None
                if picked > NOW:
                    picked = None
                status = "delivered" if delivered else ("in_transit" if picked else "pending")
                yield (store.pk, carrier.pk, f"SF{n + offset:010d}", f"BO{n + offset:010d}", created, picked, picked, delivered,
                       created + timedelta(hours=96), status, delivered or picked or created)

        shipments.write(parcel_rows())
        shipment_ids = _ids_after(Shipment, last_shipment, parcels)
        events = Writer(TrackingEvent, ["shipment", "event_key", "occurred_at", "code", "status", "received_at"])

        def event_rows():
            for n in range(parcels):
                at = start + timedelta(seconds=(n * 7919) % span)
                for k in range(5):
                    yield (shipment_ids[n], f"{n:011d}{k}", at + timedelta(hours=6 * k), "30", "in_transit", NOW)

        events.write(event_rows())
        alerts = Writer(Alert, ["shipment", "kind", "cause", "status", "trigger_at", "opened_at"])
        alerts.write((shipment_ids[n], "stalled", "no_scan", "resolved", start + timedelta(seconds=(n * 13) % span),
                      start + timedelta(seconds=(n * 13) % span)) for n in range(0, parcels, 33))
        stdout.write(f"  parcels and {parcels * 5} events: {time.perf_counter() - started:.1f} s\n")

        ticket_writer = Writer(Ticket, ["store", "queue", "assignee", "status", "sla_policy", "channel",
                                        "first_response_at", "first_response_time", "first_resolved_at",
                                        "first_resolution_seconds", "resolved_at", "rating", "sla_breached",
                                        "created_at", "updated_at", "buyer_nick", "subject"])
        last_ticket = _last_pk(Ticket)
        plan = []

        def ticket_rows():
            for n in range(tickets):
                created = start + timedelta(seconds=rng.random() * span)
                response = rng.choice((20, 60, 90, 150, 170, 240, 600))
                resolution = rng.choice((1800, 7200, 30000, 80000, 100000, 200000))
                done = created + timedelta(seconds=resolution)
                resolved = done <= NOW
                plan.append((created, response))
                yield (store.pk, queue.pk, agents[n % len(agents)].pk, "resolved" if resolved else "open", policy.pk,
                       "chat", created + timedelta(seconds=response), timedelta(seconds=response),
                       done if resolved else None, resolution if resolved else None, done if resolved else None,
                       rng.choice((None, None, 5, 5, 4, 3)), resolution > 28800, created, created, f"b{n}",
                       "咨询")

        ticket_writer.write(ticket_rows())
        ticket_ids = _ids_after(Ticket, last_ticket, tickets)
        conversations = Writer(ChatConversation, ["store", "conversation_id", "ticket", "created_at"])
        last_conversation = _last_pk(ChatConversation)
        conversations.write((store.pk, f"c{n + offset}", ticket_ids[n], plan[n][0]) for n in range(tickets))
        conversation_ids = _ids_after(ChatConversation, last_conversation, tickets)
        messages = Writer(ChatMessage, ["conversation", "ticket", "external_id", "sender", "sent_at", "text",
                                        "received_at", "human_response_at", "human_response_seconds"])
        messages.write((conversation_ids[n], ticket_ids[n], f"m{n}", "buyer", plan[n][0], "在吗", plan[n][0],
                        plan[n][0] + timedelta(seconds=plan[n][1]), float(plan[n][1])) for n in range(tickets))
        stdout.write(f"  + {tickets} tickets with chats: {time.perf_counter() - started:.1f} s\n")

        job_writer = Writer(InstallationJob, ["store", "node", "delivered_at", "appointment_start", "appointment_end",
                                              "on_site_at", "completed_at", "visits", "requested_at", "created_at",
                                              "updated_at"])

        def job_rows():
            for _n in range(jobs):
                delivered = start + timedelta(seconds=rng.random() * span)
                appointment = delivered + timedelta(hours=rng.choice((20, 30, 50, 80)))
                arrival = appointment + timedelta(minutes=rng.choice((-30, 30, 90, 200)))
                done = arrival + timedelta(hours=1)
                finished = done <= NOW
                yield (store.pk, "completed" if finished else "scheduled", delivered, appointment,
                       appointment + timedelta(hours=2), arrival if finished else None, done if finished else None,
                       rng.choice((1, 1, 1, 2)), delivered, delivered, done if finished else delivered)

        job_writer.write(job_rows())
        reason = ReasonCode.objects.first()
        refund_writer = Writer(RefundRequest, ["store", "platform_request_id", "order_no", "kind", "amount", "reason",
                                               "requested_at", "respond_by", "status", "decided_at", "ruling",
                                               "created_at", "updated_at"])

        def refund_rows():
            for n in range(refunds):
                requested = start + timedelta(seconds=rng.random() * span)
                decided = requested + timedelta(hours=rng.uniform(1, 60))
                decided = decided if decided <= NOW else None
                yield (store.pk, f"RF{n + offset}", f"BO{n + offset:010d}", "refund_only", Decimal("99.00"), reason.pk, requested,
                       requested + timedelta(days=2), "decided" if decided else "open", decided,
                       "buyer" if n % 97 == 0 else "", requested, decided or requested)

        refund_writer.write(refund_rows())
    stdout.write(f"  seeded in {time.perf_counter() - started:.1f} s\n")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return (store, carrier, queue, policy, agents, manager, director)


def _snapshot(store_ids, on):
    from scores.services import compute_scores

    # Twice: the first run after new data may also write badge changes and messages (a few
    # statements more); the second is the steady state compared across data sizes.
    # Timed without tracemalloc (which slows Python's own work several times over), then once more
    # under it for the heap peak alone.
    compute_scores(on, now=NOW, store_ids=store_ids)
    result = measure("snapshot", lambda: compute_scores(on, now=NOW, store_ids=store_ids), repeat=3)
    with peak_memory() as memory:
        compute_scores(on, now=NOW, store_ids=store_ids)
    return result, memory["peak_mb"]


def _page(client, url, repeat):
    client.get(url)  # warm: session, roles
    return measure(url, lambda: client.get(url), repeat=repeat)


def run(options, stdout):
    """Returns the figures (also printed) for tests/bench."""
    from portal.models import Store
    from scores.badges import evaluate_badges
    from scores.services import compute_range, last_full_day

    rng = random.Random(options.get("seed", 2026))
    scale = {k: options[k] for k in ("parcels", "tickets", "jobs", "refunds")}
    figures = {}
    with override_settings(DEBUG=False):
        # A tenth of the data first, then all of it: the snapshot's query count must not move.
        small = {k: max(1, v // 10) for k, v in scale.items()}
        setup = seed(**small, rng=rng, stdout=stdout)
        on = last_full_day(NOW)
        store_ids = list(Store.objects.values_list("pk", flat=True))
        tenth, tenth_mb = _snapshot(store_ids, on)
        rest = {k: v - small[k] for k, v in scale.items()}
        setup = seed(**rest, rng=rng, stdout=stdout, offset=10 * max(scale.values()), setup=setup)
        manager, director = setup[5], setup[6]
        store_ids = list(Store.objects.values_list("pk", flat=True))
        full, full_mb = _snapshot(store_ids, on)
        figures["snapshot"] = {"tenth_ms": round(tenth.median_ms), "tenth_queries": tenth.max_queries,
                               "ms": round(full.median_ms), "queries": full.max_queries,
                               "peak_mb": round(full_mb, 1), "tenth_peak_mb": round(tenth_mb, 1)}
        stdout.write(f"day's snapshot at a tenth: {tenth.median_ms:.0f} ms, {tenth.max_queries} queries, "
                     f"peak {tenth_mb:.1f} MB\n")
        stdout.write(f"day's snapshot at full scale: {full.median_ms:.0f} ms, {full.max_queries} queries, "
                     f"peak {full_mb:.1f} MB\n")
        stdout.write("Snapshot queries constant in the data size: "
                     f"{'yes' if full.max_queries == tenth.max_queries else 'NO'}\n")
        days = options.get("backfill_days", DAYS)
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            compute_range(on - timedelta(days=days - 1), on, now=NOW, store_ids=store_ids)
            backfill_s = time.perf_counter() - began
        figures["backfill"] = {"days": days, "s": round(backfill_s, 1), "per_day_ms": round(1000 * backfill_s / days),
                               "queries": len(queries)}
        stdout.write(f"{days}-day backfill: {backfill_s:.1f} s ({1000 * backfill_s / days:.0f} ms a day), "
                     f"{len(queries)} queries\n")
        badges = measure("badges", lambda: evaluate_badges(on, now=NOW, store_ids=store_ids))
        figures["badges"] = {"ms": round(badges.median_ms), "queries": badges.max_queries}
        stdout.write(f"badge evaluation: {badges.median_ms:.0f} ms, {badges.max_queries} queries\n")
        repeat = options.get("repeat", 5)
        for label, user, url in (("executive", director, "/scores/?view=executive"),
                                 ("manager", manager, "/scores/?view=manager")):
            client = Client()
            client.force_login(user)
            page = _page(client, url, repeat)
            figures[label] = {"median_ms": round(page.median_ms), "queries": page.max_queries}
            stdout.write(f"{label} dashboard: median {page.median_ms:.0f} ms, {page.max_queries} queries\n")
    return figures
