"""PostgreSQL: real foreign-key constraints for a tracking event's shipment and import.

Migration 0003 declared both keys without a database constraint (`db_constraint=False`) because
on SQLite checking the parcel of every inserted event cost a quarter of the ingest. That
measurement was SQLite's; PostgreSQL keeps the constraints, so no event can name a parcel or an
import that does not exist, whoever deletes rows. The model state keeps `db_constraint=False`
(SQLite's schema has no constraint), so a later migration altering these two columns on
PostgreSQL must drop and re-add the constraints itself.

Rows left dangling while there was no constraint are cleared first: events of a deleted parcel
are removed, events of a deleted import keep their parcel and lose the import.
"""

from django.db import migrations

SHIPMENT_FK = "logistics_trackingevent_shipment_id_fk"
IMPORT_FK = "logistics_trackingevent_tracking_import_id_fk"


def add_foreign_keys(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    qn = schema_editor.quote_name
    events = qn(apps.get_model("logistics", "TrackingEvent")._meta.db_table)
    shipments = qn(apps.get_model("logistics", "Shipment")._meta.db_table)
    imports = qn(apps.get_model("logistics", "TrackingImport")._meta.db_table)
    schema_editor.execute(
        f"DELETE FROM {events} e WHERE NOT EXISTS (SELECT 1 FROM {shipments} s WHERE s.id = e.shipment_id)")
    schema_editor.execute(
        f"UPDATE {events} e SET tracking_import_id = NULL WHERE tracking_import_id IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {imports} i WHERE i.id = e.tracking_import_id)")
    # DEFERRABLE INITIALLY DEFERRED, as Django declares its own: checked at commit.
    for name, column, parent in ((SHIPMENT_FK, "shipment_id", shipments), (IMPORT_FK, "tracking_import_id", imports)):
        schema_editor.execute(f"ALTER TABLE {events} ADD CONSTRAINT {qn(name)} FOREIGN KEY ({qn(column)}) "
                              f"REFERENCES {parent} (id) DEFERRABLE INITIALLY DEFERRED")


def drop_foreign_keys(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    events = schema_editor.quote_name(apps.get_model("logistics", "TrackingEvent")._meta.db_table)
    for name in (SHIPMENT_FK, IMPORT_FK):
        schema_editor.execute(f"ALTER TABLE {events} DROP CONSTRAINT IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):

    dependencies = [
        ("logistics", "0005_appointment_at_risk"),
    ]

    operations = [
        migrations.RunPython(add_foreign_keys, drop_foreign_keys, elidable=False),
    ]
