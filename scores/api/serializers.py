"""Scores API serializers."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from portal.api.fields import RestrictedSlugRelatedField, StrictDateField
from portal.models import Store
from scores.models import OFFICIAL_FIGURES, OfficialScore
from scores.services import clean_figures, official_date_error


class OfficialFiguresInputSerializer(serializers.Serializer):
    """`{"store": code, "date": "YYYY-MM-DD", "figures": {name: number 0-5 or null, ...}}`."""

    store = RestrictedSlugRelatedField(slug_field="code", queryset=Store.objects.all())
    date = StrictDateField()
    figures = serializers.JSONField()

    def validate_date(self, value):
        error = official_date_error(value, now=timezone.now())
        if error:
            raise serializers.ValidationError(error)
        return value

    def validate_figures(self, value):
        """The service's one rule (`clean_figures`), JSON numbers only (no text such as "4.8")."""
        if isinstance(value, dict):
            texts = sorted(str(name) for name, number in value.items() if isinstance(number, str))
            if texts:
                raise serializers.ValidationError(_("Give numbers, not text: %(names)s.") % {
                    "names": ", ".join(texts)[:200]})
        try:
            return clean_figures(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError([
                " ".join(messages) if name == "figures" else f"{name}: {' '.join(messages)}"
                for name, messages in error.message_dict.items()]) from None


class OfficialScoreSerializer(serializers.ModelSerializer):
    store = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = OfficialScore
        fields = ["store", "date", *OFFICIAL_FIGURES, "source", "recorded_at"]
        read_only_fields = fields
