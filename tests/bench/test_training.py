"""The training benchmark at a tiny scale: the compliance table and the candidates list issue the same
number of queries at a tenth and at all of the data, within the target."""

from bench import training


class Lines(list):
    def write(self, text):
        self.append(text)


def test_compliance_and_candidates_queries_are_constant_in_the_data_size(db):
    out = Lines()
    rows = training.run({"agents": 120, "certs": 4, "tickets": 600, "repeat": 1, "seed": 3}, out)
    small, large = rows[:3], rows[3:]
    assert [r[2] for r in large] == ["compliance page", "compliance API", "candidates page"]
    assert [(r[0], r[1]) for r in small] == [(12, 60)] * 3 and [(r[0], r[1]) for r in large] == [(120, 600)] * 3
    assert [r[4] for r in small] == [r[4] for r in large]
    assert all(r[4] <= training.TARGET_QUERIES for r in large)
    assert any("Queries constant in the data size: yes" in line for line in out)
