"""One rule decides UI, API and admin: every role sees the same stores and teams through each."""

import re

import pytest

from portal.models import Store, Team

# What each demo user must see (DESIGN §3 scoping by team membership).
BOTH = {"clouddry-tmall", "swiftride-tmall"}
EXPECTED_STORES = {
    "agent": {"clouddry-tmall"},  # member of the drying-rack team only
    "agent2": {"swiftride-tmall"},
    "lead": {"clouddry-tmall"},
    "manager": BOTH,  # all customer-service teams
    "director": BOTH,  # everything read
    "chairman": BOTH,
    "refund": BOTH,  # the refund desk serves both stores
    "logistics": BOTH,
    "installer": BOTH,
    "trainer": BOTH,
    "admin": BOTH,
}


def stores_in_ui(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    return set(re.findall(r'<td class="store-code">([^<]+)</td>', page.content.decode()))


def stores_in_api(client):
    response = client.get("/api/v1/stores/")
    assert response.status_code == 200
    return {row["code"] for row in response.json()["results"]}


@pytest.mark.parametrize("username", sorted(EXPECTED_STORES))
def test_ui_and_api_show_the_same_stores(demo, client, username):
    client.force_login(demo[username])
    assert stores_in_ui(client) == stores_in_api(client) == EXPECTED_STORES[username]


@pytest.mark.parametrize("username", ["agent", "lead", "manager", "admin"])
def test_ui_and_api_show_the_same_teams(demo, client, username):
    from portal.permissions import restrict

    user = demo[username]
    client.force_login(user)
    api = {row["name"] for row in client.get("/api/v1/teams/?page_size=200").json()["results"]}
    expected = set(restrict(Team.objects.all(), user, "view").values_list("name", flat=True))
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert api == expected
    assert all(name in page for name in expected)
    if username == "agent":
        assert api == {"晾衣架客服组"}
    if username == "lead":
        assert api == {"晾衣架客服组"}
    if username == "manager":
        assert {"客服部", "晾衣架客服组", "电动车客服组"} <= api and "退款组" not in api


def test_admin_applies_the_same_scope(demo, client):
    """A staff user who is only an agent sees in admin exactly what the UI and API show them."""
    agent = demo["agent"]
    agent.is_staff = True
    agent.save()
    client.force_login(agent)
    changelist = client.get("/admin/portal/store/")
    assert changelist.status_code == 200
    body = changelist.content.decode()
    assert "clouddry-tmall" in body and "swiftride-tmall" not in body
    other = Store.objects.get(code="swiftride-tmall")
    # Out of scope: admin answers as for a store that does not exist (back to the admin index) ...
    missing = client.get("/admin/portal/store/999999/change/")
    hidden = client.get(f"/admin/portal/store/{other.pk}/change/")
    assert (hidden.status_code, hidden["Location"]) == (missing.status_code, missing["Location"]) == (302, "/admin/")
    assert client.get(f"/api/v1/stores/{other.pk}/").status_code == 404
    # ... and an agent may not change even an in-scope store anywhere.
    mine = Store.objects.get(code="clouddry-tmall")
    assert client.post(f"/admin/portal/store/{mine.pk}/change/", {"code": "x"}).status_code == 403
    assert client.patch(f"/api/v1/stores/{mine.pk}/", {"name": "x"}, content_type="application/json").status_code == 403


def test_non_staff_roles_cannot_enter_admin(demo, client):
    client.force_login(demo["manager"])
    assert client.get("/admin/portal/store/").status_code == 302  # to the admin login


def test_admin_role_may_change_stores_through_api_and_admin(demo, client):
    client.force_login(demo["admin"])
    store = Store.objects.get(code="clouddry-tmall")
    response = client.patch(f"/api/v1/stores/{store.pk}/", {"brand": "云晾"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["brand"] == "云晾"
    assert client.get(f"/admin/portal/store/{store.pk}/change/").status_code == 200


def test_integration_user_has_no_ui_pages_beyond_home(demo, client):
    client.force_login(demo["integration"])
    assert client.get("/inbox/").status_code == 403
