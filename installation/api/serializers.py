"""Installation API serializers: jobs (customer contact masked unless the role may see it), their
events, and the input of the create and event endpoints."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from installation.models import (
    InstallationEvent,
    InstallationJob,
    InstallationNode,
    InstallationPartner,
    Product,
)
from installation.services import MAX_PHOTOS
from logistics.api.serializers import choice
from logistics.models import Shipment
from portal.api.fields import (
    RestrictedSlugRelatedField,
    StrictBooleanField,
    StrictCharField,
    StrictDateTimeField,
    StrictIntegerField,
)
from portal.api.serializers import PiiFieldsMixin
from portal.models import Store
from portal.permissions import restrict


class InstallationEventSerializer(serializers.ModelSerializer):
    node = choice(InstallationNode)
    from_node = StrictCharField(read_only=True)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    partner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    technician = StrictCharField(source="technician_name", read_only=True)
    event_id = StrictCharField(source="client_event_id", read_only=True)

    class Meta:
        model = InstallationEvent
        fields = ["id", "node", "from_node", "at", "recorded_at", "source", "actor", "partner", "technician",
                  "appointment_start", "appointment_end", "photos", "reason", "note", "event_id"]
        read_only_fields = fields


class InstallationJobSerializer(PiiFieldsMixin, serializers.ModelSerializer):
    """A job. Customer name, phone and address are masked (`portal.pii`), except for the
    installation partner's own API client, which needs them to arrange the visit (audited)."""

    store = serializers.SlugRelatedField(slug_field="code", read_only=True)
    product = serializers.SlugRelatedField(slug_field="sku", read_only=True)
    partner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    node = choice(InstallationNode)
    tickets = serializers.SerializerMethodField()

    class Meta:
        model = InstallationJob
        fields = ["id", "store", "order_number", "shipment", "product", "customer_name", "customer_phone", "address",
                  "partner", "technician_name", "technician_phone", "appointment_start", "appointment_end", "node",
                  "delivered_at", "requested_at", "booking_due_at", "booked_at", "completion_due_at", "on_site_at",
                  "completed_at", "visits", "customer_confirmed", "failure_reason", "tickets", "updated_at"]
        read_only_fields = fields

    def get_tickets(self, job) -> list[int]:
        return [link.ticket_id for link in job.ticket_links.all()]


class InstallationJobDetailSerializer(InstallationJobSerializer):
    events = InstallationEventSerializer(many=True, read_only=True)

    class Meta(InstallationJobSerializer.Meta):
        fields = [*InstallationJobSerializer.Meta.fields, "events"]
        read_only_fields = fields


@extend_schema_field({"type": "string", "enum": list(InstallationNode.values)})
class NodeField(serializers.ChoiceField):
    """A node, documented inline (other apps have fields named `node` with other values)."""

    def __init__(self, **kwargs):
        super().__init__(choices=InstallationNode.choices, **kwargs)


class InstallationEventInputSerializer(serializers.Serializer):
    node = NodeField()
    time = StrictDateTimeField(required=False, allow_null=True)
    technician = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    technician_phone = StrictCharField(max_length=30, required=False, allow_blank=True, default="")
    appointment_start = StrictDateTimeField(required=False, allow_null=True)
    appointment_end = StrictDateTimeField(required=False, allow_null=True)
    photos = serializers.ListField(child=serializers.URLField(max_length=500), max_length=MAX_PHOTOS,
                                   required=False, default=list)
    customer_confirmed = StrictBooleanField(required=False, default=False)
    reason = StrictCharField(max_length=300, required=False, allow_blank=True, default="")
    note = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")
    event_id = StrictCharField(max_length=100, required=False, allow_blank=True, default="")


class InstallationEventResultSerializer(serializers.Serializer):
    created = StrictBooleanField()
    event = InstallationEventSerializer()
    job = InstallationJobSerializer()


class InstallationJobCreateSerializer(serializers.Serializer):
    store = RestrictedSlugRelatedField(slug_field="code", queryset=Store.objects.all())
    order_number = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
    product = StrictCharField(max_length=64, required=False, allow_blank=True, default="",
                                    help_text="SKU of one of the store's products")
    shipment = StrictIntegerField(required=False, allow_null=True, default=None)
    partner = RestrictedSlugRelatedField(slug_field="code", queryset=InstallationPartner.objects.filter(is_active=True),
                                         required=False, allow_null=True, default=None)
    customer_name = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    customer_phone = StrictCharField(max_length=30, required=False, allow_blank=True, default="")
    address = StrictCharField(max_length=300, required=False, allow_blank=True, default="")
    note = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, data):
        user = self.context["request"].user
        store = data["store"]  # in the user's scope: the field's choices are
        if data["product"]:
            data["product"] = Product.objects.filter(store=store, sku=data["product"]).first()
            if data["product"] is None:
                raise ValidationError({"product": [_("The store has no product with this SKU.")]})
        else:
            data["product"] = None
        if data["shipment"] is not None:
            shipment = restrict(Shipment.objects.filter(pk=data["shipment"], store=store), user, "view").first()
            if shipment is None:
                raise ValidationError({"shipment": [_("No parcel #%(id)s of this store in your scope.")
                                                    % {"id": data["shipment"]}]})
            data["shipment"] = shipment
        return data
