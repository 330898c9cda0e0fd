"""compute_scores (idempotent, backfill, command, schedule) and the scores API."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from portal.roles import Role
from portal.schedules import declared_schedules
from portal.tokens import create_token
from scores.models import BadgeChange, MetricSnapshot, OfficialScore, ScoreSnapshot, StoreBadge
from scores.services import compute_range, compute_scores
from tests.factories import make_integration, make_store, make_team, make_user
from tests.scores.factories import DAY, NOW, earned_badge, parcel, rule, sh

pytestmark = pytest.mark.django_db


def _rows():
    return (sorted(MetricSnapshot.objects.values_list("store_id", "date", "metric", "value", "sample", "score")),
            sorted(ScoreSnapshot.objects.values_list("store_id", "date", "overall", "logistics", "service",
                                                     "day_figures")))


def test_compute_twice_gives_identical_snapshots_and_a_backfill_covers_every_day():
    store = make_store()
    rule("pickup_48h_rate", [[0.5, 0], [1.0, 5]], minimum=2)
    earned_badge(minimum=2, threshold=0.9)
    base = sh(2026, 11, 15, 9)
    parcel(store, created=base, picked=base + timedelta(hours=1))
    parcel(store, created=base, picked=base + timedelta(hours=60))
    compute_scores(DAY, now=NOW)
    first = _rows()
    compute_scores(DAY, now=NOW)
    assert _rows() == first
    snapshot = ScoreSnapshot.objects.get(store=store, date=DAY)
    assert (snapshot.logistics, snapshot.overall) == (0.0, 0.0)  # 50 % on a 50-100 % scale
    assert MetricSnapshot.objects.get(store=store, date=DAY, metric="pickup_48h_rate").value == 0.5
    compute_range(DAY - timedelta(days=4), DAY, now=NOW)
    assert ScoreSnapshot.objects.filter(store=store).count() == 5
    assert StoreBadge.objects.get(store=store).state == "lost"
    assert BadgeChange.objects.count() == 1


def test_the_command_defaults_to_yesterday_and_backfills_with_dates():
    store = make_store("cmd-store")
    call_command("compute_scores", "--store", "cmd-store", "--from", "2026-11-01", "--to", "2026-11-03")
    assert sorted(ScoreSnapshot.objects.filter(store=store).values_list("date", flat=True)) == [
        date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    call_command("compute_scores")
    from django.utils import timezone

    assert ScoreSnapshot.objects.filter(date=timezone.localdate() - timedelta(days=1)).exists()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("compute_scores", "--store", "nope")
    with pytest.raises(CommandError):
        call_command("compute_scores", "--from", "2026-11-03")


def test_daily_schedule_is_declared():
    spec = next(s for s in declared_schedules() if s.name == "scores.compute_scores")
    assert spec.minutes == 24 * 60 and spec.func == "scores.tasks.compute_scores"


def _token_client(user):
    return Client(HTTP_AUTHORIZATION=f"Token {create_token(user=user, now=timezone.now())[1]}")


def test_official_figures_are_idempotent_per_store_and_day():
    store = make_store("official-store")
    integration = make_integration(kinds=["official_scores"], stores=[store], team=make_team())
    client = _token_client(integration)
    body = {"store": "official-store", "date": "2026-11-20",
            "figures": {"experience_overall": 4.8, "dsr_service": 4.9}}
    first = client.post("/api/v1/scores/official/", body, content_type="application/json")
    assert first.status_code == 201 and first.json()["experience_overall"] == 4.8
    body["figures"] = {"experience_overall": 4.7}
    again = client.post("/api/v1/scores/official/", body, content_type="application/json")
    assert again.status_code == 200
    row = OfficialScore.objects.get(store=store)
    assert (row.experience_overall, row.dsr_service, row.source) == (4.7, None, "api")  # a repeat replaces
    # An integration client of another kind, serving the same store, may not post official figures.
    carrier = _token_client(make_integration(kinds=["carrier_feed"], stores=[store], team=make_team()))
    refused = carrier.post("/api/v1/scores/official/", body, content_type="application/json")
    assert refused.status_code == 403 and "not one of its kinds" in refused.json()["detail"]
    assert OfficialScore.objects.get(store=store).experience_overall == 4.7


@pytest.mark.parametrize("body, field", [
    ({"store": "official-store", "date": "2026-11-20", "figures": {"experience_overall": "4.8"}}, "figures"),
    ({"store": "official-store", "date": "2026-11-20", "figures": {"experience_overall": 7}}, "figures"),
    ({"store": "official-store", "date": "2026-11-20", "figures": {"made_up": 4}}, "figures"),
    ({"store": "official-store", "date": "2026-11-20", "figures": []}, "figures"),
    ({"store": "official-store", "date": "2026-11-20", "figures": {}}, "figures"),
    ({"store": "official-store", "date": "20/11/2026", "figures": {"experience_overall": 4}}, "date"),
    ({"store": 12, "date": "2026-11-20", "figures": {"experience_overall": 4}}, "store"),
    ({"store": "nope", "date": "2026-11-20", "figures": {"experience_overall": 4}}, "store"),
])
def test_bad_official_input_is_400_at_the_field(body, field):
    store = make_store("official-store")
    client = _token_client(make_integration(kinds=["official_scores"], stores=[store], team=make_team()))
    response = client.post("/api/v1/scores/official/", body, content_type="application/json")
    assert response.status_code == 400 and field in response.json()


def test_roles_without_the_permission_get_403_and_anonymous_401():
    make_store("official-store")
    agent = make_user(role=Role.AGENT, team=make_team())
    body = {"store": "official-store", "date": "2026-11-20", "figures": {"experience_overall": 4}}
    assert _token_client(agent).post("/api/v1/scores/official/", body, content_type="application/json") \
        .status_code == 403
    assert Client().post("/api/v1/scores/official/", body, content_type="application/json").status_code == 401
    assert _token_client(agent).get("/api/v1/scores/").status_code == 403


def test_snapshots_and_today_in_the_callers_scope():
    mine, other = make_store("mine"), make_store("other")
    lead = make_user(role=Role.TEAM_LEAD, team=make_team(stores=[mine]))
    compute_scores(DAY, now=NOW)
    client = Client()
    client.force_login(lead)
    rows = client.get("/api/v1/scores/?from=2026-11-01&to=2026-11-30").json()
    assert [r["store"] for r in rows] == ["mine"] and rows[0]["date"] == "2026-11-20"
    assert set(rows[0]["metrics"]) >= {"pickup_48h_rate", "dispute_rate"}
    assert client.get("/api/v1/scores/?store=other").status_code == 400  # outside scope: as unknown
    assert client.get("/api/v1/scores/?from=2020-01-01&to=2026-01-01").status_code == 400  # too long
    today = client.get("/api/v1/scores/today/?store=mine").json()
    assert today["store"] == "mine" and today["window_days"] == 30 and "metrics" in today
    assert client.get("/api/v1/scores/today/").status_code == 400
    assert other  # exists, but not the lead's


def test_csv_import_all_rows_or_none():
    from django.core.exceptions import ValidationError

    from portal.models import Store
    from scores.models import OfficialScore
    from scores.services import import_official_csv

    make_store("csv-store")
    good = "store,date,experience_overall,dsr_service\ncsv-store,2026-11-19,4.8,4.7\ncsv-store,2026-11-20,4.75,\n"
    assert import_official_csv(good.encode(), stores=Store.objects.all(), actor=None, now=NOW) == {"rows": 2}
    assert OfficialScore.objects.get(date=date(2026, 11, 20)).experience_overall == 4.75
    bad = "store,date,experience_overall\ncsv-store,2026-11-21,4.8\nnope,2026-11-22,9\n"
    with pytest.raises(ValidationError) as error:
        import_official_csv(bad.encode(), stores=Store.objects.all(), actor=None, now=NOW)
    assert "Line 3" in str(error.value)
    assert not OfficialScore.objects.filter(date=date(2026, 11, 21)).exists()
