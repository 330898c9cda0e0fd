"""`manage.py bench NAME`: the listed benchmarks are exactly bench/'s modules, and each runs end to end."""

import os
import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from setuptools import find_packages

import bench
from bench import BENCHMARKS

ROOT = Path(__file__).resolve().parents[2]

# Each benchmark at a tiny scale, and a line its report must contain.
TINY = {
    "tickets": (["--tickets", "40", "--requests", "1"], r"queue page: all tickets\s+[\d.]+\s+15 "),
    "escalation": (["--tickets", "200"], r"Second sweep:\s+\d+ ms\s+queries\s+\d+\s+fired\s+0 "),
    "logistics": (["--events", "2000", "--shipments", "400", "--api-events", "500"],
                  r"File import: 2,000 events added \(400 parcels created, 0 rejected\)"),
    "installation": (["--jobs", "200"], r"Queries constant in the number of jobs: yes"),
    "refunds": (["--requests", "600", "--holds", "50", "--repeat", "1"],  # 60 at a tenth: no page empty
                r"Queries constant in the number of requests: yes"),
    "training": (["--agents", "60", "--certs", "3", "--tickets", "400", "--repeat", "1"],
                 r"Queries constant in the data size: yes"),
    "scores": (["--parcels", "300", "--tickets", "200", "--jobs", "50", "--refunds", "30", "--repeat", "1",
                "--backfill-days", "2"], r"Snapshot queries constant in the data size: yes"),
}


def test_the_listed_benchmarks_are_exactly_the_modules_of_bench():
    modules = {module.name for module in pkgutil.iter_modules(bench.__path__)} - {"harness"}
    assert sorted(BENCHMARKS) == sorted(modules) == sorted(TINY)


def test_an_unknown_benchmark_is_refused():
    with pytest.raises(CommandError, match="invalid choice: 'installations'"):
        call_command("bench", "installations")


def test_bench_is_left_out_of_the_installed_package():
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = find_packages(where=str(ROOT), include=include)
    assert "portal" in packages and "logistics" in packages
    assert not [name for name in packages if name.split(".")[0] in ("bench", "tests")]


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_listed_benchmark_runs_through_manage_py(name):
    """The real entry point, in a process of its own: a fresh database (SQLite file, or a scratch
    PostgreSQL database with DATABASE_URL), the benchmark at a tiny scale, its report."""
    arguments, expected = TINY[name]
    result = subprocess.run(
        [sys.executable, "manage.py", "bench", name, *arguments], cwd=ROOT, capture_output=True, text=True,
        timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"Benchmark {name} on a fresh database" in result.stdout
    assert re.search(expected, result.stdout), result.stdout[-3000:]
