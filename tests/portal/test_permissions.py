"""`restrict` fails closed: a model without a scope rule is a start-up error and a run-time error,
never "every row"; admin choice lists and saves go through the same rules."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured

from portal import permissions
from portal.checks import check_scope_rules
from portal.models import Store, Team
from tests.admin_forms import read_admin_form


def test_every_model_of_the_portal_apps_has_a_scope_rule():
    assert check_scope_rules(None) == []
    governed = {model._meta.label for model in permissions.governed_models()}
    assert {"portal.Store", "tickets.Ticket", "logistics.Shipment", "installation.InstallationJob"} <= governed
    assert not any(label.startswith(("auth.", "contenttypes.", "django_q.")) for label in governed)


def test_a_model_without_a_rule_fails_the_system_check(monkeypatch):
    monkeypatch.delitem(permissions._RULES, Store)
    errors = check_scope_rules(None)
    assert [e.id for e in errors] == ["portal.E010"]
    assert errors[0].msg == "No scope rule for: portal.Store."


def test_a_model_without_a_rule_fails_at_run_time_instead_of_showing_everything(monkeypatch, demo):
    monkeypatch.delitem(permissions._RULES, Store)
    for user in (demo["agent"], demo["admin"]):
        with pytest.raises(ImproperlyConfigured, match="No scope rule for portal.Store"):
            permissions.restrict(Store.objects.all(), user, "view")


def test_a_model_outside_the_portal_apps_has_no_rule_either(demo):
    from django.contrib.auth.models import Group

    with pytest.raises(ImproperlyConfigured):
        permissions.restrict(Group.objects.all(), demo["admin"], "view")


def test_unscoped_needs_a_reason():
    with pytest.raises(ImproperlyConfigured):
        permissions.unscoped(Store, reason=" ")


def test_an_unrestricted_inline_in_a_restricted_admin_fails_the_system_check(monkeypatch):
    class PlainInline(admin.TabularInline):
        model = Team.stores.through

    team_admin = admin.site._registry[Team]
    monkeypatch.setattr(team_admin, "inlines", [*team_admin.inlines, PlainInline])
    errors = check_scope_rules(None)
    assert [e.id for e in errors] == ["portal.E010", "portal.E011"]
    assert "portal.Team_stores" in errors[0].msg
    assert errors[1].obj is PlainInline


def test_the_declared_unscoped_models_say_why():
    reasons = {model._meta.label: reason for model, reason in permissions.scope_registry().items() if reason}
    assert "tickets.Queue" in reasons and "logistics.Carrier" in reasons
    assert "tickets.Ticket" not in reasons and "logistics.Shipment" not in reasons
    assert all(len(reason) > 20 for reason in reasons.values())


# --- Admin choice lists -----------------------------------------------------------------------


@pytest.fixture
def staff_lead(demo):
    """The demo team lead made staff and allowed to edit teams: their scope is the drying-rack team."""
    lead = demo["lead"]
    lead.is_staff = True
    lead.save()
    lead.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="portal", codename__in=["change_team", "view_team"])
    )
    return lead


def test_admin_many_to_many_choices_offer_only_in_scope_stores(staff_lead, client):
    team = Team.objects.get(name="晾衣架客服组")
    client.force_login(staff_lead)
    page = client.get(f"/admin/portal/team/{team.pk}/change/")
    assert page.status_code == 200
    data, options = read_admin_form(page.content.decode(), "team")
    assert set(options["stores"]) == {str(Store.objects.get(code="clouddry-tmall").pk)}
    # The parent team (above the lead) is outside their scope: kept as the current value, and no
    # other team outside it is offered.
    other = Team.objects.get(name="电动车客服组")
    assert data["parent"] == str(team.parent_id)
    assert set(options["parent"]) - {""} == {str(team.parent_id), str(team.pk)}
    refused = client.post(f"/admin/portal/team/{team.pk}/change/", {**data, "parent": str(other.pk)})
    assert refused.status_code == 200
    assert "parent" in refused.context["adminform"].form.errors
    data["stores"] = [str(Store.objects.get(code="swiftride-tmall").pk)]
    refused = client.post(f"/admin/portal/team/{team.pk}/change/", data)
    assert refused.status_code == 200
    assert "stores" in refused.context["adminform"].form.errors
    team.refresh_from_db()
    assert list(team.stores.values_list("code", flat=True)) == ["clouddry-tmall"]
    assert team.parent.name == "客服部"
    data["stores"] = [str(Store.objects.get(code="clouddry-tmall").pk)]
    saved = client.post(f"/admin/portal/team/{team.pk}/change/", {**data, "name": "晾衣架客服一组"})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    team.refresh_from_db()
    assert (team.name, team.parent.name) == ("晾衣架客服一组", "客服部")
