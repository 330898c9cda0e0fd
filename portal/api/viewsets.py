"""Base viewsets: every queryset goes through `restrict`, every write re-checks scope."""

from django.db import transaction
from django.utils import timezone
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied

from portal import pii
from portal.api.permissions import verb_for
from portal.permissions import restrict


class RestrictedQuerysetMixin:
    """`get_queryset()` is the model's queryset narrowed by `restrict(user, verb of the action)`."""

    # Set per @action(permission_action="assign"); DRF only accepts action kwargs that exist on the class.
    permission_action = None
    # Ids are numbers: anything else is no address at all (a JSON 404), as the schema says.
    lookup_value_regex = "[0-9]+"
    # Which integration clients may call the writes (portal.integrations); per @action(integration_kind=...).
    integration_kind = None

    def get_queryset(self):
        queryset = super().get_queryset()
        return restrict(queryset, self.request.user, verb_for(self) or "view")

    def initial(self, request, *args, **kwargs):
        pii.open_disclosures(request)
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        # Personal data served unmasked to an integration client (portal.pii.payload_value) is
        # audited here, one bulk insert per response.
        if response.status_code < 400:
            pii.flush_disclosures(request, now=timezone.now())
        return super().finalize_response(request, response, *args, **kwargs)

    def check_still_in_scope(self, instance):
        """After a write, inside its transaction: the saved row must be one the user may see."""
        model = type(instance)
        if not restrict(model._default_manager.filter(pk=instance.pk), self.request.user, "view").exists():
            raise PermissionDenied("The result would be outside your scope.")


class RestrictedReadOnlyViewSet(RestrictedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class RestrictedModelViewSet(RestrictedQuerysetMixin, viewsets.ModelViewSet):
    def perform_create(self, serializer):
        with transaction.atomic():
            instance = serializer.save()
            self.check_still_in_scope(instance)

    def perform_update(self, serializer):
        with transaction.atomic():
            instance = serializer.save()
            self.check_still_in_scope(instance)
