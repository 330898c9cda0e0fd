"""Buyer chat messages written before `human_response_at`/`human_response_seconds` existed
(0006): the answer by a person, found the way tickets/responses.py finds it live.

A buyer message is answered by the first public reply from a person at or after it: an agent's chat
message, or a public reply in the portal by a user that was not automatic. History gets calendar
seconds (the live rule uses business time on the ticket's SLA calendar; the calendars of the past
are not replayed here), so an old answer across a night or a weekend may count as slower than it
did. Batched per group of tickets: three reads and one bulk update per batch.
"""

from bisect import bisect_left

from django.db import migrations

BATCH = 500


def fill_human_response(apps, schema_editor):
    ChatMessage = apps.get_model("tickets", "ChatMessage")
    TimelineEntry = apps.get_model("tickets", "TimelineEntry")
    waiting = ChatMessage.objects.filter(sender="buyer", human_response_at__isnull=True)
    ticket_ids = sorted(set(waiting.values_list("ticket_id", flat=True)))
    for i in range(0, len(ticket_ids), BATCH):
        batch = ticket_ids[i:i + BATCH]
        replies = {}
        for ticket_id, at in ChatMessage.objects.filter(ticket_id__in=batch, sender="agent").values_list(
                "ticket_id", "sent_at"):
            replies.setdefault(ticket_id, []).append(at)
        for ticket_id, at, data in TimelineEntry.objects.filter(
                ticket_id__in=batch, kind="reply", visibility="public", actor__isnull=False).values_list(
                "ticket_id", "at", "data"):
            if not (isinstance(data, dict) and data.get("automatic")):
                replies.setdefault(ticket_id, []).append(at)
        for times in replies.values():
            times.sort()
        answered = []
        for message in waiting.filter(ticket_id__in=list(replies)).only("id", "ticket_id", "sent_at"):
            times = replies[message.ticket_id]
            index = bisect_left(times, message.sent_at)
            if index == len(times):
                continue  # no person answered it (yet)
            message.human_response_at = times[index]
            message.human_response_seconds = (times[index] - message.sent_at).total_seconds()
            answered.append(message)
        ChatMessage.objects.bulk_update(answered, ["human_response_at", "human_response_seconds"], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0007_participants_assign_on_reply"),
    ]

    operations = [
        migrations.RunPython(fill_human_response, migrations.RunPython.noop),
    ]
