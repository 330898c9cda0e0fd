"""Domain operations on the org chart."""

from django.db import transaction

from portal.models import Membership


def add_member(*, user, team, role, is_available=True) -> Membership:
    """Put `user` in `team` with `role`, and in that role's group (which carries its permissions)."""
    from django.contrib.auth.models import Group

    with transaction.atomic():
        membership, _created = Membership.objects.update_or_create(
            user=user, team=team, defaults={"role": role, "is_available": is_available}
        )
        user.groups.add(Group.objects.get(name=str(role)))
    return membership
