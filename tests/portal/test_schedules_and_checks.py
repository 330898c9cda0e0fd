"""Schedules declared in code sync idempotently; misconfigured Q_CLUSTER is rejected at check time."""

import os
import secrets
import subprocess
import sys
from pydoc import locate

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from portal.checks import check_q_cluster
from portal.schedules import declared_schedules, sync_schedules


def test_sync_schedules_twice_gives_one_row_per_schedule(db):
    specs = declared_schedules()
    assert "portal.dispatch_notifications" in {s.name for s in specs}
    call_command("sync_schedules")
    call_command("sync_schedules")
    assert Schedule.objects.count() == len(specs)
    for spec in specs:
        assert Schedule.objects.filter(name=spec.name).count() == 1


def test_sync_repairs_a_schedule_changed_by_hand(db):
    sync_schedules()
    Schedule.objects.filter(name="portal.dispatch_notifications").update(minutes=99, func="x.y")
    assert sync_schedules()["portal.dispatch_notifications"] == "updated"
    schedule = Schedule.objects.get(name="portal.dispatch_notifications")
    assert (schedule.minutes, schedule.func) == (1, "portal.tasks.dispatch_notifications")


def test_every_scheduled_function_imports():
    for spec in declared_schedules():
        assert callable(locate(spec.func)), spec.func


def test_q_cluster_check_accepts_the_settings():
    assert check_q_cluster(None) == []


@pytest.mark.parametrize(
    ("change", "error_id"),
    [
        ({"timout": 10}, "portal.E002"),  # a typo is an unknown key
        ({"timeout": 300, "retry": 300}, "portal.E004"),
        ({"timeout": 400, "retry": 300}, "portal.E004"),
        ({"catch_up": True}, "portal.E005"),
    ],
)
def test_q_cluster_check_rejects_misconfiguration(settings, change, error_id):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, **change}
    assert error_id in {error.id for error in check_q_cluster(None)}


def test_check_deploy_passes_with_production_values(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "portal.example.com",
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_secret_key(tmp_path):
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "", "ALLOWED_HOSTS": "x"}
    result = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_planner_statistics_exist_after_migrate(db):
    from django.db import connection

    from portal.database import optimize

    if connection.vendor != "sqlite":
        assert optimize() == "skipped: not SQLite"
        return
    assert optimize() == "optimized"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert cursor.fetchone()[0] == 1  # ANALYZE ran after the test database was migrated
