"""Queues: the lines of work each team owns, and the round-robin order of their members."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Team


class Queue(models.Model):
    """A line of work owned by one team; every ticket sits in one queue."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="queues")
    is_default = models.BooleanField(
        _("default queue of its team"), default=False,
        help_text=_("Routing puts tickets here when no rule names a queue; transfers to the team land here."),
    )
    assign_on_reply = models.BooleanField(
        _("a reply takes the ticket"), default=True,
        help_text=_("A public reply to an unassigned ticket of this queue assigns it to the one who replied."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")

    def __str__(self):
        return self.name


class QueueRotation(models.Model):
    """When a member last got a ticket in a queue: the round-robin order."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="rotation")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_assigned_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["queue", "user"], name="unique_queue_rotation")]

    def __str__(self):
        return f"{self.queue_id}/{self.user_id}: {self.last_assigned_at}"
