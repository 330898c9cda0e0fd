from importlib import import_module
from importlib.util import find_spec

from django.core.management.base import BaseCommand, CommandError

from portal.bench import fresh_database

BENCHMARKS = ["tickets", "escalation", "logistics", "installations"]


def _module(name):
    """`tickets` -> tickets.bench, `escalation` -> tickets.bench_escalation, etc. (first that exists)."""
    for candidate in (f"{name}.bench", f"tickets.bench_{name}", f"logistics.bench_{name}"):
        if find_spec(candidate.split(".")[0]) and find_spec(candidate):
            return import_module(candidate)
    raise CommandError(f"No benchmark named {name!r}.")


class Command(BaseCommand):
    help = (
        "Run a benchmark on a fresh database of its own and print its figures: "
        "`bench tickets --tickets 100000`, `bench escalation --tickets 100000`, "
        "`bench logistics --events 1000000 --shipments 200000`."
    )

    def add_arguments(self, parser):
        subparsers = parser.add_subparsers(dest="benchmark", required=True)
        for name in BENCHMARKS:
            try:
                module = _module(name)
            except CommandError:
                continue
            sub = subparsers.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else "")
            sub.add_argument("--keep-database", metavar="PATH", help="SQLite: keep the benchmark database at PATH.")
            module.add_arguments(sub)

    def handle(self, *args, benchmark, keep_database=None, **options):
        module = _module(benchmark)
        with fresh_database(keep=keep_database) as name:
            self.stdout.write(f"Benchmark {benchmark} on a fresh database: {name}")
            module.run(options, self.stdout)
