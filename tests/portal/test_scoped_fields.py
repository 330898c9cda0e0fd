"""Every writable foreign key of every serializer and form offers and accepts only objects in the
caller's scope (`restrict`), except the targets a named rule lets reach beyond it, listed here.

The walk imports every module of the portal's apps, so a serializer or form added later is checked
without editing this file.
"""

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from rest_framework import serializers
from rest_framework.test import APIClient

from portal.api.fields import RestrictedRelatedFieldMixin
from portal.permissions import portal_apps, scope_registry

# Named rules that let a field reach beyond the caller's scope (field path: the rule).
BEYOND_SCOPE = {
    "tickets.api.serializers.TransferSerializer.queue": "a transfer's destination may be any queue",
    "tickets.api.serializers.TransferSerializer.team": "a transfer's destination may be any team",
    "tickets.api.serializers.TransferSerializer.assignee": "a transfer may hand the ticket to a person of the "
                                                           "destination team",
    "tickets.forms.TransferForm.queue": "a transfer's destination may be any queue",
    "tickets.forms.BulkForm.queue": "a bulk transfer's destination may be any queue",
    "training.api.serializers.QueueGateSerializer.queue": "a trainer gates any queue (teams they are not in)",
    "training.api.serializers.AssignmentInputSerializer.agents": "trainers assign cases to agents of every team",
    "training.api.serializers.OfflineCourseSerializer.agent": "trainers record courses of agents of every team",
}


def _modules():
    for app in portal_apps():
        package = importlib.import_module(app)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if ".migrations" in info.name or ".management" in info.name or info.name.endswith(".tests"):
                continue
            try:
                yield importlib.import_module(info.name)
            except ImportError:
                continue


def _classes(base):
    seen = set()
    for module in _modules():
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, base) and cls.__module__ == module.__name__ and cls not in seen:
                seen.add(cls)
                yield cls


def _related_fields(serializer, path):
    """(path, field) of every related field inside `serializer`, nested serializers included."""
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        here = f"{path}.{name}"
        if isinstance(field, serializers.ManyRelatedField):
            yield here, field.child_relation
        elif isinstance(field, serializers.RelatedField):
            yield here, field
        elif isinstance(field, serializers.ListSerializer):
            yield from _related_fields(field.child, here)
        elif isinstance(field, serializers.BaseSerializer):
            yield from _related_fields(field, here)
        elif isinstance(field, serializers.ListField) and isinstance(field.child, serializers.RelatedField):
            yield here, field.child


def serializer_fields():
    found = []
    for cls in _classes(serializers.Serializer):
        try:
            instance = cls(context={"request": None})
            fields = list(_related_fields(instance, f"{cls.__module__}.{cls.__name__}"))
        except Exception:  # noqa: BLE001 - a serializer needing more context: its declared fields
            fields = [(f"{cls.__module__}.{cls.__name__}.{name}", field) for name, field in cls._declared_fields.items()
                      if isinstance(field, serializers.RelatedField) and not field.read_only]
        found.extend(fields)
    return found


def test_the_walk_sees_the_serializers_it_must():
    paths = {path for path, _field in serializer_fields()}
    assert {"tickets.api.serializers.TicketCreateSerializer.store", "tickets.api.serializers.TicketCreateSerializer.queue",
            "tickets.api.serializers.AssignSerializer.assignee",
            "tickets.api.serializers.ChatConversationSerializer.store",
            "installation.api.serializers.InstallationJobCreateSerializer.store",
            "tickets.api.escalation.EscalationPolicySerializer.levels.users"} <= paths


def test_every_writable_related_field_of_every_serializer_is_restricted():
    unrestricted = [path for path, field in serializer_fields()
                    if not isinstance(field, RestrictedRelatedFieldMixin) and path not in BEYOND_SCOPE]
    assert unrestricted == [], "use portal.api.fields (Restricted*RelatedField, ScopedUserField) for these"


def test_every_model_choice_of_every_form_is_filled_from_scope():
    """A form declares its model choices empty (`.none()`) and fills them from the user's scope in
    `__init__`; only organisation-wide configuration (an `unscoped` model such as carriers) may be
    declared in full."""
    unscoped = {model for model, reason in scope_registry().items() if reason}
    offending = []
    for cls in _classes(forms.BaseForm):
        if ".admin" in cls.__module__:
            continue  # admin builds these fields itself, narrowed by portal.admin.RestrictedChoicesMixin
        for name, field in cls.base_fields.items():
            if not isinstance(field, forms.ModelChoiceField) or field.queryset is None:
                continue
            path = f"{cls.__module__}.{cls.__name__}.{name}"
            if path in BEYOND_SCOPE or field.queryset.model in unscoped or field.queryset.query.is_empty():
                continue
            offending.append(path)
    assert offending == []


def test_the_named_rules_name_real_fields():
    paths = {path for path, _field in serializer_fields()}
    form_paths = {f"{cls.__module__}.{cls.__name__}.{name}" for cls in _classes(forms.BaseForm)
                  for name in cls.base_fields}
    assert set(BEYOND_SCOPE) <= paths | form_paths


# --- The probe's case, and the same for people and queues ----------------------------------------


@pytest.mark.django_db
def test_an_agent_cannot_create_a_ticket_in_another_brands_store():
    from tests.tickets.factories import World
    from tickets.models import Ticket

    world = World()
    api = APIClient()
    api.force_authenticate(world.agent)
    body = {"store": world.other_store.code, "subject": "x", "description": "y"}
    response = api.post("/api/v1/tickets/", body, format="json")
    assert response.status_code == 400 and "store" in response.json()
    response = api.post("/api/v1/tickets/", {**body, "store": world.store.code, "queue": world.other_queue.pk},
                        format="json")
    assert response.status_code == 400 and "queue" in response.json()
    response = api.post("/api/v1/tickets/", {**body, "store": world.store.code, "assignee": world.other_agent.pk},
                        format="json")
    assert response.status_code == 400 and "assignee" in response.json()
    assert not Ticket.objects.exists()
    assert api.post("/api/v1/tickets/", {**body, "store": world.store.code}, format="json").status_code == 201
