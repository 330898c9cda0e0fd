"""A bounded soak: gunicorn (2 workers) and a qcluster on the embedded default (SQLite + ORM broker),
or on PostgreSQL + Redis when DATABASE_URL and REDIS_URL are set (CI's second run), under a load
generator of mixed reads and writes (API ticket list, notes, chat conversations, carrier report
imports, queue and home pages) while the escalation sweep and the logistics scans run.

Asserts: no 5xx, no "database is locked" anywhere in the servers' output, and what was written
matches what the load generator was told succeeded. Prints the request rate and latency
percentiles. SOAK_SECONDS (default 40) bounds the load phase.
"""

import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from statistics import quantiles
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from tests.qcluster import ROOT, cluster_env, manage

SECONDS = float(os.environ.get("SOAK_SECONDS", "40"))
THREADS = 6
SAMPLE = ROOT / "logistics" / "demo_data" / "carrier_daily_report_sample.csv"
PASSWORD = "demo-pass-2026"  # noqa: S105 (the demo's)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scratch_postgres(url: str, *, drop: bool = False) -> str:
    """A scratch database next to DATABASE_URL's, created afresh (or dropped) through the server's
    maintenance database."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_soak"
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop:
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
def soak_env(tmp_path, request):
    import shutil

    database = tmp_path / "soak.sqlite3"
    env = cluster_env(database, gateway_url="", redis_url=os.environ.get("REDIS_URL") or None)
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        env["DATABASE_URL"] = scratch_postgres(os.environ["DATABASE_URL"])
        manage(env, "migrate", "-v0")
    else:
        shutil.copyfile(request.getfixturevalue("_migrated_template"), database)
    env.update(STATIC_ROOT=str(tmp_path / "static"), PORTAL_MODE="local", WEB_CONCURRENCY="2",
               # The soak measures capacity, not the throttles.
               API_RATE_USER="1000000/min", API_RATE_INTEGRATION="1000000/min")
    manage(env, "load_demo")
    manage(env, "collectstatic", "--no-input", "-v0")
    env["_database"] = "postgresql" if "DATABASE_URL" in env else "sqlite"
    yield env
    if "DATABASE_URL" in env:
        scratch_postgres(os.environ["DATABASE_URL"], drop=True)


class Load:
    """Counts and latencies of what the threads did."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors: list[str] = []
        self.notes_ok: list[str] = []
        self.conversations_ok: list[str] = []
        self.imports_ok = 0

    def record(self, kind, response, started):
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies.append(elapsed)
            self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                self.errors.append(f"{kind}: {response.status_code} {response.text[:300]}")


def login(base, username):
    session = requests.Session()
    session.get(f"{base}/login/", timeout=30)
    response = session.post(f"{base}/login/", data={"username": username, "password": PASSWORD,
                                                     "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                            headers={"Referer": f"{base}/login/"}, timeout=30, allow_redirects=False)
    assert response.status_code == 302, response.text[:500]
    return session


def worker(number, base, tokens, ticket_ids, load, stop_at):
    rng = random.Random(number)
    agent = {"Authorization": f"Token {tokens['agent']}"}
    integration = {"Authorization": f"Token {tokens['integration']}"}
    logistics = {"Authorization": f"Token {tokens['logistics']}"}
    pages = login(base, "agent")
    api = requests.Session()
    while time.monotonic() < stop_at:
        roll = rng.random()
        started = time.perf_counter()
        try:
            if roll < 0.30:
                kind, response = "api list", api.get(f"{base}/api/v1/tickets/?page_size=20", headers=agent, timeout=60)
            elif roll < 0.50:
                body = f"soak note {uuid.uuid4().hex}"
                kind = "api note"
                response = api.post(f"{base}/api/v1/tickets/{rng.choice(ticket_ids)}/note/", json={"body": body},
                                    headers=agent, timeout=60)
                if response.status_code == 200:
                    load.notes_ok.append(body)
            elif roll < 0.65:
                conversation = f"soak-{uuid.uuid4().hex[:16]}"
                kind = "chat"
                response = api.post(f"{base}/api/v1/chat/conversations/", headers=integration, timeout=60, json={
                    "store": "clouddry-tmall", "conversation_id": conversation, "buyer_nick": "压测买家",
                    "messages": [{"id": "m1", "sent_at": "2026-11-28T10:00:00+08:00", "sender": "buyer",
                                  "text": "晾衣架不能升降了"}]})
                if response.status_code == 201:
                    load.conversations_ok.append(conversation)
            elif roll < 0.70:
                kind = "import"
                with SAMPLE.open("rb") as handle:
                    response = api.post(f"{base}/api/v1/logistics/imports/", headers=logistics, timeout=120,
                                        data={"carrier": "SF", "store": "clouddry-tmall"},
                                        files={"file": ("report.csv", handle, "text/csv")})
                if response.status_code in (201, 202):
                    with load.lock:
                        load.imports_ok += 1
            elif roll < 0.90:
                kind, response = "queue page", pages.get(f"{base}/tickets/", timeout=60)
            else:
                kind, response = "home page", pages.get(f"{base}/", timeout=60)
        except requests.RequestException as exc:
            with load.lock:
                load.errors.append(f"connection: {exc}")
            continue
        load.record(kind, response, started)


def start(env, args, log):
    clean = {k: v for k, v in env.items() if not k.startswith("_")}
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=clean, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.mark.soak
def test_soak_mixed_load_with_sweeps_and_imports(soak_env, tmp_path):
    env, port = soak_env, free_port()
    base = f"http://127.0.0.1:{port}"
    # Tokens for the three clients and the tickets the agent may note on, in one process.
    lines = manage(env, "shell", "-c", (
        "from django.utils import timezone; from django.contrib.auth.models import User;"
        "from tickets.models import Ticket; from portal.permissions import restrict; from portal.tokens import create_token;"
        "users = {u.username: u for u in User.objects.filter(username__in=['agent', 'integration', 'logistics'])};"
        "[print(name, create_token(user=u, name='soak', now=timezone.now())[1]) for name, u in users.items()];"
        "print('tickets', *restrict(Ticket.objects.all(), users['agent'], 'reply').values_list('pk', flat=True)[:30])"
    )).stdout.splitlines()
    words = [line.split() for line in lines if len(line.split()) >= 2]
    tokens = {w[0]: w[1] for w in words if w[0] in {"agent", "integration", "logistics"}}
    ticket_ids = [int(x) for x in next(line for line in lines if line.startswith("tickets ")).split()[1:]]
    assert ticket_ids
    log_path = tmp_path / "servers.log"
    log = log_path.open("w")
    web = start(env, ["-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                      "--timeout", "120", "--log-level", "warning"], log)
    cluster = start(env, ["manage.py", "run_qcluster"], log)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(f"{base}/login/", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.3)
        # The sweeps run during the load (besides their own schedules, which tick every 30 s).
        manage(env, "shell", "-c", "from django_q.tasks import async_task;"
               "[async_task(f) for f in ('tickets.tasks.escalate', 'logistics.tasks.scan_logistics',"
               " 'installation.tasks.scan_installations', 'portal.tasks.dispatch_notifications')]")
        load = Load()
        began = time.monotonic()
        threads = [threading.Thread(target=worker, args=(n, base, tokens, ticket_ids, load, began + SECONDS))
                   for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
    finally:
        stop(web)
        stop(cluster)
        log.close()

    output = log_path.read_text()
    total = len(load.latencies)
    p50, p95, p99 = (quantiles(load.latencies, n=100)[i] * 1000 for i in (49, 94, 98))
    print(f"\nsoak on {env['_database']}: {total} requests in {elapsed:.0f} s = {total / elapsed:.1f} req/s; "
          f"latency p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms; statuses {dict(sorted(load.statuses.items()))}; "
          f"notes {len(load.notes_ok)}, chats {len(load.conversations_ok)}, imports {load.imports_ok}")
    assert load.errors == [], load.errors[:5]
    assert not any(code >= 500 for code in load.statuses)
    assert len(re.findall("database is locked", output)) == 0, output[-3000:]
    assert set(load.statuses) <= {200, 201, 202}, load.statuses  # nothing refused or throttled either
    counted = manage(env, "shell", "-c", (
        "from tickets.models import TimelineEntry, ChatConversation;"
        "print(TimelineEntry.objects.filter(kind='note', body__startswith='soak note ').count(),"
        " ChatConversation.objects.filter(conversation_id__startswith='soak-').count())"
    )).stdout.strip().splitlines()[-1].split()
    assert [int(n) for n in counted] == [len(load.notes_ok), len(load.conversations_ok)]
    assert load.notes_ok and load.conversations_ok and load.imports_ok and total > 50
