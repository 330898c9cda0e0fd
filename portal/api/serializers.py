from django.db import models
from rest_framework import serializers

from portal import pii
from portal.api.fields import (
    RestrictedPrimaryKeyRelatedField,
    StrictBooleanField,
    StrictCharField,
    StrictDateTimeField,
    StrictIntegerField,
    StrictSlugField,
)
from portal.models import Notification, Store, Team


class PiiFieldsMixin:
    """For a model with PII (`portal.pii`): each PII field of the payload carries the masked value;
    an integration client the rule lets see it gets the value, audited by the base viewset. Callers
    who may see it ask `POST /api/v1/pii/reveal/` for one value at a time."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        for field in pii.pii_fields(type(instance)):
            if field in data:
                data[field] = pii.payload_value(request, instance, field)
        return data


class ModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose generated fields are the strict ones (portal.api.fields)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **{field: StrictCharField for field in (models.CharField, models.TextField)},
        **{field: StrictIntegerField for field in (models.IntegerField, models.PositiveIntegerField,
                                                     models.PositiveSmallIntegerField, models.SmallIntegerField,
                                                     models.BigIntegerField, models.PositiveBigIntegerField)},
        models.BooleanField: StrictBooleanField,
        models.SlugField: StrictSlugField,
        models.DateTimeField: StrictDateTimeField,
    }


__all__ = ["ModelSerializer", "StrictBooleanField", "StrictCharField", "StrictDateTimeField", "StrictIntegerField"]


class StoreSerializer(ModelSerializer):
    class Meta:
        model = Store
        fields = ["id", "code", "name", "marketplace", "brand"]


class TeamSerializer(ModelSerializer):
    stores = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    parent = RestrictedPrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Team
        fields = ["id", "name", "kind", "parent", "stores"]


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "channel", "subject", "body", "link", "status", "created_at", "sent_at", "read_at"]
        read_only_fields = fields


class PiiRevealSerializer(serializers.Serializer):
    object = StrictCharField(max_length=100, help_text='The model as "app_label.model", e.g. "tickets.ticket".')
    id = StrictIntegerField(min_value=1)
    field = StrictCharField(max_length=60, help_text='A personal-data field of that model, e.g. "customer_phone".')


class PiiValueSerializer(serializers.Serializer):
    value = StrictCharField()
