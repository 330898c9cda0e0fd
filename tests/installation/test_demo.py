"""The installation demo: products, partners, jobs in various nodes, SLA alerts; idempotent."""

from datetime import timedelta

from installation.demo import load_demo
from installation.models import InstallationAlert, InstallationJob, InstallationPartner, Product
from tests.logistics.factories import REPORT_TIME


def test_the_demo_shows_jobs_in_various_nodes_and_is_idempotent(demo, client):
    from logistics.demo import load_demo as load_logistics_demo

    load_logistics_demo(now=REPORT_TIME)  # delivers the sample report's parcel
    load_demo(now=REPORT_TIME)
    load_demo(now=REPORT_TIME)
    assert InstallationPartner.objects.count() == 2
    assert Product.objects.filter(store__code="clouddry-tmall", needs_installation=True).count() == 2
    nodes = set(InstallationJob.objects.values_list("node", flat=True))
    assert {"requested", "scheduled", "dispatched", "completed", "rescheduled", "cancelled"} <= nodes
    assert InstallationJob.objects.filter(shipment__waybill_number="SF1400000000101").exists()
    assert InstallationAlert.objects.filter(status="open").exists()
    # The move-in day story: exactly one appointment at risk, for the parcel waiting at the outlet.
    from installation.services import scan_installations
    from logistics.models import Alert

    scan_installations(now=REPORT_TIME + timedelta(minutes=5))
    at_risk = Alert.objects.filter(kind="appointment_at_risk", status="open")
    assert [a.shipment.order_number for a in at_risk] == ["T20261120017"]
    client.force_login(demo["installer"])
    assert client.get("/logistics/installations/").status_code == 200
    for job in InstallationJob.objects.all():
        assert client.get(f"/logistics/installations/{job.pk}/").status_code == 200
    # The partner API user sees only the marketplace service's jobs.
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="install-api"))
    partners = {job["partner"] for job in client.get("/api/v1/installations/").json()["results"]}
    assert partners == {"tmall-install"}
