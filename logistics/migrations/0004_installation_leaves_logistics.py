"""The installation models now belong to the installation app (installation 0001 took them over
with their tables): drop them from the logistics migration state only; no table is touched."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('logistics', '0003_tracking_event_insert_cost'),
        ('installation', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='InstallationTicketLink'),
                migrations.DeleteModel(name='InstallationEvent'),
                migrations.DeleteModel(name='InstallationAlert'),
                migrations.DeleteModel(name='InstallationJob'),
                migrations.DeleteModel(name='Product'),
                migrations.DeleteModel(name='InstallationPartner'),
            ],
            database_operations=[],
        ),
    ]
