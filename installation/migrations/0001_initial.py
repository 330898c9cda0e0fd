"""Installation tracking leaves the logistics app for an app of its own, without copying data.

1. The models enter this app's migration state as they were (`SeparateDatabaseAndState`: state
   only, on the tables logistics created, `logistics_*`); logistics 0004 then drops them from the
   logistics state, again without touching the database.
2. The tables (and the partner's two many-to-many tables) are renamed to this app's prefix
   (`installation_*`). Rows, ids and foreign keys stay as they are; the constraint and index names
   keep their `logistics_` prefix.
3. The content types of the moved models change app label (logistics -> installation), so their
   Permission rows, and with them every group's and user's grants and the admin log, follow
   (`logistics.progress_installationjob` becomes `installation.progress_installationjob`).
"""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED_MODELS = ['installationpartner', 'product', 'installationjob', 'installationalert', 'installationevent', 'installationticketlink']


def _relabel(apps, schema_editor, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    for model in MOVED_MODELS:
        old = ContentType.objects.using(db).filter(app_label=source, model=model).first()
        if old is None:  # a fresh database: content types are created after migrate
            continue
        new = ContentType.objects.using(db).filter(app_label=target, model=model).first()
        if new is None:
            old.app_label = target
            old.save(update_fields=["app_label"])
            continue
        # Both exist (created by hand or by an earlier partial run): carry the grants over to the
        # target's permissions and leave the source's rows stale (remove_stale_contenttypes).
        for permission in Permission.objects.using(db).filter(content_type=old):
            twin = Permission.objects.using(db).filter(content_type=new, codename=permission.codename).first()
            if twin is None:
                permission.content_type = new
                permission.save(update_fields=["content_type"])
            else:
                twin.group_set.add(*permission.group_set.all())
                twin.user_set.add(*permission.user_set.all())
    from django.contrib.contenttypes.models import ContentType as CachedContentType

    CachedContentType.objects.clear_cache()


def relabel_content_types(apps, schema_editor):
    _relabel(apps, schema_editor, "logistics", "installation")


def restore_content_types(apps, schema_editor):
    _relabel(apps, schema_editor, "installation", "logistics")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('logistics', '0003_tracking_event_insert_cost'),
        ('portal', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('auth', '0012_alter_user_first_name_max_length'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='InstallationPartner',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(max_length=40, unique=True, verbose_name='code')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('kind', models.CharField(choices=[('marketplace', 'Marketplace installation service'), ('brand', "Brand's own installers")], default='marketplace', max_length=20, verbose_name='kind')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('stores', models.ManyToManyField(blank=True, related_name='installation_partners', to='portal.store', verbose_name='stores served')),
                        ('users', models.ManyToManyField(blank=True, related_name='installation_partners', to=settings.AUTH_USER_MODEL, verbose_name='API users')),
                    ],
                    options={
                        'db_table': 'logistics_installationpartner',
                        'verbose_name': 'installation partner',
                        'verbose_name_plural': 'installation partners',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='Product',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('sku', models.CharField(max_length=64, verbose_name='SKU')),
                        ('name', models.CharField(max_length=200, verbose_name='name')),
                        ('needs_installation', models.BooleanField(default=False, verbose_name='needs installation')),
                        ('booking_sla_hours', models.PositiveIntegerField(default=48, validators=[django.core.validators.MinValueValidator(1)], verbose_name='appointment booked within (hours after delivery)')),
                        ('completion_sla_hours', models.PositiveIntegerField(default=24, validators=[django.core.validators.MinValueValidator(1)], verbose_name='installed within (hours after the appointment starts)')),
                        ('store', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='products', to='portal.store', verbose_name='store')),
                    ],
                    options={
                        'db_table': 'logistics_product',
                        'constraints': [models.UniqueConstraint(fields=('store', 'sku'), name='logistics_unique_product_sku')],
                        'verbose_name': 'product',
                        'verbose_name_plural': 'products',
                        'ordering': ['store', 'sku'],
                    },
                ),
                migrations.CreateModel(
                    name='InstallationJob',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('order_number', models.CharField(blank=True, db_index=True, max_length=64, verbose_name='order number')),
                        ('customer_name', models.CharField(blank=True, max_length=100, verbose_name='customer')),
                        ('customer_phone', models.CharField(blank=True, max_length=30, verbose_name='customer phone')),
                        ('address', models.CharField(blank=True, max_length=300, verbose_name='address')),
                        ('technician_name', models.CharField(blank=True, max_length=100, verbose_name='technician')),
                        ('technician_phone', models.CharField(blank=True, max_length=30, verbose_name='technician phone')),
                        ('appointment_start', models.DateTimeField(blank=True, null=True, verbose_name='appointment from')),
                        ('appointment_end', models.DateTimeField(blank=True, null=True, verbose_name='appointment until')),
                        ('node', models.CharField(choices=[('requested', 'Requested'), ('scheduled', 'Scheduled'), ('dispatched', 'Dispatched'), ('on_site', 'On site'), ('completed', 'Completed'), ('failed', 'Failed'), ('rescheduled', 'Rescheduled'), ('cancelled', 'Cancelled')], default='requested', max_length=20, verbose_name='node')),
                        ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='delivered at')),
                        ('requested_at', models.DateTimeField(verbose_name='requested at')),
                        ('booking_due_at', models.DateTimeField(blank=True, null=True, verbose_name='appointment to be booked by')),
                        ('booked_at', models.DateTimeField(blank=True, null=True, verbose_name='first appointment booked at')),
                        ('completion_due_at', models.DateTimeField(blank=True, null=True, verbose_name='to be installed by')),
                        ('on_site_at', models.DateTimeField(blank=True, null=True, verbose_name='technician on site at')),
                        ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='completed at')),
                        ('visits', models.PositiveSmallIntegerField(default=0, verbose_name='visits')),
                        ('customer_confirmed', models.BooleanField(default=False, verbose_name='confirmed by the customer')),
                        ('failure_reason', models.CharField(blank=True, max_length=300, verbose_name='failure reason')),
                        ('created_at', models.DateTimeField(verbose_name='created at')),
                        ('updated_at', models.DateTimeField(db_index=True, verbose_name='updated at')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                        ('shipment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='installation_jobs', to='logistics.shipment', verbose_name='shipment')),
                        ('store', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='installation_jobs', to='portal.store', verbose_name='store')),
                        ('partner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='jobs', to='installation.installationpartner', verbose_name='installation partner')),
                        ('product', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='installation_jobs', to='installation.product', verbose_name='product')),
                    ],
                    options={
                        'db_table': 'logistics_installationjob',
                        'verbose_name': 'installation job',
                        'verbose_name_plural': 'installation jobs',
                        'ordering': ['-requested_at', '-id'],
                        'indexes': [models.Index(fields=['store', 'order_number'], name='logistics_job_order_idx'), models.Index(fields=['node', 'booking_due_at'], name='logistics_job_node_idx')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('shipment__isnull', False)), fields=('shipment', 'product'), name='logistics_one_job_per_parcel_product')],
                        'permissions': [('progress_installationjob', 'Can record installation job events'), ('view_customer_installationjob', "Can see the installation customer's contact details unmasked")],
                    },
                ),
                migrations.CreateModel(
                    name='InstallationAlert',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('booking_overdue', 'No appointment booked in time'), ('not_on_site', 'Technician not on site by the end of the window'), ('completion_overdue', 'Not installed in time')], max_length=20, verbose_name='kind')),
                        ('status', models.CharField(choices=[('open', 'Open'), ('closed', 'Closed')], default='open', max_length=10, verbose_name='status')),
                        ('trigger_at', models.DateTimeField(verbose_name='due at')),
                        ('opened_at', models.DateTimeField(verbose_name='opened at')),
                        ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                        ('scan_token', models.CharField(blank=True, db_index=True, editable=False, max_length=32)),
                        ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='installation.installationjob', verbose_name='installation job')),
                    ],
                    options={
                        'db_table': 'logistics_installationalert',
                        'verbose_name': 'installation alert',
                        'verbose_name_plural': 'installation alerts',
                        'ordering': ['-opened_at', '-id'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'open')), fields=('job', 'kind'), name='logistics_one_open_installation_alert')],
                    },
                ),
                migrations.CreateModel(
                    name='InstallationEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('node', models.CharField(choices=[('requested', 'Requested'), ('scheduled', 'Scheduled'), ('dispatched', 'Dispatched'), ('on_site', 'On site'), ('completed', 'Completed'), ('failed', 'Failed'), ('rescheduled', 'Rescheduled'), ('cancelled', 'Cancelled')], max_length=20, verbose_name='node')),
                        ('from_node', models.CharField(blank=True, choices=[('requested', 'Requested'), ('scheduled', 'Scheduled'), ('dispatched', 'Dispatched'), ('on_site', 'On site'), ('completed', 'Completed'), ('failed', 'Failed'), ('rescheduled', 'Rescheduled'), ('cancelled', 'Cancelled')], max_length=20, verbose_name='from')),
                        ('at', models.DateTimeField(verbose_name='time')),
                        ('recorded_at', models.DateTimeField(verbose_name='recorded at')),
                        ('source', models.CharField(choices=[('system', 'System'), ('staff', 'Staff'), ('partner', 'Installation partner')], default='staff', max_length=10, verbose_name='source')),
                        ('note', models.TextField(blank=True, verbose_name='note')),
                        ('technician_name', models.CharField(blank=True, max_length=100, verbose_name='technician')),
                        ('appointment_start', models.DateTimeField(blank=True, null=True, verbose_name='appointment from')),
                        ('appointment_end', models.DateTimeField(blank=True, null=True, verbose_name='appointment until')),
                        ('photos', models.JSONField(blank=True, default=list, verbose_name='photos (URLs)')),
                        ('reason', models.CharField(blank=True, max_length=300, verbose_name='reason')),
                        ('client_key', models.CharField(blank=True, editable=False, max_length=60)),
                        ('client_event_id', models.CharField(blank=True, max_length=100, verbose_name='client event id')),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                        ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='installation.installationjob', verbose_name='installation job')),
                        ('partner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='installation.installationpartner', verbose_name='partner')),
                    ],
                    options={
                        'db_table': 'logistics_installationevent',
                        'verbose_name': 'installation event',
                        'verbose_name_plural': 'installation events',
                        'ordering': ['at', 'id'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('client_event_id', ''), _negated=True), fields=('client_key', 'client_event_id'), name='logistics_unique_installation_client_event')],
                    },
                ),
                migrations.CreateModel(
                    name='InstallationTicketLink',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('ticket_id', models.PositiveBigIntegerField(db_index=True, verbose_name='ticket')),
                        ('linked_at', models.DateTimeField(verbose_name='linked at')),
                        ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ticket_links', to='installation.installationjob', verbose_name='installation job')),
                        ('linked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='linked by')),
                    ],
                    options={
                        'db_table': 'logistics_installationticketlink',
                        'verbose_name': 'installation ticket link',
                        'verbose_name_plural': 'installation ticket links',
                        'ordering': ['linked_at', 'id'],
                        'constraints': [models.UniqueConstraint(fields=('job', 'ticket_id'), name='logistics_unique_job_ticket')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name='installationpartner', table=None),
        migrations.AlterModelTable(name='product', table=None),
        migrations.AlterModelTable(name='installationjob', table=None),
        migrations.AlterModelTable(name='installationalert', table=None),
        migrations.AlterModelTable(name='installationevent', table=None),
        migrations.AlterModelTable(name='installationticketlink', table=None),
        migrations.RunPython(relabel_content_types, restore_content_types),
    ]
