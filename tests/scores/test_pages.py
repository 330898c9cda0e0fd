"""The scores pages: dashboards per role (query counts that do not grow), exports with formula
cells neutralised, the store page, the drill-down in the viewer's scope, official figures, embed."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from portal.roles import Role
from scores.models import OfficialScore, ScoreSnapshot
from scores.services import compute_range
from tests.factories import make_store, make_team, make_user
from tests.tickets.factories import make_calendar, make_policy, make_queue
from tickets import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    store, other = make_store("page-store"), make_store("page-other")
    team = make_team("CS", stores=[store])
    queue = make_queue(team, name="=HYPERLINK(\"http://evil\")")
    make_policy(calendar=make_calendar(always_open=True), is_default=True)
    lead = make_user("page-lead", role=Role.TEAM_LEAD, team=team)
    agent = make_user("page-agent", role=Role.AGENT, team=team)
    manager = make_user("page-manager", role=Role.MANAGER, team=make_team("Mgmt", stores=[store]))
    director = make_user("page-director", role=Role.DIRECTOR, team=make_team("Dir"))
    return {"store": store, "other": other, "queue": queue, "lead": lead, "agent": agent, "manager": manager,
            "director": director}


def _tickets(world, n):
    now = timezone.now()
    for i in range(n):
        ticket = services.create_ticket(store=world["store"], queue=world["queue"], actor=None,
                                        now=now - timedelta(hours=i), buyer_nick=f"b{i}", subject=f"s{i}")
        services.assign(ticket, actor=world["lead"], assignee=world["agent"], now=now)
        if i % 3 == 0:
            services.reply(ticket, actor=world["agent"], body="ok", now=now)


def _get(user, url):
    client = Client()
    client.force_login(user)
    client.get("/")  # the session and the user's roles: not part of the count
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, len(queries)


def test_lead_live_panel_query_count_does_not_grow_with_open_tickets(world):
    _tickets(world, 3)
    small, few = _get(world["lead"], "/scores/?view=lead")
    _tickets(world, 30)
    large, many = _get(world["lead"], "/scores/?view=lead")
    assert small.status_code == large.status_code == 200
    assert few == many <= 20
    assert "page-agent" in large.content.decode()


def test_manager_and_executive_dashboards_read_snapshots_in_few_queries(world):
    now = timezone.now()
    last = timezone.localdate(now) - timedelta(days=1)
    compute_range(last - timedelta(days=9), last, now=now)
    for user, view in ((world["manager"], "manager"), (world["director"], "manager"), (world["director"], "executive")):
        response, count = _get(user, f"/scores/?view={view}")
        assert response.status_code == 200 and count <= 20, (view, count)
        html = response.content.decode()
        assert 'data-chart="' in html  # every view draws at least one chart
        assert "chart-specs" in html and "vendor/echarts/echarts.min.js" in html
    # A manager sees only the stores in scope.
    html = _get(world["manager"], "/scores/?view=manager")[0].content.decode()
    assert "page-store" in html and "page-other" not in html
    assert _get(world["manager"], "/scores/?view=executive")[0].status_code == 403


def test_exports_neutralise_formula_cells(world):
    _tickets(world, 2)
    client = Client()
    client.force_login(world["lead"])
    response = client.get("/scores/export/lead/queues_now.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Queue" and rows[1][0] == "'=HYPERLINK(\"http://evil\")"
    assert rows[1][1] == "2"
    xlsx = client.get("/scores/export/lead/queues_now.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A2"].value == "'=HYPERLINK(\"http://evil\")" and sheet["B2"].value == 2
    assert client.get("/scores/export/manager/score_trend.csv").status_code == 403
    assert client.get("/scores/export/lead/nothing.csv").status_code == 404


def test_store_page_drill_down_and_scope(world):
    now = timezone.now()
    _tickets(world, 3)
    last = timezone.localdate(now) - timedelta(days=1)
    compute_range(last - timedelta(days=2), last, now=now)
    OfficialScore.objects.create(store=world["store"], date=last, experience_overall=4.8, source="api",
                                 recorded_at=now)
    ScoreSnapshot.objects.filter(store=world["store"], date=last).update(overall=4.6)
    response, _count = _get(world["manager"], "/scores/stores/page-store/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Mean absolute deviation over 90 days: 0.2" in html
    assert "/scores/stores/page-store/misses/resolution_24h_rate/" in html
    assert _get(world["manager"], "/scores/stores/page-other/")[0].status_code == 404
    assert _get(world["agent"], "/scores/stores/page-store/")[0].status_code == 403
    misses, _ = _get(world["lead"], "/scores/stores/page-store/misses/first_response_median_minutes/")
    assert misses.status_code == 200
    assert _get(world["lead"], "/scores/stores/page-store/misses/made_up/")[0].status_code == 404


def test_official_form_keeps_input_and_shows_errors_at_the_field(world):
    client = Client()
    client.force_login(world["manager"])
    response = client.post("/scores/official/", {"store": "page-store", "date": "2026-11-20",
                                                 "experience_overall": "9"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="9"' in html and "less than or equal to 5" in html
    response = client.post("/scores/official/", {"store": "page-store", "date": "2026-11-20",
                                                 "experience_overall": "4.8"})
    assert response.status_code == 302
    assert OfficialScore.objects.get(store=world["store"]).source == "form"
    upload = io.BytesIO(b"store,date,experience_overall\npage-store,2026-11-21,4.7\n")
    upload.name = "figures.csv"
    assert client.post("/scores/official/", {"file": upload}).status_code == 302
    assert OfficialScore.objects.filter(store=world["store"]).count() == 2
    lead = Client()
    lead.force_login(world["lead"])
    assert lead.get("/scores/official/").status_code == 403


def test_embed_page_shows_snippets_and_saves_origins(world):
    client = Client()
    client.force_login(world["manager"])
    html = client.get("/scores/stores/page-store/embed/").content.decode()
    assert "/embed/stores/page-store/badges.js" in html and "/embed/stores/page-store/badges.svg" in html
    assert '<iframe class="badge-preview" src="http://testserver/embed/stores/page-store/badges/"' in html
    assert 'src="http://testserver/embed/stores/page-store/badges.js" data-target="service-badges-preview"' in html
    response = client.post("/scores/stores/page-store/embed/", {"frame_origins": "not an origin"})
    assert response.status_code == 200 and "not an origin" in response.content.decode()
    response = client.post("/scores/stores/page-store/embed/", {"frame_origins": "https://shop.example.com"})
    assert response.status_code == 302
    assert "frame-ancestors 'self' https://shop.example.com" in Client().get(
        "/embed/stores/page-store/badges/")["Content-Security-Policy"]


def test_executive_table_gives_each_figure_with_its_own_day(world):
    now = timezone.now()
    last = timezone.localdate(now) - timedelta(days=1)
    ScoreSnapshot.objects.create(store=world["store"], date=last - timedelta(days=1), window_days=30, overall=4.1,
                                 day_figures={})
    ScoreSnapshot.objects.create(store=world["store"], date=last, window_days=30, overall=4.4, day_figures={})
    OfficialScore.objects.create(store=world["store"], date=last - timedelta(days=3), experience_overall=4.7,
                                 source="api", recorded_at=now)
    OfficialScore.objects.create(store=world["store"], date=last - timedelta(days=2), experience_overall=4.6,
                                 source="api", recorded_at=now)
    client = Client()
    client.force_login(world["director"])
    response = client.get("/scores/export/executive/score_vs_official.csv", HTTP_ACCEPT_LANGUAGE="en")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Store", "Mirror", "Mirror's day", "Official", "Official's day",
                       "Mean absolute deviation (90 days)"]
    # The latest of each, on its own day (no day has both: no deviation yet).
    assert rows[1:] == [["page-store", "4.4", last.isoformat(), "4.6", (last - timedelta(days=2)).isoformat(), ""]]
