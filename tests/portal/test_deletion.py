"""Deleting a store, a queue or a user: refused while work depends on it (PROTECT), otherwise its
configuration goes with it (CASCADE) and its name is cleared from history (SET_NULL). Either way
no row is left naming a row that does not exist. Runs on SQLite and on PostgreSQL."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from installation.models import InstallationJob, Product
from logistics.models import Alert, AlertEntry, IngestRequest, Shipment, TrackingEvent, TrackingImport
from logistics.setup import ensure_sample_carrier
from portal.models import ApiToken, Membership, Notification, Store, Team
from portal.roles import Role
from portal.tokens import create_token
from tests.factories import make_store, make_team, make_user
from tests.installation.factories import make_job, make_partner
from tests.logistics.factories import REPORT_TIME, event, ingest, upload
from tests.tickets.factories import World, make_calendar, make_policy, make_queue
from tickets.models import ChatConversation, Macro, Queue, QueueRotation, RoutingRule, SLAPolicy, Ticket


def dangling_references() -> list[tuple[str, int]]:
    """Every foreign-key column of every installed model (many-to-many link tables included) whose
    value names no existing row: [(table.column, rows)]. Empty when the database is consistent."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if not (field.many_to_one or field.one_to_one):
                continue
            parents = field.related_model._base_manager.values(field.target_field.attname)
            rows = (model._base_manager.exclude(**{f"{field.attname}__isnull": True})
                    .exclude(**{f"{field.attname}__in": parents}).count())
            if rows:
                found.append((f"{model._meta.db_table}.{field.column}", rows))
    return found


def _shipment(store):
    ingest(ensure_sample_carrier(), store, [event("SF1000", "2026-11-19 10:00:00", "50", "已揽收", order="T1")])
    return Shipment.objects.get(store=store)


@pytest.fixture
def world(db):
    return World()


# --- Stores -----------------------------------------------------------------------------------

WORK_ON_A_STORE = {
    "ticket": lambda world, store: world.ticket(store=store),
    "parcel": lambda world, store: _shipment(store),
    "installation job": lambda world, store: make_job(store),
    "chat conversation": lambda world, store: ChatConversation.objects.create(
        store=store, conversation_id="c-1", ticket=world.ticket(), created_at=REPORT_TIME),
}


@pytest.mark.parametrize("work", WORK_ON_A_STORE)
def test_a_store_with_work_cannot_be_deleted(world, work):
    store = make_store("busy")
    world.team.stores.add(store)
    row = WORK_ON_A_STORE[work](world, store)
    with pytest.raises(ProtectedError):
        store.delete()
    assert Store.objects.filter(pk=store.pk).exists()
    assert type(row).objects.filter(pk=row.pk).exists()
    assert dangling_references() == []


def test_a_store_without_work_goes_with_its_configuration(world):
    store = make_store("closing")
    world.team.stores.add(store)
    partner = make_partner([store, world.store])
    product = Product.objects.create(store=store, sku="RACK-1", name="Rack")
    rule = RoutingRule.objects.create(name="closing store", store=store, queue=world.queue)

    store.delete()

    assert not Product.objects.filter(pk=product.pk).exists()
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()
    assert list(world.team.stores.all()) == [world.store]  # the team stays, without the store
    assert list(partner.stores.all()) == [world.store]
    assert dangling_references() == []


# --- Queues -----------------------------------------------------------------------------------


def test_a_queue_with_tickets_cannot_be_deleted(world):
    ticket = world.ticket()
    with pytest.raises(ProtectedError):
        world.queue.delete()
    assert Ticket.objects.filter(pk=ticket.pk, queue=world.queue).exists()
    assert dangling_references() == []


def test_a_queue_without_tickets_goes_with_its_rotation_rules_macros_and_policies(world):
    queue = make_queue(world.team, name="Seasonal", is_default=False)
    QueueRotation.objects.create(queue=queue, user=world.agent, last_assigned_at=REPORT_TIME)
    rule = RoutingRule.objects.create(name="to seasonal", queue=queue)
    macro = Macro.objects.create(name="Hello", body="亲", queue=queue)
    policy = make_policy("Seasonal", calendar=make_calendar("Seasonal"), queue=queue)
    world.ticket()  # on another queue: untouched

    queue.delete()

    assert not Queue.objects.filter(pk=queue.pk).exists()
    assert not QueueRotation.objects.filter(queue_id=queue.pk).exists()
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()
    assert not Macro.objects.filter(pk=macro.pk).exists()
    assert not SLAPolicy.objects.filter(pk=policy.pk).exists()
    assert Ticket.objects.filter(queue=world.queue).count() == 1
    assert dangling_references() == []


# --- Users ------------------------------------------------------------------------------------


def test_a_user_who_worked_tickets_cannot_be_deleted(world):
    """Assignee and timeline author are PROTECTed: a ticket's history keeps who did what."""
    ticket = world.ticket(actor=world.agent2)
    ticket.assignee = world.agent
    ticket.save(update_fields=["assignee"])
    for user in (world.agent, world.agent2):
        with pytest.raises(ProtectedError):
            user.delete()
        assert type(user).objects.filter(pk=user.pk).exists()
    assert dangling_references() == []


def test_a_user_without_ticket_work_is_deleted_and_cleared_from_logistics_history(world):
    team = make_team("Logistics", kind=Team.Kind.LOGISTICS, stores=[world.store])
    user = make_user("leaving", role=Role.LOGISTICS_COORDINATOR, team=team)
    create_token(user=user, now=REPORT_TIME)
    Notification.objects.create(recipient=user, channel=Notification.Channel.IN_APP, subject="hi",
                                next_attempt_at=REPORT_TIME, created_at=REPORT_TIME)
    carrier = ensure_sample_carrier()
    tracking_import = TrackingImport.objects.create(
        carrier=carrier, store=world.store, file=upload(b"x"), original_name="r.csv", uploaded_by=user,
        created_at=REPORT_TIME)
    shipment = _shipment(world.store)
    alert = Alert.objects.create(shipment=shipment, kind="stalled", cause="carrier", trigger_at=REPORT_TIME,
                                 opened_at=REPORT_TIME, acknowledged_by=user, resolved_by=user)
    AlertEntry.objects.create(alert=alert, kind=AlertEntry.Kind.ACKNOWLEDGED, actor=user, at=REPORT_TIME)
    IngestRequest.objects.create(user=user, key="k", body_hash="h", status_code=200, response={},
                                 created_at=REPORT_TIME)
    job = make_job(world.store, actor=user, now=REPORT_TIME - timedelta(days=1))

    user.delete()

    assert not Membership.objects.filter(user_id=user.pk).exists()
    assert not ApiToken.objects.filter(user_id=user.pk).exists()
    assert not Notification.objects.filter(recipient_id=user.pk).exists()
    assert not IngestRequest.objects.filter(user_id=user.pk).exists()
    tracking_import.refresh_from_db()
    alert.refresh_from_db()
    job.refresh_from_db()
    assert tracking_import.uploaded_by_id is None
    assert (alert.acknowledged_by_id, alert.resolved_by_id) == (None, None)
    assert AlertEntry.objects.get(alert=alert).actor_id is None
    assert job.created_by_id is None and InstallationJob.objects.filter(pk=job.pk).exists()
    assert dangling_references() == []


# --- The check itself ---------------------------------------------------------------------------


def test_the_check_finds_an_event_naming_a_missing_parcel(world):
    """What the ORM prevents above: a row deleted behind its back shows up as dangling. SQLite has
    no constraint on tracking events (the ingest's cost); PostgreSQL refuses the commit."""

    class RolledBack(Exception):
        pass

    shipment = _shipment(world.store)
    with pytest.raises(RolledBack), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {Shipment._meta.db_table} WHERE id = %s", [shipment.pk])
        assert dangling_references() == [(f"{TrackingEvent._meta.db_table}.shipment_id", 1)]
        if connection.vendor == "postgresql":
            with pytest.raises(IntegrityError), transaction.atomic():
                connection.check_constraints()  # what the commit does
        raise RolledBack
    assert dangling_references() == []
