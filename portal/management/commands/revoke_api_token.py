from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.models import ApiToken
from portal.tokens import revoke


class Command(BaseCommand):
    help = "Revoke API tokens of USERNAME: the one named --name, the one whose key starts with --prefix, or --all."

    def add_arguments(self, parser):
        parser.add_argument("username")
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--name", help="the token's name")
        which.add_argument("--prefix", help="the first characters of the key (at least 6)")
        which.add_argument("--all", action="store_true", help="every token of the user")

    def handle(self, *args, username, name=None, prefix=None, all=False, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        tokens = ApiToken.objects.filter(user=user)
        if name is not None:
            tokens = tokens.filter(name=name)
        elif prefix is not None:
            if len(prefix) < 6:
                raise CommandError("--prefix needs at least 6 characters of the key.")
            tokens = tokens.filter(prefix__startswith=prefix[:8])
        count = revoke(tokens, now=timezone.now())
        if not count:
            raise CommandError("No usable token matched; nothing revoked.")
        self.stdout.write(f"{count} token(s) revoked.")
