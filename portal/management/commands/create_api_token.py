from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.tokens import create_token


class Command(BaseCommand):
    help = (
        "Create a new API token for USERNAME and print only the key (shown this once: only its hash is "
        "stored). A usable token of the same name is replaced."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="default", help='the token\'s name (default "default")')
        parser.add_argument("--expires-days", type=int, default=None,
                            help="days until it expires (default API_TOKEN_EXPIRES_DAYS, 365; 0: never)")

    def handle(self, *args, username, name, expires_days, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user named {username!r}.") from exc
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive.")
        if expires_days is not None and expires_days < 0:
            raise CommandError("--expires-days must be 0 (never) or more.")
        name = name.strip()
        if not name or len(name) > 100:
            raise CommandError("--name must be 1 to 100 characters.")
        _token, key = create_token(user=user, name=name, expires_days=expires_days, now=timezone.now())
        self.stdout.write(key)
