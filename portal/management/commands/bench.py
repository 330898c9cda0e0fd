from importlib import import_module

from django.core.management.base import BaseCommand, CommandError


def _benchmarks() -> list[str]:
    try:
        from bench import BENCHMARKS
    except ImportError:  # an installed wheel: bench/ lives in the source checkout only
        return []
    return BENCHMARKS


class Command(BaseCommand):
    help = (
        "Run a benchmark (bench/<name>.py) on a fresh database of its own and print its figures: "
        "`bench tickets --tickets 100000`, `bench escalation --tickets 100000`, "
        "`bench logistics --events 1000000 --shipments 200000`, `bench installation --jobs 20000`, `bench refunds --requests 100000`, `bench scores`, `bench training`."
    )

    def add_arguments(self, parser):
        subparsers = parser.add_subparsers(dest="benchmark", required=True)
        for name in _benchmarks():
            module = import_module(f"bench.{name}")
            sub = subparsers.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
            sub.add_argument("--keep-database", metavar="PATH", help="SQLite: keep the benchmark database at PATH.")
            module.add_arguments(sub)

    def handle(self, *args, benchmark, keep_database=None, **options):
        if benchmark not in _benchmarks():
            raise CommandError("Benchmarks run from a source checkout (the bench/ package is not installed).")
        from django.conf import settings
        from django.test.utils import override_settings

        from bench.harness import fresh_database

        module = import_module(f"bench.{benchmark}")
        # Pages render without `collectstatic` having run (the local product's manifest storage needs it).
        storages = {**settings.STORAGES,
                    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
        with override_settings(STORAGES=storages), fresh_database(keep=keep_database) as name:
            self.stdout.write(f"Benchmark {benchmark} on a fresh database: {name}")
            module.run(options, self.stdout)
