"""Tracking events never name a parcel or an import that does not exist. The ORM cascades (parcel)
and unlinks (import) on both databases; PostgreSQL also enforces it with foreign-key constraints
(migration 0004). SQLite has none on this table: checking every inserted event's parcel cost a
quarter of the ingest there."""

from importlib import import_module

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from logistics.models import Shipment, TrackingEvent, TrackingImport
from tests.logistics.factories import REPORT_TIME, event

needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)")
migration = import_module("logistics.migrations.0006_tracking_event_foreign_keys_on_postgresql")
EVENTS = TrackingEvent._meta.db_table


def _foreign_keys():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, EVENTS)
    return {tuple(c["columns"]): c["foreign_key"] for c in constraints.values() if c["foreign_key"]}


def _two_parcels(carrier, store):
    tracking_import = TrackingImport.objects.create(carrier=carrier, store=store, original_name="r.csv",
                                                    created_at=REPORT_TIME)
    from logistics.ingest import Ingestor

    Ingestor(carrier, now=REPORT_TIME, store=store, tracking_import=tracking_import).ingest(list(enumerate([
        event("SF1", "2026-11-19 10:00:00", "50", "已揽收", order="T1"),
        event("SF1", "2026-11-19 12:00:00", "31", "已到达 上海中转场", order="T1"),
        event("SF2", "2026-11-19 10:00:00", "50", "已揽收", order="T2"),
    ])))
    return tracking_import, Shipment.objects.get(waybill_number="SF1"), Shipment.objects.get(waybill_number="SF2")


def test_deleting_a_parcel_deletes_its_events_and_deleting_an_import_unlinks_them(carrier, store):
    tracking_import, first, second = _two_parcels(carrier, store)
    assert TrackingEvent.objects.filter(tracking_import=tracking_import).count() == 3

    first.delete()
    assert not TrackingEvent.objects.filter(shipment_id=first.pk).exists()
    tracking_import.delete()
    assert list(TrackingEvent.objects.values_list("shipment_id", "tracking_import_id")) == [(second.pk, None)]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's schema")
def test_sqlite_keeps_tracking_events_without_constraints(db):
    assert _foreign_keys() == {}


@pytest.mark.postgres
@needs_postgres
def test_postgresql_has_both_constraints(db):
    assert _foreign_keys() == {("shipment_id",): (Shipment._meta.db_table, "id"),
                               ("tracking_import_id",): (TrackingImport._meta.db_table, "id")}


@pytest.mark.postgres
@needs_postgres
def test_postgresql_refuses_to_delete_a_parcel_behind_the_orms_back(carrier, store):
    _tracking_import, first, _second = _two_parcels(carrier, store)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Shipment._meta.db_table} WHERE id = %s", [first.pk])
        connection.check_constraints()  # what the commit would do
    assert TrackingEvent.objects.filter(shipment=first).count() == 2


@pytest.mark.postgres
@needs_postgres
def test_the_migration_clears_rows_left_dangling_before_adding_the_constraints(carrier, store):
    tracking_import, first, second = _two_parcels(carrier, store)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks before altering tables
    with connection.schema_editor() as editor:
        migration.drop_foreign_keys(apps, editor)
    assert _foreign_keys() == {}
    with connection.cursor() as cursor:  # what could happen while there was no constraint
        cursor.execute(f"DELETE FROM {Shipment._meta.db_table} WHERE id = %s", [first.pk])
        cursor.execute(f"DELETE FROM {TrackingImport._meta.db_table} WHERE id = %s", [tracking_import.pk])

    with connection.schema_editor() as editor:
        migration.add_foreign_keys(apps, editor)

    assert len(_foreign_keys()) == 2
    assert list(TrackingEvent.objects.values_list("shipment_id", "tracking_import_id")) == [(second.pk, None)]
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
