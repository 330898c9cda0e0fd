"""Escalation API: policies with their levels (administrators), escalations and acknowledging.

- /api/v1/escalation-policies/: CRUD; a create or update with changed levels publishes a new
  ladder version (tickets in flight keep theirs). A policy that has published versions cannot
  be deleted (deactivate it instead).
- /api/v1/escalations/: escalations in the caller's scope (open ones by default, `state=all`),
  with who was notified over which channel and the delivery status;
  POST /api/v1/escalations/{id}/acknowledge/ takes ownership (recipients and the leads and
  managers above the ticket's team).
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from portal.api.fields import (
    RestrictedPrimaryKeyRelatedField,
    ScopedUserField,
    StrictCharField,
    StrictDateTimeField,
    StrictIntegerField,
)
from portal.api.filters import StrictFilterBackend
from portal.api.serializers import ModelSerializer
from portal.api.viewsets import RestrictedModelViewSet, RestrictedReadOnlyViewSet
from portal.formatting import person_name
from portal.integrations import STAFF_ONLY
from portal.models import Notification
from tickets.escalation.acknowledge import acknowledge
from tickets.escalation.ladders import latest_version, save_policy
from tickets.escalation.recipients import attach_deliveries
from tickets.filtersets import EscalationFilterSet
from tickets.models import (
    Category,
    Escalation,
    EscalationLevel,
    EscalationPolicy,
    Priority,
    Queue,
    RecipientRole,
    SLAPolicy,
)
from tickets.models.escalation import CHANNEL_VALUES

User = get_user_model()



class EscalationLevelSerializer(ModelSerializer):
    # Plain strings checked against the choices (enum components would duplicate the ticket's own).
    categories = serializers.ListField(child=StrictCharField(), required=False,
                                       help_text="Ticket categories; empty: all.")
    min_priority = StrictCharField(required=False, allow_blank=True, help_text="low, normal, high, urgent")
    raise_priority_to = StrictCharField(required=False, allow_blank=True,
                                              help_text="low, normal, high, urgent")
    recipient_roles = serializers.ListField(child=serializers.ChoiceField(choices=RecipientRole.choices),
                                            required=False)
    channels = serializers.ListField(child=serializers.ChoiceField(choices=CHANNEL_VALUES), allow_empty=False)
    reassign_queue = RestrictedPrimaryKeyRelatedField(queryset=Queue.objects.all(), required=False, allow_null=True)
    reassign_user = ScopedUserField(required=False, allow_null=True)
    users = ScopedUserField(many=True, required=False)

    class Meta:
        model = EscalationLevel
        fields = [
            "position", "name", "clock", "offset_minutes", "target_percent", "min_priority", "major_only",
            "categories", "recipient_roles", "users", "channels", "raise_priority_to", "mark_major",
            "reassign_queue", "reassign_user", "business_hours_only", "ack_window_minutes",
        ]

    def validate_categories(self, value):
        wrong = [item for item in value if item not in Category.values]
        if wrong:
            raise ValidationError(_("Unknown categories: %(wrong)s (use %(values)s).") % {
                "wrong": ", ".join(wrong), "values": ", ".join(Category.values)})
        return value

    def _priority(self, value):
        if value and value not in Priority.values:
            raise ValidationError(_("Use one of %(values)s.") % {"values": ", ".join(Priority.values)})
        return value

    def validate_min_priority(self, value):
        return self._priority(value)

    def validate_raise_priority_to(self, value):
        return self._priority(value)

    def validate(self, attrs):
        if (attrs.get("offset_minutes") is None) == (attrs.get("target_percent") is None):
            raise ValidationError({"offset_minutes": _("Give either offset_minutes or target_percent, not both.")})
        if attrs.get("reassign_queue") and attrs.get("reassign_user"):
            raise ValidationError({"reassign_user": _("Move to a queue or assign to a person, not both.")})
        return attrs


class EscalationPolicySerializer(ModelSerializer):
    levels = EscalationLevelSerializer(many=True, required=False)
    version = serializers.SerializerMethodField()
    queue = RestrictedPrimaryKeyRelatedField(queryset=Queue.objects.all(), required=False, allow_null=True)
    sla_policy = RestrictedPrimaryKeyRelatedField(queryset=SLAPolicy.objects.all(), required=False, allow_null=True)

    class Meta:
        model = EscalationPolicy
        fields = ["id", "name", "queue", "sla_policy", "is_active", "description", "levels", "version", "updated_at"]
        read_only_fields = ["updated_at"]

    def get_version(self, policy) -> int | None:
        latest = latest_version(policy)
        return latest.version if latest else None

    def validate_levels(self, levels):
        positions = [level["position"] for level in levels]
        if len(set(positions)) != len(positions):
            raise ValidationError(_("Two levels have the same position."))
        return levels

    def validate(self, attrs):
        queue = attrs.get("queue", getattr(self.instance, "queue", None))
        sla_policy = attrs.get("sla_policy", getattr(self.instance, "sla_policy", None))
        if queue and sla_policy:
            raise ValidationError({"sla_policy": _("Attach the policy to a queue or to an SLA policy, not both.")})
        return attrs

    def _save(self, policy, validated):
        levels = validated.pop("levels", None)
        for name, value in validated.items():
            setattr(policy, name, value)
        if levels is None:
            levels = [
                {**{name: getattr(level, name) for name in EscalationLevel.COPY_FIELDS},
                 "users": list(level.users.all())}
                for level in policy.levels.prefetch_related("users")
            ] if policy.pk else []
        try:
            save_policy(policy, levels, actor=self.context["request"].user, now=self.context["now"])
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc
        return policy

    def create(self, validated):
        return self._save(EscalationPolicy(), validated)

    def update(self, instance, validated):
        return self._save(instance, validated)


class EscalationPolicyViewSet(RestrictedModelViewSet):
    queryset = EscalationPolicy.objects.prefetch_related("levels", "levels__users").order_by("name")
    serializer_class = EscalationPolicySerializer
    integration_kind = STAFF_ONLY

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def perform_destroy(self, instance):
        if instance.versions.exists():
            raise ValidationError({"detail": _("This policy has published versions that tickets may run on; "
                                               "deactivate it instead.")})
        instance.delete()


class NotifiedSerializer(serializers.ModelSerializer):
    recipient_name = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "recipient", "recipient_name", "channel", "status", "sent_at"]
        read_only_fields = fields

    def get_recipient_name(self, notification) -> str | None:
        return person_name(notification.recipient, None)


class EscalationSerializer(serializers.ModelSerializer):
    ticket_subject = StrictCharField(source="ticket.subject", read_only=True)
    level = StrictIntegerField(source="level.position", read_only=True)
    level_name = StrictCharField(source="level.name", read_only=True)
    policy = StrictCharField(source="level.ladder.policy.name", read_only=True)
    ladder_version = StrictIntegerField(source="level.ladder.version", read_only=True)
    trigger_at = StrictDateTimeField(read_only=True)
    sweep = serializers.UUIDField(source="sweep.uuid", read_only=True)
    team = StrictIntegerField(source="queue.team_id", read_only=True, allow_null=True)
    acknowledged_by_name = serializers.SerializerMethodField()
    notified = serializers.SerializerMethodField()

    class Meta:
        model = Escalation
        fields = [
            "id", "ticket", "ticket_subject", "level", "level_name", "policy", "ladder_version", "cycle",
            "clock_due", "trigger_at", "fired_at", "sweep", "queue", "team", "assignee", "acknowledged_by",
            "acknowledged_by_name", "acknowledged_at", "hold_until", "notified",
        ]
        read_only_fields = fields

    def get_acknowledged_by_name(self, escalation) -> str | None:
        return person_name(escalation.acknowledged_by, None)

    def get_notified(self, escalation) -> list[dict]:
        if not hasattr(escalation, "notified"):
            attach_deliveries([escalation])
        return NotifiedSerializer(escalation.notified, many=True).data


class EscalationViewSet(RestrictedReadOnlyViewSet):
    """Escalations in the caller's scope; executives see those that reached them."""

    queryset = Escalation.objects.with_related().order_by("-fired_at", "-id")
    serializer_class = EscalationSerializer
    filter_backends = [StrictFilterBackend]
    filterset_class = EscalationFilterSet
    integration_kind = STAFF_ONLY

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            attach_deliveries(page)
        return page

    @action(detail=True, methods=["post"], permission_action="acknowledge")
    def acknowledge(self, request, pk=None):
        escalation = self.get_object()
        with transaction.atomic():
            acknowledge(escalation, actor=request.user, now=timezone.now())
        fresh = self.get_serializer(Escalation.objects.with_related().get(pk=escalation.pk))
        return Response(fresh.data, status=status.HTTP_200_OK)
