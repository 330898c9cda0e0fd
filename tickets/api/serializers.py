"""Ticket API serializers: output shapes (PII masked, `portal.pii`), inputs of create/update/actions,
and the chat-ingestion payload."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.api.fields import (
    RestrictedPrimaryKeyRelatedField,
    RestrictedSlugRelatedField,
    ScopedUserField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    in_year_range,
)
from portal.api.serializers import PiiFieldsMixin
from portal.formatting import person_name
from portal.models import Store, Team
from portal.permissions import restrict
from portal.validators import normalize_phone, validate_phone
from tickets import chat
from tickets.models import Category, Macro, Priority, Queue, Ticket, TimelineEntry
from tickets.services import EDITABLE_FIELDS, MANUAL_STATUSES, MAX_REPLY_LENGTH, SEND_STATUSES


def manual_status_choices():
    """The statuses a person may set by hand (also names the API enum in settings)."""
    return [(s, Ticket.Status(s).label) for s in MANUAL_STATUSES]


User = get_user_model()



class TimelineEntrySerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = TimelineEntry
        fields = ["id", "kind", "actor", "actor_name", "at", "visibility", "body", "data", "handling_seconds"]
        read_only_fields = fields

    def get_actor_name(self, entry) -> str | None:
        return person_name(entry.actor, None)


class TicketSerializer(PiiFieldsMixin, serializers.ModelSerializer):
    """A ticket as lists show it. Phone and address are masked (`portal.pii`); who may see them
    asks `POST /api/v1/pii/reveal/`."""

    store = serializers.SlugRelatedField(slug_field="code", read_only=True)
    queue_name = StrictCharField(source="queue.name", read_only=True)
    team = StrictIntegerField(source="queue.team_id", read_only=True)
    assignee_name = serializers.SerializerMethodField()
    clock_paused = serializers.SerializerMethodField()
    breached = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id", "store", "order_no", "buyer_nick", "customer_phone", "customer_address", "subject", "channel",
            "category", "priority", "is_major", "queue", "queue_name", "team", "assignee", "assignee_name", "status",
            "sla_policy", "sla_cycle", "first_response_due", "resolution_due", "first_response_at",
            "first_response_minutes", "resolved_at", "closed_at", "clock_paused", "breached", "sla_breached",
            "rating", "rating_comment", "previous_ticket", "merged_into", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_assignee_name(self, ticket) -> str | None:
        return person_name(ticket.assignee, None)

    def get_clock_paused(self, ticket) -> bool:
        return ticket.is_paused

    def get_breached(self, ticket) -> bool:
        return ticket.is_breached(self.context["now"])


class TicketDetailSerializer(TicketSerializer):
    timeline = TimelineEntrySerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = TicketSerializer.Meta.fields + [
            "first_response_target", "resolution_target", "first_response_breached", "resolution_breached",
            "first_resolved_at", "rated_at", "timeline",
        ]
        read_only_fields = fields


class TeamQueueField(RestrictedPrimaryKeyRelatedField):
    """A queue of a team in the caller's scope (the queue directory itself is visible to all)."""

    def narrow(self, queryset, user):
        return queryset.filter(team__in=restrict(Team.objects.all(), user, "view"))


class TicketCreateSerializer(serializers.Serializer):
    store = RestrictedSlugRelatedField(slug_field="code", queryset=Store.objects.all())
    channel = serializers.ChoiceField(choices=Ticket.Channel.choices, default=Ticket.Channel.PHONE)
    queue = TeamQueueField(queryset=Queue.objects.all(), required=False, allow_null=True)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    is_major = StrictBooleanField(required=False, allow_null=True, default=None)
    order_no = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
    buyer_nick = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    customer_phone = StrictCharField(max_length=30, required=False, allow_blank=True, default="",
                                     validators=[validate_phone])
    customer_address = StrictCharField(max_length=300, required=False, allow_blank=True, default="")
    subject = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    description = StrictCharField(max_length=10000, required=False, allow_blank=True, default="")
    assignee = ScopedUserField(required=False, allow_null=True)

    def validate(self, attrs):
        if not (attrs.get("subject") or attrs.get("description")):
            raise serializers.ValidationError({"description": [_("Describe the issue (subject or description).")]})
        return attrs


class TicketUpdateSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    is_major = StrictBooleanField(required=False)
    order_no = StrictCharField(max_length=64, required=False, allow_blank=True)
    buyer_nick = StrictCharField(max_length=100, required=False, allow_blank=True)
    customer_phone = StrictCharField(max_length=30, required=False, allow_blank=True,
                                     validators=[validate_phone])
    customer_address = StrictCharField(max_length=300, required=False, allow_blank=True)
    subject = StrictCharField(max_length=200, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=manual_status_choices(), required=False)

    def validate_customer_phone(self, value):
        return normalize_phone(value)

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError({f: [_("This field cannot be changed here.")] for f in sorted(unknown)})
        if not attrs:
            raise serializers.ValidationError({"non_field_errors": [_("Nothing to change.")]})
        assert set(attrs) - {"status"} <= set(EDITABLE_FIELDS)
        return attrs


class HandlingMixin(serializers.Serializer):
    handling_seconds = StrictIntegerField(min_value=0, max_value=24 * 3600, required=False, allow_null=True)


class ReplySerializer(HandlingMixin):
    """A public reply. A macro without `body` sends the macro's text filled in for the ticket (as
    the composer inserts it); with `body`, the body is the text (the macro is recorded)."""

    body = StrictCharField(max_length=MAX_REPLY_LENGTH, required=False, allow_blank=True, default="")
    macro = RestrictedPrimaryKeyRelatedField(queryset=Macro.objects.filter(is_active=True), required=False,
                                             allow_null=True)
    status = serializers.ChoiceField(choices=[(s, Ticket.Status(s).label) for s in SEND_STATUSES], required=False)

    def validate(self, attrs):
        if not attrs.get("body", "").strip() and not attrs.get("macro"):
            raise serializers.ValidationError({"body": [_("Write the reply or choose a macro.")]})
        return attrs


class NoteSerializer(HandlingMixin):
    body = StrictCharField(max_length=MAX_REPLY_LENGTH)


class AssignSerializer(serializers.Serializer):
    assignee = ScopedUserField(required=False, allow_null=True)
    round_robin = StrictBooleanField(required=False, default=False)

    def validate(self, attrs):
        if "assignee" not in attrs and not attrs["round_robin"]:
            raise serializers.ValidationError({"assignee": [_("Choose the assignee, or round_robin.")]})
        if attrs.get("assignee") is not None and attrs["round_robin"]:
            raise serializers.ValidationError({"round_robin": [_("Either an assignee or round_robin, not both.")]})
        return attrs


class TransferSerializer(serializers.Serializer):
    queue = serializers.PrimaryKeyRelatedField(queryset=Queue.objects.all(), required=False, allow_null=True)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    round_robin = StrictBooleanField(required=False, default=False)
    note = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if not attrs.get("queue") and not attrs.get("team"):
            raise serializers.ValidationError({"queue": [_("Choose the queue or team to transfer to.")]})
        if attrs.get("queue") and attrs.get("team") and attrs["queue"].team_id != attrs["team"].pk:
            raise serializers.ValidationError({"team": [_("The queue belongs to another team.")]})
        return attrs


class ResolveSerializer(HandlingMixin):
    note = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")


class ReopenSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")


class RateSerializer(serializers.Serializer):
    rating = StrictIntegerField(min_value=1, max_value=5)
    comment = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class MergeSerializer(serializers.Serializer):
    into = StrictIntegerField()


class RatingResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = ["id", "status", "rating", "rating_comment", "rated_at"]
        read_only_fields = fields


class QueueSerializer(serializers.ModelSerializer):
    class Meta:
        model = Queue
        fields = ["id", "name", "team", "is_default"]
        read_only_fields = fields


class MacroSerializer(serializers.ModelSerializer):
    class Meta:
        model = Macro
        fields = ["id", "name", "body", "queue", "team"]
        read_only_fields = fields


# --- Chat ingestion ---------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.DATETIME)
class OffsetDateTimeField(serializers.Field):
    """ISO 8601 with an explicit UTC offset; naive or unparsable values are refused."""

    default_error_messages = {
        "invalid": _("Give an ISO 8601 date and time with a UTC offset, e.g. 2026-03-02T10:00:00+08:00."),
        "future": _("This time is in the future."),
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            value = parse_datetime(data.strip())
        except ValueError:
            value = None
        if value is None or value.tzinfo is None or value.utcoffset() is None or not in_year_range(value):
            self.fail("invalid")
        now = self.context.get("now")
        if now is not None and value > now + timedelta(minutes=5):
            self.fail("future")
        return value

    def to_representation(self, value):
        return value.isoformat()


class ChatMessageInSerializer(serializers.Serializer):
    id = StrictCharField(max_length=100)
    sent_at = OffsetDateTimeField()
    sender = serializers.ChoiceField(choices=["buyer", "agent", "bot"])
    text = StrictCharField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].max_length = chat.limits()["max_text"]
        from django.core.validators import MaxLengthValidator

        self.fields["text"].validators.append(MaxLengthValidator(chat.limits()["max_text"]))


class StoreCodeField(RestrictedSlugRelatedField):
    default_error_messages = {
        "does_not_exist": _("Unknown store “{value}”."),
        "invalid": _("Give the store code."),
    }


class ChatConversationSerializer(serializers.Serializer):
    store = StoreCodeField(slug_field="code", queryset=Store.objects.all())
    conversation_id = StrictCharField(max_length=100)
    buyer_nick = StrictCharField(max_length=100)
    order_no = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
    messages = ChatMessageInSerializer(many=True, allow_empty=False)

    def to_internal_value(self, data):
        # Refuse an oversize list before validating each of its messages.
        limit = chat.limits()["max_messages"]
        messages = data.get("messages") if isinstance(data, dict) else None
        if isinstance(messages, list) and len(messages) > limit:
            raise serializers.ValidationError(
                {"messages": [_("At most %(n)d messages per post.") % {"n": limit}]}
            )
        return super().to_internal_value(data)

    def validate_messages(self, messages):
        seen = set()
        for message in messages:
            if message["id"] in seen:
                raise serializers.ValidationError(_("Message id “%(id)s” appears twice.") % {"id": message["id"]})
            seen.add(message["id"])
        return messages

    def incoming(self):
        return [
            chat.IncomingMessage(id=m["id"], sent_at=m["sent_at"], sender=m["sender"], text=m["text"])
            for m in self.validated_data["messages"]
        ]


class ChatResultSerializer(serializers.ModelSerializer):
    store = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id", "status", "queue", "category", "priority", "is_major", "store", "first_response_due",
            "resolution_due", "previous_ticket",
        ]
        read_only_fields = fields
