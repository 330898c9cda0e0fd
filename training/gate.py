"""The queue gate: a queue may require a certification before a ticket in it is assigned to someone.

`refusals(queue, user_ids, now=...)` is the assignment guard training registers in
`portal.registry`; every assignment path of the tickets app asks it through
`tickets.services.check_assignable` (and round-robin through `next_round_robin_assignee`, which
skips the refused). Two queries per call whatever the number of users: the queue's gate, and the
certifications valid at `now` among them.
"""

from django.utils.translation import gettext as _

from training.models import Certification, QueueGate, valid_q


def refusals(queue, user_ids, *, now) -> dict[int, str]:
    """`{user_id: reason}` for the users without a certification valid at `now` that the queue requires."""
    gate = QueueGate.objects.filter(queue_id=getattr(queue, "pk", queue)).select_related("requirement").first()
    if gate is None:
        return {}
    certified = set(Certification.objects.filter(valid_q(now), requirement_id=gate.requirement_id,
                                                 agent_id__in=list(user_ids)).values_list("agent_id", flat=True))
    reason = _("Queue %(queue)s requires the certification %(code)s %(name)s, which this person does not hold "
               "(or it has expired).") % {"queue": getattr(queue, "name", queue), "code": gate.requirement.code,
                                          "name": gate.requirement.name}
    return {user_id: reason for user_id in user_ids if user_id not in certified}
