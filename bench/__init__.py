"""Benchmarks: `python manage.py bench NAME` runs `bench/NAME.py` on a fresh database of its own.

Not part of the installed package (pyproject's `packages.find` leaves `bench` out): benchmarks
run from a source checkout. Each benchmark module defines `add_arguments(parser)` and
`run(options, stdout)`; `harness.py` holds what they share (the fresh database, timing with
query counts, peak memory). Figures and how to read them: docs/benchmarks.md.
"""

# Every name here is a module of this package (tests/bench/test_command.py runs each at a tiny scale).
BENCHMARKS = ["tickets", "escalation", "logistics", "installation", "refunds", "scores", "training"]
