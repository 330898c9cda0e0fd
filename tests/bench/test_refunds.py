"""The refund desk benchmark at a tiny scale: pages answer, their query counts do not grow with the
number of requests, one ingest batch releases every hold with a fixed number of queries."""

import random

from django.utils import timezone

from bench import refunds


class Lines(list):
    def write(self, text):
        self.append(text)


def test_pages_queries_do_not_grow_and_one_batch_releases_every_hold(db):
    # 60 requests at a tenth: every page has rows at both sizes.
    result = refunds.run({"requests": 600, "holds": 40, "repeat": 1, "seed": 3}, Lines())
    small, large = result["pages"][60], result["pages"][600]
    assert all(row[3] == 200 for row in small + large)
    assert [row[2] for row in small] == [row[2] for row in large]
    assert all(row[2] <= 15 for row in large)
    assert result["holds"]["released"] == 40 and result["holds"]["still_held"] == 0
    few = result["holds"]["queries"]
    more = refunds.release(400, rng=random.Random(1), now=timezone.now(), stdout=Lines())
    assert more["released"] == 400 and more["queries"] == few  # set-based: the same statements for 10x the parcels
    assert few <= 10
