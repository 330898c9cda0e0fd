"""Scores API serializers."""

from rest_framework import serializers

from portal.api.serializers import StrictCharField
from scores.models import OFFICIAL_FIGURES, OfficialScore


class OfficialFiguresInputSerializer(serializers.Serializer):
    """`{"store": code, "date": "YYYY-MM-DD", "figures": {name: number 0-5, ...}}`."""

    store = StrictCharField(max_length=40)
    date = serializers.DateField(input_formats=["%Y-%m-%d"])
    figures = serializers.JSONField()

    def validate_figures(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Give an object of figures.")
        if len(value) > len(OFFICIAL_FIGURES):
            raise serializers.ValidationError("Too many figures.")
        unknown = sorted(set(value) - set(OFFICIAL_FIGURES))
        if unknown:
            raise serializers.ValidationError(f"Unknown figures: {', '.join(unknown)[:200]}.")
        for name, number in value.items():
            if number is not None and (isinstance(number, bool) or not isinstance(number, int | float)):
                raise serializers.ValidationError(f"{name}: give a number or null.")
            if number is not None and not 0 <= number <= 5:
                raise serializers.ValidationError(f"{name}: figures are between 0 and 5.")
        if not any(number is not None for number in value.values()):
            raise serializers.ValidationError("Give at least one figure.")
        return value


class OfficialScoreSerializer(serializers.ModelSerializer):
    store = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = OfficialScore
        fields = ["store", "date", *OFFICIAL_FIGURES, "source", "recorded_at"]
        read_only_fields = fields
