"""Imports run one way and never in circles.

The contracts live in pyproject.toml (`[tool.importlinter]`) and are checked by import-linter,
which reads every import, including those inside functions:
- apps are layered: portal <- tickets <- logistics <- installation <- refunds <- (scores, training),
  scores and training independent of each other; a lower app never imports a higher one;
- inside each app, sibling modules and packages never import each other in a circle.
"""

import os
import random
import subprocess
import sys
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]
APPS = ("portal", "tickets", "logistics", "installation", "refunds", "scores", "training")


def test_import_contracts_hold():
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def app_modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" not in parts:
                yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


IMPORT_ALL = """
import importlib, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
import django
django.setup()
for name in sys.argv[1:]:
    importlib.import_module(name)
"""


def test_every_module_imports_in_any_order():
    """Fresh interpreters import every module of every app in three shuffled orders: no module
    depends on another having been imported before it."""
    modules = list(app_modules())
    assert len(modules) > 100
    for seed in (1, 2, 3):
        order = modules[:]
        random.Random(seed).shuffle(order)
        result = subprocess.run([sys.executable, "-c", IMPORT_ALL, *order], cwd=ROOT, capture_output=True,
                                text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert result.returncode == 0, result.stderr[-3000:]
