"""The training demo: five cases made from the demo's difficult tickets with their personal data
scrubbed, attempts and assignments in every state, two certifications, one gated queue; idempotent."""

import json

from django.core.management import call_command

from tickets.models import Ticket
from training.models import Assignment, Attempt, CertificationRequirement, QueueGate, Scenario


class Null:
    def write(self, text):
        pass

    def flush(self):
        pass


def test_the_demo_has_every_state_and_no_personal_data_in_its_cases(db):
    call_command("load_demo", stdout=Null())
    call_command("load_demo", stdout=Null())  # idempotent
    scenarios = list(Scenario.objects.all())
    assert len(scenarios) == 5
    titles = " ".join(s.title for s in scenarios)
    assert "E-bike battery dispute (contested refund)" in titles and "E-bike battery swelling" in titles
    assert "moving day" in titles and "Installation damage" in titles
    sources = Ticket.objects.filter(pk__in=[s.source_ticket_id for s in scenarios])
    assert sources.count() == 5
    text = json.dumps([s.turns for s in scenarios], ensure_ascii=False) + " ".join(s.context for s in scenarios)
    for ticket in sources:
        for value in (ticket.buyer_nick, ticket.customer_phone, ticket.order_no):
            assert not value or value not in text, value
    for secret in ("13912345678", "13822226666", "文三路100号", "SF1400000001717", "王先生"):
        assert secret not in text
    assert set(Attempt.objects.values_list("status", flat=True)) == {"in_progress", "submitted", "graded"}
    assert set(Attempt.objects.filter(status="graded").values_list("passed", flat=True)) == {True, False}
    assert set(Assignment.objects.values_list("status", flat=True)) == {"pending", "in_progress", "completed",
                                                                        "overdue"}
    assert CertificationRequirement.objects.count() == 2
    gate = QueueGate.objects.get()
    assert gate.queue.name == "电动车客服" and gate.requirement.code == "ebike-battery"
