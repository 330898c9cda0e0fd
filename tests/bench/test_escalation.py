"""The escalation benchmark runs end to end on a small data set and reports what the issue asks for."""

import re

from bench import escalation as bench_escalation


class Lines(list):
    def write(self, text):
        self.append(text)


def test_bench_escalation_reports_both_sweeps_and_memory(transactional_db):
    out = Lines()
    bench_escalation.run({"tickets": 400, "seed": 3}, out)
    report = "\n".join(out)
    first = re.search(r"First sweep:\s+\d+ ms\s+queries\s+(\d+)\s+fired\s+(\d+)", report)
    second = re.search(r"Second sweep:\s+\d+ ms\s+queries\s+(\d+)\s+fired\s+(\d+)", report)
    assert first and second, report
    assert int(first.group(2)) > 0 and int(second.group(2)) == 0  # nothing fires twice
    assert int(second.group(1)) <= int(first.group(1))
    assert re.search(r"Peak memory: Python heap during the first sweep \d+ MB", report)
