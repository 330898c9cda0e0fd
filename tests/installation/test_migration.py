"""Installation leaving the logistics app, on a database with data in it.

The database goes back to the schema of before the move (installation models in the logistics app,
tables `logistics_*`), gets rows written the old way, including a group and a user granted the old
`logistics.*` permissions, and migrates forward. Every row must keep its id and foreign keys under
the new app label, in the renamed tables, and the grants must follow the content types. Runs on
SQLite and on PostgreSQL (DATABASE_URL)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from installation.models import (
    InstallationAlert,
    InstallationEvent,
    InstallationJob,
    InstallationPartner,
    InstallationTicketLink,
    Product,
)
from tests.factories import make_store, make_team, make_user

# The schema as it was before installation became an app: logistics up to 0003, no installation app.
BEFORE = [("logistics", "0003_tracking_event_insert_cost"), ("installation", None)]
MOVED = ["product", "installationpartner", "installationjob", "installationevent", "installationalert",
         "installationticketlink"]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([target for target in targets if target[1] is not None]).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def before_the_move(transactional_db):
    """The database at the schema before the move; whatever happens, it ends at the latest schema."""
    try:
        yield _migrate(BEFORE)
    finally:
        _migrate(_latest())
        ContentType.objects.clear_cache()


def _tables():
    return set(connection.introspection.table_names())


def test_existing_rows_and_grants_move_to_the_installation_app(before_the_move):
    from tickets.models import Queue
    from tickets.services import create_ticket

    old = before_the_move
    assert {"logistics_installationjob", "logistics_installationpartner_stores"} <= _tables()
    assert "installation_installationjob" not in _tables()
    assert not ContentType.objects.filter(app_label="installation").exists()

    # Rows as the logistics app wrote them (historical models of the old schema).
    now = timezone.now().replace(microsecond=0)
    store = make_store("clouddry-tmall")
    team = make_team("CS", stores=[store])
    agent = make_user("agent-m")
    partner_user = make_user("partner-api")
    ticket = create_ticket(store=store, actor=agent, now=now, queue=Queue.objects.create(name="Q", team=team),
                           order_no="T-MIG", subject="install please")
    # The carrier and parcel through the historical models too: later logistics migrations add columns.
    carrier = old.get_model("logistics", "Carrier").objects.create(code="SF", name="SF Express")
    shipment = old.get_model("logistics", "Shipment").objects.create(
        store_id=store.pk, carrier_id=carrier.pk, waybill_number="SF-MIG", order_number="T-MIG",
        product_skus=["RACK-X1"], status="delivered", delivered_at=now - timedelta(hours=3), created_at=now)
    OldProduct = old.get_model("logistics", "Product")
    OldPartner = old.get_model("logistics", "InstallationPartner")
    OldJob = old.get_model("logistics", "InstallationJob")
    OldEvent = old.get_model("logistics", "InstallationEvent")
    OldAlert = old.get_model("logistics", "InstallationAlert")
    OldLink = old.get_model("logistics", "InstallationTicketLink")
    product = OldProduct.objects.create(store_id=store.pk, sku="RACK-X1", name="Rack", needs_installation=True)
    partner = OldPartner.objects.create(code="tmall-install", name="Tmall install")
    partner.stores.add(store.pk)
    partner.users.add(partner_user.pk)
    job = OldJob.objects.create(
        store_id=store.pk, order_number="T-MIG", shipment_id=shipment.pk, product_id=product.pk,
        customer_name="刘洋", customer_phone="13711112222", address="上海", partner_id=partner.pk, node="scheduled",
        delivered_at=shipment.delivered_at, requested_at=now, booking_due_at=now + timedelta(hours=48),
        appointment_start=now + timedelta(hours=20), appointment_end=now + timedelta(hours=22),
        created_by_id=agent.pk, created_at=now, updated_at=now,
    )
    events = [OldEvent.objects.create(job_id=job.pk, node=node, from_node=from_node, at=now, recorded_at=now,
                                      actor_id=agent.pk, partner_id=partner.pk, source="partner",
                                      client_key=f"partner:{partner.pk}", client_event_id=f"e-{node}")
              for from_node, node in (("", "requested"), ("requested", "scheduled"))]
    alert = OldAlert.objects.create(job_id=job.pk, kind="booking_overdue", status="open", trigger_at=now,
                                    opened_at=now)
    link = OldLink.objects.create(job_id=job.pk, ticket_id=ticket.pk, linked_at=now, linked_by_id=agent.pk)

    # A group (not one of the role groups) and a user granted the old permissions.
    granted = Permission.objects.filter(content_type__app_label="logistics",
                                        codename__in=["progress_installationjob", "view_installationjob"])
    assert granted.count() == 2
    night_shift = Group.objects.create(name="Installation night shift")
    night_shift.permissions.set(granted)
    coordinator = make_user("night-coordinator")
    coordinator.groups.add(night_shift)
    direct = Permission.objects.get(content_type__app_label="logistics", codename="view_customer_installationjob")
    partner_user.user_permissions.add(direct)
    old_ids = {"permissions": set(granted.values_list("pk", flat=True)) | {direct.pk},
               "content_types": dict(ContentType.objects.filter(app_label="logistics", model__in=MOVED)
                                     .values_list("model", "pk"))}
    assert set(old_ids["content_types"]) == set(MOVED)

    _migrate(_latest())

    # The tables carry the new app's prefix; nothing is left under the old names.
    tables = _tables()
    assert {f"installation_{model}" for model in MOVED} <= tables
    assert {"installation_installationpartner_stores", "installation_installationpartner_users"} <= tables
    assert not {f"logistics_{model}" for model in MOVED} & tables
    # Same rows, same ids, same foreign keys, read through the installation app's models.
    moved = InstallationJob.objects.get(pk=job.pk)
    assert (moved.store_id, moved.shipment_id, moved.product_id, moved.partner_id, moved.created_by_id) == (
        store.pk, shipment.pk, product.pk, partner.pk, agent.pk)
    assert (moved.node, moved.customer_phone, moved.order_number) == ("scheduled", "13711112222", "T-MIG")
    assert list(moved.events.values_list("pk", "node", "partner_id", "actor_id")) == [
        (event.pk, event.node, partner.pk, agent.pk) for event in events]
    assert list(moved.alerts.values_list("pk", "kind", "status")) == [(alert.pk, "booking_overdue", "open")]
    assert list(moved.ticket_links.values_list("pk", "ticket_id", "linked_by_id")) == [(link.pk, ticket.pk, agent.pk)]
    assert Product.objects.get(pk=product.pk).store_id == store.pk
    partner_now = InstallationPartner.objects.get(pk=partner.pk)
    assert list(partner_now.stores.values_list("pk", flat=True)) == [store.pk]
    assert list(partner_now.users.values_list("pk", flat=True)) == [partner_user.pk]
    assert list(InstallationJob.objects.filter(shipment_id=shipment.pk).values_list("pk", flat=True)) == [job.pk]
    # The content types changed label in place (same ids), so the permission rows and grants followed.
    assert dict(ContentType.objects.filter(app_label="installation", model__in=MOVED)
                .values_list("model", "pk")) == old_ids["content_types"]
    assert not ContentType.objects.filter(app_label="logistics", model__in=MOVED).exists()
    assert set(night_shift.permissions.values_list("content_type__app_label", "codename")) == {
        ("installation", "progress_installationjob"), ("installation", "view_installationjob")}
    assert set(Permission.objects.filter(content_type__app_label="installation",
                                         codename__in=["progress_installationjob", "view_installationjob",
                                                       "view_customer_installationjob"])
               .values_list("pk", flat=True)) == old_ids["permissions"]
    coordinator = type(coordinator).objects.get(pk=coordinator.pk)  # no cached permissions
    assert coordinator.has_perm("installation.progress_installationjob")
    assert not coordinator.has_perm("logistics.progress_installationjob")
    partner_user = type(partner_user).objects.get(pk=partner_user.pk)
    assert partner_user.has_perm("installation.view_customer_installationjob")

    # The tables keep working: new ids follow the old ones, and the constraints still hold.
    newer = InstallationEvent.objects.create(job=moved, node="dispatched", from_node="scheduled", at=now,
                                             recorded_at=now, technician_name="周师傅")
    assert newer.pk > max(event.pk for event in events)
    with pytest.raises(IntegrityError), transaction.atomic():
        InstallationAlert.objects.create(job=moved, kind="booking_overdue", status="open", trigger_at=now,
                                         opened_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        InstallationTicketLink.objects.create(job=moved, ticket_id=ticket.pk, linked_at=now)
