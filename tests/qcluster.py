"""Run a real `manage.py qcluster` on a file SQLite database (shared by the app test packages)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cluster_env(database: Path, *, gateway_url: str, redis_url: str | None = None) -> dict:
    """The environment of the subprocesses: this file database, a data folder beside it (secret key,
    cache, backups), one worker, the test gateway."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(SQLITE_PATH=str(database), PORTAL_DATA_DIR=str(database.parent / "var"), Q_WORKERS="1",
               SMS_GATEWAY_URL=gateway_url)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )


def run_cluster_until(env, done, *, timeout: float) -> tuple[bool, str]:
    """Start a qcluster (`run_qcluster`, which stops cleanly on a process-group SIGTERM), poll `done()`
    every second until it is true or `timeout` passes, stop the cluster (SIGTERM, then SIGKILL), and
    return (whether done, the cluster's output)."""
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "run_qcluster"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    finished = False
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done():
                finished = True
                break
            if cluster.poll() is not None:
                break
            time.sleep(1)
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        try:
            output = cluster.communicate(timeout=30)[0].decode()
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            output = cluster.communicate()[0].decode()
    return finished, output


def processes_with_env(name: str, value: str) -> list[int]:
    """Pids of the live processes whose environment has `name=value` (e.g. a test's SQLITE_PATH):
    what is left of the processes a test started, whatever their session or name."""
    wanted = f"{name}={value}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if wanted in (entry / "environ").read_bytes().split(b"\0"):
                status = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if status != "Z":
                    pids.append(int(entry.name))
        except OSError:
            continue
    return pids
