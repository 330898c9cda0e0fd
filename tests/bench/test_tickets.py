"""The tickets benchmark runs end to end on a small data set, and its pages keep their query budgets."""

import io

from bench import tickets as bench


def test_bench_seeds_measures_and_reports(db):
    out = io.StringIO()

    class Out:
        def write(self, text):
            out.write(text + "\n")

    rows = bench.run({"tickets": 300, "requests": 2, "seed": 7, "no_analyze": False}, Out())
    report = out.getvalue()
    assert "Seeded 3" in report and "queue page: my team's queue" in report
    by_label = {row[0]: row for row in rows}
    for label, _url, _median, queries, status, _target_ms, target_queries, _ok in rows:
        assert status == 200, label
        if target_queries:
            assert queries <= target_queries, (label, queries)
    # The query count does not depend on the page size.
    assert by_label["API list ?page_size=50"][3] == by_label["API list ?page_size=200"][3]
    assert by_label["queue page: all tickets"][3] == by_label["queue page: all, 100 per page"][3]
