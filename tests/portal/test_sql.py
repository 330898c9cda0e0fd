"""portal.sql.insert_select: one INSERT ... SELECT, defaults filled in, order kept, conflicts skipped."""

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F, Value
from django.test.utils import CaptureQueriesContext

from portal.models import Membership, Team
from portal.sql import insert_select
from tests.factories import make_team, make_user


def test_one_statement_inserts_a_row_per_source_row_in_the_querysets_order(db):
    team = make_team()
    users = [make_user() for _ in range(3)]
    source = get_user_model().objects.filter(pk__in=[u.pk for u in users]).order_by("-pk")
    with CaptureQueriesContext(connection) as queries:
        inserted = insert_select(Membership, source, {"user": F("pk"), "team_id": Value(team.pk), "role": Value("agent")})
    assert inserted == 3
    assert len(queries) == 1
    rows = list(Membership.objects.order_by("pk").values_list("user_id", "team_id", "role", "is_available"))
    # Inserted in the queryset's order (highest user id first); is_available got its default.
    assert rows == [(u.pk, team.pk, "agent", True) for u in reversed(users)]


def test_ignore_conflicts_skips_rows_a_unique_constraint_refuses_and_does_not_count_them(db):
    team = make_team()
    first, second = make_user(), make_user()
    Membership.objects.create(user=first, team=team, role="team_lead")
    columns = {"user_id": F("pk"), "team": Value(team.pk), "role": Value("agent")}
    # No WHERE clause in the SELECT: SQLite must still parse ON CONFLICT as the upsert clause.
    everyone = get_user_model().objects.all()
    assert insert_select(Membership, everyone, columns, ignore_conflicts=True) == 1
    assert insert_select(Membership, everyone, columns, ignore_conflicts=True) == 0
    assert dict(Membership.objects.values_list("user_id", "role")) == {first.pk: "team_lead", second.pk: "agent"}


def test_a_queryset_that_matches_nothing_runs_no_statement(db):
    make_user()
    with CaptureQueriesContext(connection) as queries:
        inserted = insert_select(
            Team, get_user_model().objects.filter(pk__in=[]), {"name": F("username"), "kind": Value("customer_service")}
        )
    assert inserted == 0
    assert len(queries) == 0
