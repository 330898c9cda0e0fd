"""The installation benchmark: the SLA scan's query count does not grow with the number of jobs."""

from bench import installation


class Lines(list):
    def write(self, text):
        self.append(text)


def test_scan_queries_are_the_same_at_a_tenth_and_at_all_the_jobs(db):
    rows = installation.run({"jobs": 300, "seed": 5}, Lines())
    (small, first_small, again_small), (large, first_large, again_large) = [
        (rows[i][0], rows[i], rows[i + 1]) for i in (0, 2)]
    assert (small, large) == (30, 300)
    assert first_small[4]["opened"] > 0 and first_large[4]["opened"] > 0  # new jobs past their SLA
    assert again_small[4]["opened"] == again_large[4]["opened"] == 0  # nothing raised twice
    assert first_small[3] == first_large[3] and again_small[3] == again_large[3]
    assert first_small[4]["notified"] == 6  # one message per coordinator
