"""The scores benchmark at a tiny scale: the snapshot's query count does not grow with the data."""

from bench import scores


class Lines(list):
    def write(self, text):
        self.append(text)


def test_snapshot_queries_are_the_same_at_a_tenth_and_at_all_the_data(db):
    figures = scores.run({"parcels": 600, "tickets": 300, "jobs": 100, "refunds": 50, "repeat": 1,
                          "backfill_days": 3, "seed": 3}, Lines())
    snapshot = figures["snapshot"]
    assert snapshot["queries"] == snapshot["tenth_queries"]
    assert figures["backfill"]["days"] == 3
    assert figures["executive"]["queries"] <= 20 and figures["manager"]["queries"] <= 20
    from scores.models import MetricSnapshot

    pickup = MetricSnapshot.objects.filter(metric="pickup_48h_rate").order_by("-date").first()
    assert pickup.sample > 100 and 0.5 < pickup.value < 1
    refund = MetricSnapshot.objects.filter(metric="refund_handling_hours").order_by("-date").first()
    assert refund.sample > 5 and refund.value is not None
