"""A brand-new database gets every role's grants from its first migrate (not only the portal's)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command


@pytest.mark.django_db(transaction=True)
def test_role_groups_hold_every_apps_permissions_after_one_migrate():
    Permission.objects.all().delete()
    Group.objects.all().delete()
    call_command("migrate", verbosity=0)  # nothing to apply: only the post_migrate handlers run
    granted = set(Group.objects.get(name="agent").permissions.values_list("content_type__app_label", flat=True))
    assert {"tickets", "installation"} <= granted
    installer = set(Group.objects.get(name="installation_coordinator").permissions.values_list(
        "codename", flat=True))
    assert "progress_installationjob" in installer
