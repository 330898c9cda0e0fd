from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from logistics.models import (
    Alert,
    AlertEntry,
    AlertKind,
    CarrierContact,
    Compensation,
    CustomerContact,
    Dispatch,
    EventSource,
    Shipment,
    ShipmentStatus,
    TrackingEvent,
    TrackingImport,
)
from portal.api.fields import StrictCharField, StrictDateTimeField, StrictIntegerField
from portal.api.serializers import PiiFieldsMixin


def choice(choices_class):
    """A read-only choice field documented with an inline enum: logistics has several fields named
    `status` and `kind` with different values, which would otherwise collide as schema components."""

    @extend_schema_field({"type": "string", "enum": list(choices_class.values)})
    class ChoiceValue(serializers.CharField):
        pass

    return ChoiceValue(read_only=True)


class TrackingEventSerializer(serializers.ModelSerializer):
    status = choice(ShipmentStatus)
    source = choice(EventSource)

    class Meta:
        model = TrackingEvent
        fields = ["id", "occurred_at", "code", "description", "outlet", "city", "status", "is_anomaly", "received_at",
                  "source"]
        read_only_fields = fields


class ShipmentSerializer(PiiFieldsMixin, serializers.ModelSerializer):
    """A parcel with its events; consignee name, phone and address masked (`portal.pii`)."""

    store = serializers.SlugRelatedField(slug_field="code", read_only=True)
    carrier = serializers.SlugRelatedField(slug_field="code", read_only=True)
    events = TrackingEventSerializer(many=True, read_only=True)
    status = choice(ShipmentStatus)

    class Meta:
        model = Shipment
        fields = [
            "id", "store", "carrier", "waybill_number", "order_number", "consignee_name", "consignee_phone",
            "consignee_address", "product_skus", "shipped_at", "promised_by", "status", "last_event_at",
            "last_description", "last_outlet", "picked_up_at", "last_mile_at", "delivered_at", "events",
        ]
        read_only_fields = fields


class AlertEntrySerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    kind = choice(AlertEntry.Kind)

    class Meta:
        model = AlertEntry
        fields = ["id", "kind", "at", "actor", "note", "data"]
        read_only_fields = fields


class CompensationSerializer(serializers.ModelSerializer):
    offered_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    kind = choice(Compensation.Kind)
    status = choice(Compensation.Status)

    class Meta:
        model = Compensation
        fields = ["id", "kind", "amount", "note", "status", "offered_by", "offered_at", "decided_by", "decided_at"]
        read_only_fields = fields


class CarrierContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = CarrierContact
        fields = ["id", "outlet", "contact_name", "contacted_at", "promise", "follow_up_at", "recorded_at"]
        read_only_fields = fields


class CustomerContactSerializer(serializers.ModelSerializer):
    outcome = choice(CustomerContact.Outcome)

    class Meta:
        model = CustomerContact
        fields = ["id", "called_at", "outcome", "note", "recorded_at"]
        read_only_fields = fields


class AlertShipmentSerializer(serializers.ModelSerializer):
    store = serializers.SlugRelatedField(slug_field="code", read_only=True)
    carrier = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status = choice(ShipmentStatus)

    class Meta:
        model = Shipment
        fields = ["id", "store", "carrier", "waybill_number", "order_number", "status", "last_event_at",
                  "last_description", "last_outlet"]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer):
    shipment = AlertShipmentSerializer(read_only=True)
    waybill = StrictCharField(source="shipment.waybill_number", read_only=True)
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    timeline = AlertEntrySerializer(source="entries", many=True, read_only=True)
    compensations = CompensationSerializer(many=True, read_only=True)
    carrier_contacts = CarrierContactSerializer(many=True, read_only=True)
    customer_contacts = CustomerContactSerializer(many=True, read_only=True)
    ticket = StrictIntegerField(source="ticket_id", read_only=True)
    installation_job = StrictIntegerField(source="installation_job_id", read_only=True, allow_null=True)
    kind = choice(AlertKind)
    cause = choice(Alert.Cause)
    status = choice(Alert.Status)

    class Meta:
        model = Alert
        fields = [
            "id", "kind", "cause", "status", "waybill", "shipment", "trigger_at", "opened_at", "acknowledged_at",
            "acknowledged_by", "follow_up_at", "resolved_at", "resolved_by", "resolution", "closed_at", "ticket",
            "installation_job", "timeline", "compensations", "carrier_contacts", "customer_contacts",
        ]
        read_only_fields = fields


class DispatchSerializer(serializers.ModelSerializer):
    """An own-vehicle delivery; `photo_url` is the permission-checked page serving the proof photo."""

    waybill = StrictCharField(source="shipment.waybill_number", read_only=True)
    alert = StrictIntegerField(source="alert_id", read_only=True, allow_null=True)
    installation_job = StrictIntegerField(source="installation_job_id", read_only=True, allow_null=True)
    driver = serializers.SlugRelatedField(slug_field="username", read_only=True)
    status = choice(Dispatch.Status)
    photo_url = serializers.SerializerMethodField()

    class Meta:
        model = Dispatch
        fields = ["id", "waybill", "shipment", "alert", "installation_job", "driver", "driver_name", "driver_phone",
                  "outlet", "planned_pickup", "planned_dropoff", "cost", "status", "picked_up_at", "delivered_at",
                  "recipient", "photo_url", "failure_reason", "created_at"]
        read_only_fields = fields

    def get_photo_url(self, obj) -> str | None:
        from django.urls import reverse

        return reverse("logistics:dispatch_photo", args=[obj.pk]) if obj.photo else None


class DispatchRequestSerializer(serializers.Serializer):
    driver = StrictCharField(required=False, help_text="A staff user's username")
    driver_name = StrictCharField(required=False, help_text="A partner's technician, instead of driver")
    driver_phone = StrictCharField(required=False)
    planned_pickup = StrictDateTimeField()
    planned_dropoff = StrictDateTimeField()
    cost = serializers.DecimalField(max_digits=10, decimal_places=2)


class DispatchFailedSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=300)


class DispatchDeliveredSerializer(serializers.Serializer):
    photo = serializers.ImageField()
    recipient = StrictCharField()
    delivered_at = StrictDateTimeField(required=False)


class TrackingImportSerializer(serializers.ModelSerializer):
    carrier = serializers.SlugRelatedField(slug_field="code", read_only=True)
    store = serializers.SlugRelatedField(slug_field="code", read_only=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    percent = StrictIntegerField(read_only=True)
    duplicates_skipped = StrictIntegerField(source="duplicates", read_only=True)
    rows_rejected = StrictIntegerField(source="rejected_count", read_only=True)
    status_url = serializers.SerializerMethodField()
    status = choice(TrackingImport.Status)

    class Meta:
        model = TrackingImport
        fields = [
            "id", "carrier", "store", "original_name", "size", "uploaded_by", "created_at", "status", "percent",
            "file_format", "rows_total", "rows_read", "events_added", "duplicates_skipped", "shipments_created",
            "rows_rejected", "rejected_rows", "message", "started_at", "finished_at", "status_url",
        ]
        read_only_fields = fields

    def get_status_url(self, obj) -> str:
        from django.urls import reverse

        return reverse("logistics-import-detail", args=[obj.pk])


# --- Request/response shapes for the API schema (validation is done by the views and forms) ----


class IngestEventSerializer(serializers.Serializer):
    waybill = StrictCharField(max_length=40)
    time = StrictCharField(help_text="ISO 8601; without an offset: the carrier's time zone")
    code = StrictCharField(required=False)
    description = StrictCharField(required=False)
    status = StrictCharField(required=False, help_text="A normalised status instead of code/description")
    order_number = StrictCharField(required=False)
    outlet = StrictCharField(required=False)
    city = StrictCharField(required=False)
    consignee_name = StrictCharField(required=False)
    consignee_phone = StrictCharField(required=False)
    consignee_address = StrictCharField(required=False)
    product_skus = serializers.ListField(child=StrictCharField(), required=False)
    promised_by = StrictCharField(required=False)


class IngestBodySerializer(serializers.Serializer):
    carrier = StrictCharField()
    store = StrictCharField(required=False, help_text="Store code for parcels not known yet")
    events = IngestEventSerializer(many=True, help_text="1 to 1,000 events")


class IngestResultSerializer(serializers.Serializer):
    received = StrictIntegerField()
    events_added = StrictIntegerField()
    duplicates_skipped = StrictIntegerField()
    shipments_created = StrictIntegerField()


class AlertActionResultSerializer(serializers.Serializer):
    message = StrictCharField()
    alert = AlertSerializer()


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    carrier = StrictCharField()
    store = StrictCharField(required=False)


class MetricsSerializer(serializers.Serializer):
    parcels = StrictIntegerField()
    delivered = StrictIntegerField()
    on_time_delivery_rate = serializers.FloatField(allow_null=True)
    median_hours_to_delivery = serializers.FloatField(allow_null=True)
    stall_rate = serializers.FloatField(allow_null=True)
    alerts_per_1000_parcels = serializers.FloatField(allow_null=True)
    compensation_paid = StrictCharField()


class MetricsReportSerializer(serializers.Serializer):
    from_ = serializers.DateField()
    to = serializers.DateField()
    period = StrictCharField()
    totals = MetricsSerializer()
    by_store = serializers.ListField(child=serializers.DictField())
    by_carrier = serializers.ListField(child=serializers.DictField())
    by_period = serializers.ListField(child=serializers.DictField())

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields
