"""Hostile and odd input on the scores surfaces: each answered at its field (or 404), never a 500,
nothing stored that would later break the snapshot or the pages."""

import io
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from portal.roles import Role
from portal.tokens import create_token
from scores.models import EmbedSettings, OfficialScore, ScoreSnapshot, validate_points
from tests.factories import make_integration, make_store, make_team, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return make_store("hostile-store", name='云晾 "旗舰" <店>')


@pytest.fixture
def manager(store):
    return make_user("hostile-manager", role=Role.MANAGER, team=make_team("Mgmt", stores=[store]))


def _logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def _api(store):
    integration = make_integration(kinds=["official_scores"], stores=[store], team=make_team("API"))
    return Client(HTTP_AUTHORIZATION=f"Token {create_token(user=integration, now=timezone.now())[1]}")


@pytest.mark.parametrize("when, figures, field", [
    ("0001-01-01", {"experience_overall": 4}, "date"),
    ("9999-12-31", {"experience_overall": 4}, "date"),
    ("tomorrow", {"experience_overall": 4}, "date"),
    ("yesterday", {"experience_overall": 10 ** 400}, "figures"),
])
def test_official_api_refuses_impossible_days_and_numbers(store, when, figures, field):
    today = timezone.localdate()
    on = {"tomorrow": today + timedelta(days=1), "yesterday": today - timedelta(days=1)}.get(when, when)
    body = {"store": store.code, "date": str(on), "figures": figures}
    response = _api(store).post("/api/v1/scores/official/", body, content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == [field]
    assert not OfficialScore.objects.exists()


def test_official_form_refuses_a_day_outside_the_years_at_the_field(store, manager):
    response = _logged_in(manager).post("/scores/official/", {"store": store.code, "date": "9999-12-31",
                                                              "experience_overall": "4.8"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["form"].errors["date"] == ["Give a date between the years 2000 and 2100."]
    assert not OfficialScore.objects.exists()


@pytest.mark.parametrize("content, message", [
    (b'store,date,experience_overall\nhostile-store,2026-11-21,"' + b"9" * 140_000 + b'"\n',
     "The file is not a readable CSV table: field larger than field limit (131072)"),
    (b"store,date,experience_overall\nhostile-store,20261121,4.7\n", "Line 2: date is not YYYY-MM-DD"),
    (b"store,date,experience_overall\nhostile-store,2026-11-21,1e999\n", "Line 2: experience_overall: Give a number."),
])
def test_official_csv_bad_files_are_refused_at_the_field(store, manager, content, message):
    upload = io.BytesIO(content)
    upload.name = "figures.csv"
    response = _logged_in(manager).post("/scores/official/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["import_form"].errors["file"] == [message]
    assert not OfficialScore.objects.exists()


@pytest.mark.parametrize("origin", ["https://[::1", "https://user:pw@shop.example.com", "https://shop.example.com?x=1",
                                    "https://shop.example.com#top", "https://shop.example.com:99999"])
def test_embed_origins_that_are_not_origins_are_refused_at_the_field(store, manager, origin):
    response = _logged_in(manager).post(f"/scores/stores/{store.code}/embed/", {"frame_origins": origin},
                                        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["form"].errors["frame_origins"] == [
        f"{origin} is not an origin like https://shop.example.com"]
    assert not EmbedSettings.objects.filter(frame_origins__contains="example").exists()


@pytest.mark.parametrize("points", [[[float("nan"), 0], [1, 5]], [[0, 0], [float("inf"), 5]], [[0, 0], [10 ** 400, 5]]])
def test_thresholds_must_be_numbers_a_float_can_hold(points):
    with pytest.raises(ValidationError) as refused:
        validate_points(points)
    assert refused.value.messages == ["Each threshold is a [value, score] pair of numbers."]


def test_the_snippets_to_copy_escape_the_store_name(store, manager):
    html = _logged_in(manager).get(f"/scores/stores/{store.code}/embed/").content.decode()
    # The snippet is shown as text inside the page: escaped once for the snippet, once for the page.
    assert 'title=&quot;云晾 &amp;quot;旗舰&amp;quot; &amp;lt;店&amp;gt;&quot;' in html
    assert '<店>' not in html


def test_a_deviation_of_zero_reads_zero_not_a_dash(store, manager):
    on = timezone.localdate() - timedelta(days=1)
    ScoreSnapshot.objects.create(store=store, date=on, window_days=30, overall=4.5, day_figures={})
    OfficialScore.objects.create(store=store, date=on, experience_overall=4.5, source="api", recorded_at=timezone.now())
    response = _logged_in(manager).get(f"/scores/stores/{store.code}/")
    row = next(r for r in response.context["rows"] if r["date"] == on)
    assert row["deviation"] == 0
    assert f'<td>{on:%Y-%m-%d}</td><td>4.50</td><td>4.50</td><td>0.0</td>' in response.content.decode()


def test_an_export_in_another_format_is_not_found(store, manager):
    client = _logged_in(manager)
    assert client.get("/scores/export/manager/score_trend.csv").status_code == 200
    assert client.get("/scores/export/manager/score_trend.pdf").status_code == 404


def test_public_badges_answer_a_weak_etag_with_304_and_name_their_language(store):
    cache.clear()
    url = f"/api/v1/public/stores/{store.code}/badges/"
    first = Client().get(url, {"lang": "en"})
    assert first["Content-Language"] == "en"
    assert Client().get(url, {"lang": "en"}, HTTP_IF_NONE_MATCH=f"W/{first['ETag']}").status_code == 304
    assert Client().get(url, {"lang": "zh-hans"})["Content-Language"] == "zh-hans"
    cache.clear()


def test_date_of_today_is_accepted(store):
    body = {"store": store.code, "date": str(timezone.localdate()), "figures": {"experience_overall": 4.6}}
    assert _api(store).post("/api/v1/scores/official/", body, content_type="application/json").status_code == 201
    assert OfficialScore.objects.get().date == timezone.localdate()
