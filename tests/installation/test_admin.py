"""Installation admin lives under /admin/installation/; the pages the models had under
/admin/logistics/ redirect there for good, path and query string kept."""

import pytest

from tests.installation.factories import make_job, make_product

pytestmark = pytest.mark.django_db


def test_the_admin_pages_are_the_installation_apps(portal, client):
    store = portal.stores["clouddry-tmall"]
    job = make_job(store, product=make_product(store), order="T-ADMIN")
    client.force_login(portal["admin"])
    assert client.get("/admin/installation/").status_code == 200
    changelist = client.get("/admin/installation/installationjob/")
    assert changelist.status_code == 200 and "T-ADMIN" in changelist.content.decode()
    assert client.get(f"/admin/installation/installationjob/{job.pk}/change/").status_code == 200
    assert client.get("/admin/installation/product/").status_code == 200


@pytest.mark.parametrize("old, new", [
    ("/admin/logistics/installationjob/", "/admin/installation/installationjob/"),
    ("/admin/logistics/installationjob/7/change/?_changelist_filters=node%3Dscheduled",
     "/admin/installation/installationjob/7/change/?_changelist_filters=node%3Dscheduled"),
    ("/admin/logistics/product/?q=RACK&store__id__exact=2", "/admin/installation/product/?q=RACK&store__id__exact=2"),
    ("/admin/logistics/installationpartner/add/", "/admin/installation/installationpartner/add/"),
    ("/admin/logistics/installationalert/3/history/", "/admin/installation/installationalert/3/history/"),
])
def test_the_old_admin_addresses_redirect_permanently(client, old, new):
    response = client.get(old)
    assert response.status_code == 301 and response["Location"] == new


def test_the_logistics_admin_stays_where_it_is(portal, client):
    client.force_login(portal["admin"])
    assert client.get("/admin/logistics/").status_code == 200
    assert client.get("/admin/logistics/shipment/").status_code == 200
    assert client.get("/admin/logistics/installationjob/").status_code == 301
