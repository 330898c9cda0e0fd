"""The refund desk demo: every state, and the e-bike battery dispute's complete evidence pack."""

from django.utils import timezone

from refunds.models import EvidenceFile, RefundEvent, RefundRequest


def test_demo_has_requests_in_every_state_and_a_complete_battery_dispute(demo, carrier):
    from installation.demo import load_demo as installation_demo
    from logistics.demo import load_demo as logistics_demo
    from refunds.demo import load_demo
    from tickets.demo import load_demo as tickets_demo

    now = timezone.now()
    tickets_demo(now=now)
    logistics_demo(now=now)
    installation_demo(now=now)
    load_demo(now=now)
    statuses = set(RefundRequest.objects.values_list("status", flat=True))
    assert statuses == set(RefundRequest.Status.values)
    assert RefundRequest.objects.count() >= 24
    battery = RefundRequest.objects.get(order_no="D-BIKE-0002")
    assert battery.status == "disputed"
    assert battery.rule.code == "ebike-battery-idle"
    assert {e.kind for e in battery.evidence.all()} >= {"photo", "battery_log", "chat_screenshot"}
    assert battery.ticket.chat_messages.count() == 4
    assert battery.goods_received_via == "parcel"
    before = (RefundRequest.objects.count(), RefundEvent.objects.count(), EvidenceFile.objects.count())
    load_demo(now=now)  # idempotent: a second load adds nothing
    assert (RefundRequest.objects.count(), RefundEvent.objects.count(), EvidenceFile.objects.count()) == before
