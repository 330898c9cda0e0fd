"""Refund desk API serializers: the marketplace's request (strictly typed, bounded), the request as
the API answers it, decisions, evidence files and rulings."""

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from logistics.api.serializers import choice
from portal.api.fields import RestrictedSlugRelatedField, StrictBooleanField
from portal.api.serializers import StrictCharField
from portal.models import Store
from portal.permissions import restrict
from refunds.models import (
    EvidenceFile,
    EvidenceKind,
    ReasonCode,
    RefundEvent,
    RefundRequest,
    ResponsibilityRule,
)
from tickets.api.serializers import OffsetDateTimeField

MAX_AMOUNT = Decimal("10000000")
# An amount as text: ASCII digits with an optional point (the schema's pattern); Decimal alone would
# also read "١٢" (Arabic-Indic digits) as 12 and "1E+2" as 100.
AMOUNT_TEXT = re.compile(r"-?[0-9]*\.?[0-9]*")


def choice_input(choices_class, **kwargs):
    """A choice field documented with an inline enum (`kind`, `status` and `decision` are names
    other apps' serializers use with other values: shared enum components would collide)."""

    @extend_schema_field({"type": "string", "enum": list(choices_class.values)})
    class ChoiceInput(serializers.ChoiceField):
        pass

    return ChoiceInput(choices=choices_class.choices, **kwargs)


def blank_choice(choices_class):
    """A read-only choice that is "" until set (a decision, a ruling, how the goods came back)."""

    @extend_schema_field({"type": "string", "enum": ["", *choices_class.values], "readOnly": True})
    class BlankChoice(serializers.ChoiceField):
        pass

    return BlankChoice(choices=[("", ""), *choices_class.choices], read_only=True)


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^-?\d{0,10}(?:\.\d{0,2})?$"})
class MoneyField(serializers.Field):
    """Yuan as a JSON string (or number) with at most 2 decimals, above zero; never a boolean."""

    default_error_messages = {
        "invalid": _("Give an amount in yuan, e.g. \"199.00\"."),
        "positive": _("The amount must be above zero."),
        "too_large": _("The amount is too large."),
    }

    def __init__(self, *, allow_zero=False, **kwargs):
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float) or (
                isinstance(data, str) and (len(data) > 20 or not AMOUNT_TEXT.fullmatch(data.strip()))):
            self.fail("invalid")
        try:
            value = Decimal(str(data).strip())
        except InvalidOperation:
            self.fail("invalid")
        if not value.is_finite() or value.as_tuple().exponent < -2:
            self.fail("invalid")
        if value < 0 or (value == 0 and not self.allow_zero):
            self.fail("positive")
        if value >= MAX_AMOUNT:
            self.fail("too_large")
        return value.quantize(Decimal("0.01"))

    def to_representation(self, value):
        return None if value is None else str(value)


@extend_schema_field(OpenApiTypes.STR)
class StoreCodeField(serializers.Field):
    """A store code resolved through the caller's scope: a store they may not act for is an
    unknown store, exactly as one that does not exist."""

    default_error_messages = {"unknown": _("Unknown store."), "invalid": _("Give the store's code.")}

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data.strip() or len(data) > 40:
            self.fail("invalid")
        request = self.context.get("request")
        store = restrict(Store.objects.filter(code=data.strip()), getattr(request, "user", None), "view").first()
        if store is None:
            self.fail("unknown")
        return store

    def to_representation(self, value):
        return value.code


class RefundRequestInSerializer(serializers.Serializer):
    """`POST /api/v1/refunds/`: the marketplace's request (or a repeat of it)."""

    store = StoreCodeField()
    platform_request_id = StrictCharField(max_length=64)
    order_no = StrictCharField(max_length=64)
    kind = choice_input(RefundRequest.Kind)
    amount = MoneyField()
    order_amount = MoneyField(required=False)
    reason = RestrictedSlugRelatedField(slug_field="code", queryset=ReasonCode.objects.filter(is_active=True))
    buyer_statement = StrictCharField(max_length=2000, required=False, allow_blank=True)
    requested_at = OffsetDateTimeField()
    respond_by = OffsetDateTimeField(required=False)
    goods_shipped = StrictBooleanField()
    return_waybill = StrictCharField(max_length=40, required=False, allow_blank=True)
    return_carrier = StrictCharField(max_length=20, required=False, allow_blank=True)
    product_sku = StrictCharField(max_length=64, required=False, allow_blank=True)
    cancelled = StrictBooleanField(required=False)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        return super().to_internal_value(data)

    def validate(self, attrs):
        errors = {}
        if "order_amount" in attrs and attrs["amount"] > attrs["order_amount"]:
            errors["amount"] = [_("The amount is above the order amount (%(order)s).") % {"order": attrs["order_amount"]}]
        now = self.context.get("received_at")
        if now is not None and attrs["requested_at"] > now + timedelta(minutes=5):
            errors["requested_at"] = [_("This time is in the future.")]
        if attrs.get("respond_by") is not None and attrs["respond_by"] <= attrs["requested_at"]:
            errors["respond_by"] = [_("The deadline is before the request.")]
        carrier = attrs.get("return_carrier")
        if carrier:
            from logistics.models import Carrier

            if not Carrier.objects.filter(code=carrier).exists():
                errors["return_carrier"] = [_("Unknown carrier.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RuleSerializer(serializers.ModelSerializer):
    scenario = serializers.CharField(read_only=True)

    class Meta:
        model = ResponsibilityRule
        fields = ["code", "scenario", "responsible_party", "outcome", "depreciation_percent", "fixed_fee",
                  "required_evidence"]
        read_only_fields = fields


class RefundRequestSerializer(serializers.ModelSerializer):
    """A request as the API answers it (the response of the create and of every action)."""

    store = serializers.SlugRelatedField(slug_field="code", read_only=True)
    reason = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status = choice(RefundRequest.Status)
    kind = choice(RefundRequest.Kind)
    decision = blank_choice(RefundRequest.Decision)
    ruling = blank_choice(RefundRequest.Ruling)
    goods_received_via = blank_choice(RefundRequest.ReceivedVia)
    amount = MoneyField(read_only=True)
    order_amount = MoneyField(read_only=True)
    refund_amount = MoneyField(read_only=True)
    ruling_amount = MoneyField(read_only=True)
    ticket = serializers.PrimaryKeyRelatedField(read_only=True)
    eligibility = serializers.SerializerMethodField()
    hold = serializers.SerializerMethodField()
    suggested_rule = serializers.SerializerMethodField()
    rule = serializers.SlugRelatedField(slug_field="code", read_only=True)
    product_line = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = RefundRequest
        fields = ["id", "store", "platform_request_id", "order_no", "kind", "amount", "order_amount", "reason",
                  "buyer_statement", "requested_at", "respond_by", "respond_by_from_platform", "goods_shipped",
                  "return_waybill", "return_carrier", "product_sku", "product_line", "status", "ticket",
                  "eligibility", "hold", "goods_received_at", "goods_received_via", "refund_due_at", "suggested_rule",
                  "rule", "decision", "refund_amount", "decided_at", "dispute_submitted_on", "ruling",
                  "ruling_amount", "ruling_note", "cancelled_at", "closed_at", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "properties": {
        "eligible": {"type": "boolean"}, "policy": {"type": "string", "nullable": True},
        "window_ends": {"type": "string", "format": "date", "nullable": True}, "reason": {"type": "string"}}})
    def get_eligibility(self, obj):
        return {"eligible": bool(obj.eligible), "policy": obj.policy.code if obj.policy_id else None,
                "window_ends": obj.window_ends.isoformat() if obj.window_ends else None,
                "reason": obj.eligibility_reason}

    @extend_schema_field({"type": "string", "enum": ["awaiting_return"], "nullable": True})
    def get_hold(self, obj):
        return "awaiting_return" if obj.status == RefundRequest.Status.AWAITING_RETURN else None

    @extend_schema_field({"type": "object", "nullable": True, "properties": {
        "code": {"type": "string"}, "responsible_party": {"type": "string"}, "outcome": {"type": "string"},
        "depreciation_percent": {"type": "string", "nullable": True}}})
    def get_suggested_rule(self, obj):
        rule = obj.suggested_rule
        if rule is None:
            return None
        return {"code": rule.code, "responsible_party": rule.responsible_party, "outcome": rule.outcome,
                "depreciation_percent": str(rule.depreciation_percent) if rule.depreciation_percent is not None
                else None}


class RefundEventSerializer(serializers.ModelSerializer):
    kind = choice(RefundEvent.Kind)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = RefundEvent
        fields = ["kind", "at", "actor", "note", "data"]
        read_only_fields = fields


class EvidenceFileSerializer(serializers.ModelSerializer):
    kind = choice(EvidenceKind)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceFile
        fields = ["id", "kind", "original_name", "content_type", "size", "sha256", "note", "uploaded_by",
                  "uploaded_at", "url"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        from django.urls import reverse

        return reverse("refunds:evidence_file", args=[obj.request_id, obj.pk])


class RefundRequestDetailSerializer(RefundRequestSerializer):
    events = RefundEventSerializer(many=True, read_only=True)
    evidence = EvidenceFileSerializer(many=True, read_only=True)

    class Meta(RefundRequestSerializer.Meta):
        fields = [*RefundRequestSerializer.Meta.fields, "events", "evidence"]
        read_only_fields = fields


class DecideSerializer(serializers.Serializer):
    decision = choice_input(RefundRequest.Decision)
    amount = MoneyField(required=False)
    rule = RestrictedSlugRelatedField(slug_field="code", queryset=ResponsibilityRule.objects.filter(is_active=True),
                                        required=False)
    note = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class RefundNoteSerializer(serializers.Serializer):
    note = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class ReceivedSerializer(serializers.Serializer):
    received_at = OffsetDateTimeField(required=False)


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)
    kind = choice_input(EvidenceKind)
    note = StrictCharField(max_length=300, required=False, allow_blank=True, default="")


class RulingSerializer(serializers.Serializer):
    ruling = choice_input(RefundRequest.Ruling)
    amount = MoneyField(required=False, allow_zero=True)
    note = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")
    # YYYY-MM-DD only (DRF's ISO reading also takes 20261128); the years are the service's rule.
    submitted_on = serializers.DateField(input_formats=["%Y-%m-%d"], required=False)


class DisputeSerializer(serializers.Serializer):
    submitted_on = serializers.DateField(input_formats=["%Y-%m-%d"], required=False)
    note = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")
