from rest_framework import serializers

from portal.models import Notification, Store, Team


class StoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Store
        fields = ["id", "code", "name", "marketplace", "brand"]


class TeamSerializer(serializers.ModelSerializer):
    stores = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "kind", "parent", "stores"]


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "channel", "subject", "body", "link", "status", "created_at", "sent_at", "read_at"]
        read_only_fields = fields
