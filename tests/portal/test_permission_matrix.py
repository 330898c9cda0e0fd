"""The permission matrix (in the manner of NetBox's APIViewTestCases): one expectation table for every
model of the portal's apps and every demo role, checked through every interface the model has.

TABLE says, per model, which rows each role sees (`all`, its `scope`, its `own` rows; a role not
listed sees nothing and holds no permission on the model) and which verbs it may use on which
rows (a verb not listed, e.g. add/change/delete of configuration: administrators only). The tests
check that one answer through:

- `restrict()` itself, for every verb of the model (its default and custom permissions);
- the UI list and detail pages, the API list, detail and one write, the CSV export;
- admin (changelist, change form, and saving the form back) for a staff user with the role;
- PII (phone, address, name) on each of those pages: see the marked PII block below.

A model of the portal's apps that is missing from TABLE fails `test_every_model_is_in_the_table`.
Models are keyed by class name, so a model moving to another app (installation) changes nothing here.
The demo data is loaded once for the module (tests/portal/matrix_world.py) and every test runs in
a savepoint of it.
"""

import csv
import io
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings

from portal.permissions import restrict
from tests.admin_forms import read_admin_form
from tests.portal.matrix_world import THIRD_STORE, THIRD_TEAM, build_world, get_app_models, model

ROLES = ["agent", "agent2", "lead", "manager", "director", "chairman", "refund", "logistics", "installer", "trainer",
         "integration", "admin"]
ALL, SCOPE, OWN = "all", "scope", "own"
DRY, BIKE = "clouddry-tmall", "swiftride-tmall"


@dataclass(frozen=True)
class Scope:
    """What a demo user's teams reach (DESIGN §3), written out by hand: the stores served by their
    teams and the teams they belong to or head (a manager: every customer-service team)."""

    user: str
    stores: frozenset = frozenset()
    teams: frozenset = frozenset()


SCOPES = {
    "agent": Scope("agent", frozenset({DRY}), frozenset({"晾衣架客服组"})),
    "agent2": Scope("agent2", frozenset({BIKE}), frozenset({"电动车客服组"})),
    "lead": Scope("lead", frozenset({DRY}), frozenset({"晾衣架客服组"})),
    "manager": Scope("manager", frozenset({DRY, BIKE, THIRD_STORE}),
                     frozenset({"客服部", "晾衣架客服组", "电动车客服组", THIRD_TEAM})),
    "refund": Scope("refund", frozenset({DRY, BIKE}), frozenset({"退款组"})),
    "logistics": Scope("logistics", frozenset({DRY, BIKE}), frozenset({"物流组"})),
    "installer": Scope("installer", frozenset({DRY, BIKE}), frozenset({"安装组"})),
    "trainer": Scope("trainer", frozenset({DRY, BIKE}), frozenset({"培训组"})),
    # An integration client's stores (portal.integrations); the matrix world adds the third brand's.
    "integration": Scope("integration", frozenset({DRY, BIKE, THIRD_STORE}), frozenset({"客户服务中心"})),
    # Org-wide roles: every row wherever the table says `all`.
    "director": Scope("director"), "chairman": Scope("chairman"), "admin": Scope("admin"),
}


# --- Scope predicates: is `obj` in the rows of scope `s`? ---------------------------------------


def ticket_in(ticket, s):
    return ticket.queue.team.name in s.teams or (ticket.assignee_id and ticket.assignee.username == s.user)


def worked(ticket, s):
    """The user opened or worked the ticket (replied, noted, was assigned, transferred it): they keep
    read access to it wherever it went."""
    return ticket.participants.filter(user__username=s.user).exists()


def ticket_readable(ticket, s):
    return ticket_in(ticket, s) or worked(ticket, s)


def reached(escalation, s):
    """The escalation's notifications went to the user (the sweep's delivery for its level, queue, assignee)."""
    return model("EscalationDelivery").objects.filter(
        sweep_id=escalation.sweep_id, level_id=escalation.level_id, queue_key=escalation.queue_id or 0,
        assignee_key=escalation.assignee_id or 0, notifications__recipient__username=s.user,
    ).exists()


def store_at(path):
    def predicate(obj, s):
        for name in path.split("."):
            obj = getattr(obj, name)
        return obj in s.stores

    return predicate


# --- Interfaces ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """A list page or endpoint: its URL for a role, how to read each row's key from the answer, and
    which of the role's rows it shows (`narrow`; None: all of them)."""

    url: str | Callable[[str], str]
    key: Callable = lambda obj: obj.pk
    pattern: str | Callable = ""  # HTML: a regex whose group 1 is a row's key, or a function of the page
    narrow: Callable | None = None
    open_to_all: bool = False  # a page every signed-in user may open (the home page)

    def url_for(self, role):
        return self.url(role) if callable(self.url) else self.url


@dataclass(frozen=True)
class Write:
    """One API write: `method url` with `body`, needing `verb`; `writable` picks rows it applies to."""

    method: str
    url: str
    body: dict
    verb: str
    ok: int = 200
    writable: Callable = lambda obj: True


@dataclass
class Row:
    sees: dict
    may: dict = field(default_factory=dict)
    scope: Callable | None = None
    own: Callable | None = None
    ui_list: Page | None = None
    ui_detail: str | None = None
    api_list: Page | None = None
    api_detail: str | None = None
    api_write: Write | None = None
    export: Page | None = None
    admin_read_only: bool = False  # admin shows it but never saves it
    view_scope: Callable | None = None  # `scope` for the verb "view" when reading reaches further than working


def sees(*, all="", scope="", own=""):
    levels = {}
    for level, names in ((ALL, all), (SCOPE, scope), (OWN, own)):
        for name in names.split():
            assert name in ROLES and name not in levels, name
            levels[name] = level
    return levels


def row(sees, may=None, **kwargs):
    """`may`: {verb: "role role:level ..."}; a role without `:level` acts on the rows it sees. The
    demo admin is a superuser: every verb on every row (see `level_of`), never repeated per line."""
    verbs = {}
    for verb, spec in (may or {}).items():
        verbs[verb] = {}
        for token in spec.split():
            name, _, level = token.partition(":")
            assert name in ROLES, name
            verbs[verb][name] = level or sees[name]
    return Row(sees=sees, may=verbs, **kwargs)


TICKET_WORKERS = "agent agent2 lead manager refund installer"
TICKET_READERS = "agent agent2 lead manager director refund installer"  # the configuration they work by
SHIPMENT_VIEW = sees(all="director chairman", scope="agent agent2 lead manager logistics installer")
ALERT_VIEW = sees(all="director chairman", scope="manager logistics installer")
INSTALL_VIEW = sees(all="director chairman", scope="agent agent2 lead manager logistics installer")
CONFIG_READ = sees(all=TICKET_READERS)
REFUND_DESK_VIEW = sees(all="director chairman", scope="manager refund")
LADDER_READ = sees(all="lead manager director")
ADMIN_ONLY = sees()
SCORE_CONFIG = sees(all="lead manager director chairman")
SCORE_VIEW = sees(all="director chairman", scope="lead manager")

TRAINING_RECORDS = sees(all="director trainer", scope="lead manager", own="agent agent2")


def trained_in(record, s):
    """A training record of someone in the teams of scope `s` (or the user's own)."""
    return record.agent.username == s.user or record.agent.memberships.filter(team__name__in=s.teams).exists()


def trained_by(record, s):
    return record.agent.username == s.user


OVERSEERS = ("manager", "director", "chairman", "admin")  # the "All tickets" page (tickets.oversee_ticket)


def ticket_queue_page(role):
    """Managers and above read the "All tickets" page; everyone else their team's queue."""
    # One page holds every row (the demo has more tickets than a page's default 50).
    return "/tickets/all/?per_page=200" if role in OVERSEERS else "/tickets/?per_page=200"


def shown_on_queue_page(ticket, s, role):
    return role in OVERSEERS or (ticket.is_open and ticket.queue.team.name in s.teams)


# ============================== The expectation table ==============================
TABLE: dict[str, Row] = {
    # --- portal ---
    "Store": row(
        sees(all="director chairman", scope="agent agent2 lead manager refund logistics installer trainer integration"),
        scope=store_at("code"),
        ui_list=Page("/", key=lambda o: o.code, pattern=r'<td class="store-code">([^<]+)</td>', open_to_all=True),
        api_list=Page("/api/v1/stores/?page_size=200"), api_detail="/api/v1/stores/{pk}/",
        api_write=Write("patch", "/api/v1/stores/{pk}/", {"brand": "矩阵"}, "change"),
    ),
    "Team": row(
        sees(all="director chairman", scope="agent agent2 lead manager refund logistics installer trainer"), scope=lambda o, s: o.name in s.teams,
        ui_list=Page("/", key=lambda o: o.name, pattern=lambda html: home_teams(html), open_to_all=True),
        api_list=Page("/api/v1/teams/?page_size=200"), api_detail="/api/v1/teams/{pk}/",
        api_write=Write("patch", "/api/v1/teams/{pk}/", {"kind": "management"}, "change"),
    ),
    "Membership": row(
        sees(all="director chairman", scope="agent agent2 lead manager refund logistics installer trainer"), scope=lambda o, s: o.team.name in s.teams,
        # The home page's "My teams": the user's own memberships.
        ui_list=Page("/", key=lambda o: o.team.name, pattern=r"<tr><td>([^<]+)</td><td>", open_to_all=True,
                     narrow=lambda o, s, role: o.user.username == role),
    ),
    "Profile": row(ADMIN_ONLY, own=lambda o, s: o.user.username == s.user),
    "PiiAccess": row(ADMIN_ONLY, admin_read_only=True),  # the audit of personal-data reveals
    "ProductLine": row(sees(all="agent agent2 lead manager director chairman refund logistics installer trainer "
                                "integration")),
    # The marketplace feed (replies, refund decisions): its integration client and the store's managers.
    "OutboundMessage": row(sees(all="director integration", scope="manager"), scope=store_at("store.code"),
                           admin_read_only=True),
    "ApiToken": row(ADMIN_ONLY),  # clients' API keys (hashed): admin lists and revokes (its only change)
    "IntegrationClient": row(ADMIN_ONLY),  # which endpoints and stores an API-only account reaches
    "Notification": row(
        sees(own="agent agent2 lead manager director chairman refund logistics installer trainer"), own=lambda o, s: o.recipient.username == s.user,
        ui_list=Page("/inbox/", pattern=r'<tr [^>]*data-id="(\d+)"', narrow=lambda o, s, role: o.channel == "in_app"
                     and o.recipient.username == role),
        api_list=Page("/api/v1/notifications/?page_size=200", narrow=lambda o, s, role: o.channel == "in_app"),
        api_detail="/api/v1/notifications/{pk}/",
    ),
    # --- tickets: configuration ---
    "Queue": row(CONFIG_READ, api_list=Page("/api/v1/queues/?page_size=200"),
                 api_detail="/api/v1/queues/{pk}/"),
    "BusinessCalendar": row(CONFIG_READ),
    "CalendarInterval": row(CONFIG_READ),
    "Holiday": row(CONFIG_READ),
    "MakeupDay": row(CONFIG_READ),
    "SLAPolicy": row(CONFIG_READ),
    "SLATarget": row(CONFIG_READ),
    "RoutingRule": row(sees(all="director", scope="agent agent2 lead manager refund installer"),
                       scope=lambda o, s: o.store_id is None or o.store.code in s.stores),
    "Macro": row(CONFIG_READ, {"add": "manager", "change": "manager"},
                 api_list=Page("/api/v1/macros/?page_size=200", narrow=lambda o, s, role: o.is_active),
                 api_detail="/api/v1/macros/{pk}/"),
    "QueueRotation": row(ADMIN_ONLY),
    # --- tickets ---
    # Reading reaches the tickets a user opened or worked (`worked`); working them, their scope only.
    "Ticket": row(
        sees(all="director chairman", scope=TICKET_WORKERS, own="logistics"),
        {
            "add": TICKET_WORKERS, "change": TICKET_WORKERS, "reply": TICKET_WORKERS, "transfer": TICKET_WORKERS,
            "resolve": TICKET_WORKERS, "assign": "lead manager refund installer", "merge": "manager",
            "export": "manager director", "oversee": "manager director chairman", "view_pii": "lead manager director",
            # The marketplace reports ratings and chats by ticket id: any ticket, though it lists none.
            "rate": "integration:all", "ingest": "integration:all",
        },
        scope=ticket_in, view_scope=ticket_readable, own=worked,
        ui_list=Page(ticket_queue_page, pattern=r'href="/tickets/(\d+)/"', narrow=shown_on_queue_page),
        ui_detail="/tickets/{pk}/",
        api_list=Page("/api/v1/tickets/?page_size=200"), api_detail="/api/v1/tickets/{pk}/",
        api_write=Write("post", "/api/v1/tickets/{pk}/note/", {"body": "matrix"}, "reply",
                        writable=lambda o: o.is_open and not o.merged_into_id),
        export=Page("/tickets/export.csv?view=all"),
        admin_read_only=True,
    ),
    "TimelineEntry": row(sees(all="director", scope=TICKET_WORKERS, own="logistics"),
                         scope=lambda o, s: ticket_readable(o.ticket, s), own=lambda o, s: worked(o.ticket, s)),
    "ChatConversation": row(sees(all="director", scope=TICKET_WORKERS),
                            scope=lambda o, s: ticket_readable(o.ticket, s)),
    "ChatMessage": row(sees(all="director", scope=TICKET_WORKERS, own="logistics"),
                       scope=lambda o, s: ticket_readable(o.ticket, s), own=lambda o, s: worked(o.ticket, s)),
    "TicketParticipant": row(ADMIN_ONLY),  # read access bookkeeping: no role reads it directly
    # --- tickets: the escalation ladder ---
    "EscalationPolicy": row(LADDER_READ, api_list=Page("/api/v1/escalation-policies/?page_size=200"),
                            api_detail="/api/v1/escalation-policies/{pk}/",
                            api_write=Write("patch", "/api/v1/escalation-policies/{pk}/", {"description": "矩阵"},
                                            "change")),
    "EscalationLevel": row(LADDER_READ),
    "EscalationLadder": row(LADDER_READ, admin_read_only=True),
    "LadderLevel": row(LADDER_READ),
    "TicketLadder": row(ADMIN_ONLY, scope=lambda o, s: ticket_in(o.ticket, s)),
    "EscalationSweep": row(ADMIN_ONLY, admin_read_only=True),
    "EscalationDelivery": row(ADMIN_ONLY,
                              own=lambda o, s: o.notifications.filter(recipient__username=s.user).exists()),
    "Escalation": row(
        # Executives see, and acknowledge, the escalations that reached them.
        sees(all="director", scope=TICKET_WORKERS, own="chairman"),
        # Acknowledging: the recipients, and the leads and managers above the ticket's team.
        {"acknowledge": "agent:own agent2:own refund:own installer:own lead manager director chairman:own"},
        scope=lambda o, s: ticket_in(o.ticket, s) or reached(o, s), own=reached,
        ui_list=Page("/tickets/escalations/?state=all", key=lambda o: o.ticket_id, pattern=r'href="/tickets/(\d+)/"'),
        api_list=Page("/api/v1/escalations/?state=all&page_size=200"),
        api_detail="/api/v1/escalations/{pk}/?state=all",
        api_write=Write("post", "/api/v1/escalations/{pk}/acknowledge/?state=all", {}, "acknowledge",
                        writable=lambda o: o.acknowledged_at is None and o.ticket.is_open
                        and o.cycle == o.ticket.sla_cycle),
        admin_read_only=True,
    ),
    # --- logistics: configuration ---
    "Carrier": row(sees(all="agent agent2 lead manager director chairman logistics installer integration")),
    "CarrierOutlet": row(sees(all="agent agent2 lead manager director chairman logistics installer")),
    "StatusMapping": row(ADMIN_ONLY),
    "ReportColumns": row(ADMIN_ONLY),
    # --- logistics ---
    "Shipment": row(
        SHIPMENT_VIEW,
        {"add": "logistics", "change": "logistics", "view_consignee": "director logistics"},
        scope=store_at("store.code"),
        ui_list=Page("/logistics/shipments/", pattern=r'href="/logistics/shipments/(\d+)/"'),
        ui_detail="/logistics/shipments/{pk}/",
        api_list=Page("/api/v1/logistics/shipments/?page_size=200"), api_detail="/api/v1/logistics/shipments/{pk}/",
    ),
    "TrackingEvent": row(SHIPMENT_VIEW, {"add": "logistics integration:scope"},
                         scope=store_at("shipment.store.code")),
    "TrackingImport": row(
        # Coordinators: their stores' imports, imports for no store, and their own; others their own.
        sees(all="director chairman", scope="logistics", own="manager integration"),
        {"add": "logistics integration:own"},
        scope=lambda o, s: (o.uploaded_by_id and o.uploaded_by.username == s.user) or o.store_id is None
        or o.store.code in s.stores,
        own=lambda o, s: bool(o.uploaded_by_id) and o.uploaded_by.username == s.user,
        ui_list=Page("/logistics/imports/", pattern=r'href="/logistics/imports/(\d+)/"'),
        ui_detail="/logistics/imports/{pk}/",
        api_list=Page("/api/v1/logistics/imports/?page_size=200"), api_detail="/api/v1/logistics/imports/{pk}/",
    ),
    "IngestRequest": row(ADMIN_ONLY, own=lambda o, s: o.user.username == s.user),
    "Alert": row(
        ALERT_VIEW, {"work": "logistics", "approve": "manager director", "dispatch": "logistics installer"},
        scope=store_at("shipment.store.code"),
        ui_list=Page("/logistics/alerts/?status=", pattern=r'href="/logistics/alerts/(\d+)/"'),
        ui_detail="/logistics/alerts/{pk}/",
        api_list=Page("/api/v1/logistics/alerts/?page_size=200"), api_detail="/api/v1/logistics/alerts/{pk}/",
        api_write=Write("post", "/api/v1/logistics/alerts/{pk}/acknowledge/", {}, "work",
                        writable=lambda o: o.is_open and o.acknowledged_at is None),
    ),
    "AlertEntry": row(ALERT_VIEW, scope=store_at("alert.shipment.store.code")),
    "CarrierContact": row(ALERT_VIEW, scope=store_at("alert.shipment.store.code")),
    "CustomerContact": row(ALERT_VIEW, scope=store_at("alert.shipment.store.code")),
    "Compensation": row(ALERT_VIEW, scope=store_at("alert.shipment.store.code")),
    "Dispatch": row(ALERT_VIEW, {"add": "logistics installer", "change": "logistics installer"},
                    scope=store_at("shipment.store.code")),
    # --- installation (today in logistics; keyed by class name, so its move to its own app changes nothing) ---
    "Product": row(sees(all="agent agent2 lead manager director chairman logistics installer")),
    "InstallationPartner": row(sees(all="agent agent2 lead manager director chairman logistics installer")),
    "InstallationJob": row(
        # Integration users see the jobs of the partner whose API user they are.
        sees(all="director chairman", scope="agent agent2 lead manager logistics installer", own="integration"),
        {"add": "installer", "change": "installer", "progress": "installer integration",
         "view_customer": "director installer integration"},
        scope=store_at("store.code"),
        own=lambda o, s: o.partner_id is not None and o.partner.users.filter(username=s.user).exists(),
        ui_list=Page("/logistics/installations/", pattern=r'href="/logistics/installations/(\d+)/"'),
        ui_detail="/logistics/installations/{pk}/",
        api_list=Page("/api/v1/installations/?page_size=200"), api_detail="/api/v1/installations/{pk}/",
        api_write=Write("post", "/api/v1/installations/{pk}/events/", {"node": "cancelled", "reason": "矩阵"},
                        "progress", ok=201,
                        writable=lambda o: o.node in ("requested", "scheduled", "rescheduled", "dispatched")),
    ),
    "InstallationEvent": row(INSTALL_VIEW, scope=store_at("job.store.code")),
    "InstallationAlert": row(INSTALL_VIEW, scope=store_at("job.store.code")),
    "InstallationTicketLink": row(INSTALL_VIEW, scope=store_at("job.store.code")),
    # --- training: configuration (anonymised cases, rubrics, certifications, queue gates) ---
    "Scenario": row(
        sees(all="lead manager trainer"), {"add": "lead manager trainer", "change": "manager trainer",
                                           "make_case": "lead manager trainer"},
        ui_list=Page("/training/scenarios/", pattern=r'href="/training/scenarios/(\d+)/"'),
        ui_detail="/training/scenarios/{pk}/",
        api_list=Page("/api/v1/training/scenarios/?page_size=200"), api_detail="/api/v1/training/scenarios/{pk}/",
        api_write=Write("patch", "/api/v1/training/scenarios/{pk}/", {"persona_mood": "矩阵"}, "change"),
    ),
    "Rubric": row(sees(all="lead manager trainer"), {"add": "manager trainer", "change": "manager trainer"},
                  api_list=Page("/api/v1/training/rubrics/?page_size=200"), api_detail="/api/v1/training/rubrics/{pk}/"),
    "RubricCategory": row(sees(all="lead manager trainer"), {"add": "manager trainer", "change": "manager trainer"}),
    "CertificationRequirement": row(
        sees(all="agent agent2 lead manager director chairman trainer"),
        {"add": "manager trainer", "change": "manager trainer"},
        api_list=Page("/api/v1/training/requirements/?page_size=200"),
        api_detail="/api/v1/training/requirements/{pk}/",
        api_write=Write("patch", "/api/v1/training/requirements/{pk}/", {"name_en": "Matrix"}, "change"),
    ),
    "QueueGate": row(sees(all="lead manager director trainer"),
                     {"add": "manager trainer", "change": "manager trainer", "delete": "manager trainer"},
                     api_list=Page("/api/v1/training/queue-gates/?page_size=200"),
                     api_detail="/api/v1/training/queue-gates/{pk}/"),
    # --- training: records, keyed by their agent (trainers and org-wide roles: everyone's) ---
    "Assignment": row(
        TRAINING_RECORDS, {"add": "manager trainer", "change": "manager trainer"},
        scope=trained_in, own=trained_by,
        ui_list=Page("/training/assignments/", pattern=r'<tr [^>]*data-id="(\d+)"'),
        api_list=Page("/api/v1/training/assignments/?page_size=200"),
        api_detail="/api/v1/training/assignments/{pk}/",
    ),
    "Attempt": row(
        TRAINING_RECORDS, {"add": "agent:own agent2:own", "change": "agent:own agent2:own",
                           "grade": "manager trainer"},
        scope=trained_in, own=trained_by,
        ui_list=Page("/training/attempts/", pattern=r'href="/training/attempts/(\d+)/"'),
        ui_detail="/training/attempts/{pk}/",
        api_list=Page("/api/v1/training/attempts/?page_size=200"), api_detail="/api/v1/training/attempts/{pk}/",
        admin_read_only=True,
    ),
    "Grade": row(TRAINING_RECORDS, scope=lambda o, s: trained_in(o.attempt, s),
                 own=lambda o, s: trained_by(o.attempt, s),
                 api_list=Page("/api/v1/training/grades/?page_size=200"), api_detail="/api/v1/training/grades/{pk}/",
                 admin_read_only=True),
    "Statement": row(sees(all="director trainer integration", scope="lead manager"),
                     scope=lambda o, s: trained_in(o.attempt, s), own=lambda o, s: trained_by(o.attempt, s),
                     admin_read_only=True),
    "Certification": row(sees(all="director chairman trainer", scope="lead manager", own="agent agent2"),
                         scope=trained_in, own=trained_by,
                         api_list=Page("/api/v1/training/certifications/?page_size=200"),
                         api_detail="/api/v1/training/certifications/{pk}/", admin_read_only=True),
    "OfflineCourse": row(
        TRAINING_RECORDS, {"add": "manager trainer", "change": "manager trainer"}, scope=trained_in, own=trained_by,
        ui_list=Page("/training/courses/", pattern=lambda html: set(re.findall(r'<tr [^>]*data-id="(\d+)"', html))),
        api_list=Page("/api/v1/training/courses/?page_size=200"), api_detail="/api/v1/training/courses/{pk}/",
    ),
    # --- refunds ---
    "RefundRequest": row(
        # Agents see the refund summary on their tickets; the desk works them; managers approve.
        sees(all="director chairman integration", scope="agent agent2 lead manager refund"),
        {"add": "refund integration", "change": "manager director refund integration",
         "decide": "manager director refund", "approve": "manager director", "dispute": "manager director refund"},
        scope=store_at("store.code"),
        ui_list=Page("/refunds/all/", pattern=r'href="/refunds/(\d+)/"'), ui_detail="/refunds/{pk}/",
        api_list=Page("/api/v1/refunds/?page_size=200"), api_detail="/api/v1/refunds/{pk}/",
        api_write=Write("post", "/api/v1/refunds/{pk}/decide/", {"decision": "exchange"}, "decide",
                        writable=lambda o: o.status == "open"),
    ),
    "RefundEvent": row(REFUND_DESK_VIEW, scope=store_at("request.store.code")),
    "RefundDecision": row(REFUND_DESK_VIEW, scope=store_at("request.store.code")),
    "EvidenceFile": row(sees(all="director chairman integration", scope="manager refund"),
                        {"add": "manager director refund"}, scope=store_at("request.store.code")),
    "RefundDeskSettings": row(REFUND_DESK_VIEW, scope=store_at("store.code")),
    "ReturnPolicy": row(REFUND_DESK_VIEW, scope=store_at("store.code")),
    "ReasonCode": row(sees(all="agent agent2 lead manager director chairman refund integration")),
    "ResponsibilityRule": row(sees(all="manager director chairman refund")),
    # --- scores: configuration (thresholds, weights, badge definitions) and the stores' figures ---
    "MetricRule": row(SCORE_CONFIG),
    "DimensionWeight": row(SCORE_CONFIG),
    "Badge": row(SCORE_CONFIG),
    "MetricSnapshot": row(SCORE_VIEW, scope=store_at("store.code"), admin_read_only=True),
    "ScoreSnapshot": row(SCORE_VIEW, scope=store_at("store.code"), admin_read_only=True),
    "StoreBadge": row(SCORE_VIEW, scope=store_at("store.code"), admin_read_only=True),
    "BadgeChange": row(SCORE_VIEW, scope=store_at("store_badge.store.code"), admin_read_only=True),
    # The platform's figures: its integration client posts them for any store; managers record them by hand.
    "OfficialScore": row(sees(all="director chairman integration", scope="lead manager"),
                         {"add": "manager director integration", "change": "manager director integration"},
                         scope=store_at("store.code"), admin_read_only=True),
    "EmbedSettings": row(SCORE_VIEW, {"add": "manager director", "change": "manager director"},
                         scope=store_at("store.code")),
}


# ============================== PII: masked by default ==============================
# Phone, address and name are masked on every page, API response, export and admin form, for every
# role (`portal.pii`); a role the rule allows reveals one value at a time, audited (tests/portal/
# test_pii.py). The one exception: an installation partner's API client receives the contact of
# its own jobs, which it needs to book the visit (each value served is audited).
PII_FIELDS = {
    "Ticket": ("customer_phone", "customer_address"),
    "Shipment": ("consignee_name", "consignee_phone", "consignee_address"),
    "InstallationJob": ("customer_name", "customer_phone", "address"),
}


def pii_clear(model_name, role, obj, where) -> bool:
    return (model_name, role, where) == ("InstallationJob", "integration", "api") and obj.partner_id is not None \
        and obj.partner.users.filter(username=role).exists()
# ===========================================================================================


# --- The world, once per module -------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The demo data, committed to nothing: one transaction around the module, rolled back at its end;
    every test runs in a savepoint inside it (pytest-django's `db`)."""
    with django_db_blocker.unblock(), override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], LANGUAGE_CODE="en",
        PRIVATE_MEDIA_ROOT=tempfile.mkdtemp(prefix="matrix-private-"),  # the demo's evidence files
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            build_world()
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            _rows.cache_clear()


@cache
def _rows(model_name):
    return tuple(model(model_name)._default_manager.order_by("pk"))


def level_of(model_name, role, verb="view"):
    if role == "admin":
        return ALL  # the demo administrator is a superuser: every verb on every row
    entry = TABLE[model_name]
    return entry.sees.get(role) if verb == "view" else entry.may.get(verb, {}).get(role)


def expected(model_name, role, verb="view") -> set[int]:
    """The pks of the rows `role` may `verb` according to the table."""
    level = level_of(model_name, role, verb)
    rows = _rows(model_name)
    if level is None:
        return set()
    if level == ALL:
        return {obj.pk for obj in rows}
    entry = TABLE[model_name]
    if level == SCOPE:
        predicate = entry.view_scope if verb == "view" and entry.view_scope else entry.scope
    else:
        predicate = entry.own
    assert predicate is not None, f"{model_name}: no {level} predicate"
    return {obj.pk for obj in rows if predicate(obj, SCOPES[role])}


def user(role):
    return get_user_model().objects.get(username=role)


def client_for(role, *, staff=False):
    if staff:
        get_user_model().objects.filter(username=role).update(is_staff=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user(role))
    return client


def verbs_of(model_name):
    """Every verb of the model: its default and custom permissions."""
    cls = model(model_name)
    suffix = f"_{cls._meta.model_name}"
    return sorted(codename.removesuffix(suffix) for codename in Permission.objects.filter(
        content_type__app_label=cls._meta.app_label, content_type__model=cls._meta.model_name,
    ).values_list("codename", flat=True))


def probes(model_name, role, verb="view", narrow=None):
    """(a row the role may `verb` that the interface shows, a row it may not), each None when there is none."""
    allowed = expected(model_name, role, verb)
    rows = _rows(model_name)
    shown = [obj for obj in rows if narrow is None or narrow(obj, SCOPES[role], role)]
    inside = next((obj for obj in shown if obj.pk in allowed), None)
    outside = next((obj for obj in rows if obj.pk not in allowed), None)
    return inside, outside


def params(predicate):
    """(model name, role) for every role and every model for which `predicate(name, entry)` holds."""
    return [pytest.param(name, role, id=f"{name}-{role}") for name, entry in TABLE.items()
            if predicate(name, entry) for role in ROLES]


# --- The table covers every model ------------------------------------------------------------------


def test_every_model_is_in_the_table():
    names = {m.__name__ for m in get_app_models()}
    assert sorted(names - set(TABLE)) == [], "add these models to TABLE"
    assert sorted(set(TABLE) - names) == [], "these TABLE entries name no model"


@pytest.mark.parametrize("model_name", list(TABLE))
def test_the_table_names_only_real_verbs_and_roles(world, db, model_name):
    assert set(TABLE[model_name].may) <= set(verbs_of(model_name))
    assert set(TABLE[model_name].sees) <= set(ROLES)


# --- restrict(): every verb -------------------------------------------------------------------------


@pytest.mark.parametrize(("model_name", "role"), params(lambda name, entry: True))
def test_restrict(world, db, model_name, role):
    cls = model(model_name)
    for verb in verbs_of(model_name):
        found = set(restrict(cls._default_manager.all(), user(role), verb).values_list("pk", flat=True))
        want = expected(model_name, role, verb)
        assert found == want, f"{verb}: unexpected {sorted(found - want)}, missing {sorted(want - found)}"


# --- UI ---------------------------------------------------------------------------------------------


def html_keys(html, pattern):
    if callable(pattern):
        return pattern(html)
    return {match.group(1) for match in re.finditer(pattern, html)}


def home_teams(html):
    """The home page's teams: "Teams in my scope" when it lists more than the user's own, else "My teams"."""
    if "Teams in my scope" in html:
        return set(re.findall(r'<li>([^<]+) <span class="muted">', html))
    return set(re.findall(r"<tr><td>([^<]+)</td><td>", html))


@pytest.mark.parametrize(("model_name", "role"), params(lambda name, entry: entry.ui_list or entry.ui_detail))
def test_ui(world, db, model_name, role):
    entry, client = TABLE[model_name], client_for(role)
    sees_any = level_of(model_name, role) is not None
    page = entry.ui_list
    if page:
        response = client.get(page.url_for(role))
        if not (sees_any or page.open_to_all):
            assert response.status_code == 403
        else:
            assert response.status_code == 200
            rows = {obj.pk: obj for obj in _rows(model_name)}
            shown = {str(page.key(rows[pk])) for pk in expected(model_name, role)
                     if page.narrow is None or page.narrow(rows[pk], SCOPES[role], role)}
            assert html_keys(response.content.decode(), page.pattern) == shown
    if entry.ui_detail:
        inside, outside = probes(model_name, role)
        if not sees_any:
            assert client.get(entry.ui_detail.format(pk=outside.pk)).status_code == 403
            return
        if inside:
            assert client.get(entry.ui_detail.format(pk=inside.pk)).status_code == 200
        if outside:
            assert client.get(entry.ui_detail.format(pk=outside.pk)).status_code == 404


# --- API ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("model_name", "role"), params(lambda name, entry: entry.api_list or entry.api_detail))
def test_api(world, db, model_name, role):
    entry, client = TABLE[model_name], client_for(role)
    sees_any = level_of(model_name, role) is not None
    if entry.api_list:
        response = client.get(entry.api_list.url_for(role))
        if not sees_any:
            assert response.status_code == 403
        else:
            assert response.status_code == 200, response.content
            body = response.json()
            assert body["next"] is None  # one page holds every row
            rows = {obj.pk: obj for obj in _rows(model_name)}
            narrow = entry.api_list.narrow
            shown = {pk for pk in expected(model_name, role)
                     if narrow is None or narrow(rows[pk], SCOPES[role], role)}
            assert {item["id"] for item in body["results"]} == shown
    if entry.api_detail:
        inside, outside = probes(model_name, role, narrow=entry.api_list.narrow if entry.api_list else None)
        if not sees_any:
            assert client.get(entry.api_detail.format(pk=outside.pk)).status_code == 403
            return
        if inside:
            assert client.get(entry.api_detail.format(pk=inside.pk)).status_code == 200
        if outside:
            assert client.get(entry.api_detail.format(pk=outside.pk)).status_code == 404


@pytest.mark.parametrize(("model_name", "role"), params(lambda name, entry: entry.api_write))
def test_api_write(world, db, model_name, role):
    entry, client = TABLE[model_name], client_for(role)
    write = entry.api_write
    allowed = expected(model_name, role, write.verb)
    rows = _rows(model_name)

    def send(obj):
        return getattr(client, write.method)(write.url.format(pk=obj.pk), write.body, content_type="application/json")

    if level_of(model_name, role, write.verb) is None:
        assert send(rows[0]).status_code == 403  # the role lacks the verb
        return
    inside = next((obj for obj in rows if obj.pk in allowed and write.writable(obj)), None)
    outside = next((obj for obj in rows if obj.pk not in allowed), None)
    if inside:
        response = send(inside)
        assert response.status_code == write.ok, response.content
    if outside:
        assert send(outside).status_code == 404  # outside the rows of the verb: as if it did not exist


# --- CSV export --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("model_name", "role"), params(lambda name, entry: entry.export))
def test_export(world, db, model_name, role):
    entry, client = TABLE[model_name], client_for(role)
    response = client.get(entry.export.url_for(role))
    if level_of(model_name, role, "export") is None:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    records = list(csv.reader(io.StringIO(text)))[1:]
    assert {int(record[0]) for record in records} == expected(model_name, role, "export")


# --- Admin ---------------------------------------------------------------------------------------------


def in_admin(name, entry):
    return any(m.__name__ == name for m in admin.site._registry)


@pytest.mark.parametrize(("model_name", "role"), params(in_admin))
def test_admin(world, db, model_name, role):
    """Admin, for a staff user holding the role: the same rows, and saves only where the role may change."""
    cls = model(model_name)
    base = f"/admin/{cls._meta.app_label}/{cls._meta.model_name}/"
    client = client_for(role, staff=True)
    sees_any = level_of(model_name, role) is not None
    changelist = client.get(base)
    inside, outside = probes(model_name, role)
    if not sees_any:
        assert changelist.status_code == 403
        assert client.get(f"{base}{outside.pk}/change/").status_code == 403
        return
    assert changelist.status_code == 200
    pattern = rf'href="{re.escape(base)}(\d+)/change/'
    assert {int(pk) for pk in html_keys(changelist.content.decode(), pattern)} == expected(model_name, role)
    may_change = expected(model_name, role, "change")
    if outside:
        hidden = client.get(f"{base}{outside.pk}/change/")
        assert (hidden.status_code, hidden["Location"]) == (302, "/admin/")  # as for a row that does not exist
    if inside:
        page = client.get(f"{base}{inside.pk}/change/")
        assert page.status_code == 200
        data, _options = read_admin_form(page.content.decode(), cls._meta.model_name)
        saved = client.post(f"{base}{inside.pk}/change/", data)
        if inside.pk in may_change and not TABLE[model_name].admin_read_only:
            assert (saved.status_code, saved.get("Location")) == (302, base), saved.content.decode()[:3000]
        else:
            assert saved.status_code == 403


# --- PII ---------------------------------------------------------------------------------------------


def assert_pii(model_name, role, obj, text, where):
    values = [getattr(obj, name) for name in PII_FIELDS[model_name] if getattr(obj, name)]
    assert values, f"{model_name} #{obj.pk} has no PII to check"
    clear = pii_clear(model_name, role, obj, where)
    shown = {value: value in text for value in values}
    assert shown == dict.fromkeys(values, clear), (where, "clear" if clear else "masked")


@pytest.mark.parametrize(("model_name", "role"), [
    pytest.param(name, role, id=f"{name}-{role}") for name in PII_FIELDS for role in ROLES
    if level_of(name, role) is not None
])
def test_pii(world, db, model_name, role):
    """Phone, address and name of rows the role sees, on every page that shows them: the UI page,
    the API detail, the CSV export and the admin change form (a row assigned to the role and one not)."""
    entry, cls = TABLE[model_name], model(model_name)
    visible = [obj for obj in _rows(model_name) if obj.pk in expected(model_name, role)]
    assert visible, "the matrix world needs a row this role sees"
    mine = [obj for obj in visible if getattr(obj, "assignee_id", None) == user(role).pk]
    others = [obj for obj in visible if obj not in mine]
    samples = mine[:1] + others[:1]
    client, staff = client_for(role), client_for(role, staff=True)
    exported = {}
    if entry.export and level_of(model_name, role, "export") is not None:
        text = b"".join(client.get(entry.export.url_for(role)).streaming_content).decode("utf-8-sig")
        exported = {int(record[0]): ",".join(record) for record in list(csv.reader(io.StringIO(text)))[1:]}
    for obj in samples:
        pages = {
            "ui": client.get(entry.ui_detail.format(pk=obj.pk)),
            "api": client.get(entry.api_detail.format(pk=obj.pk)),
            "admin": staff.get(f"/admin/{cls._meta.app_label}/{cls._meta.model_name}/{obj.pk}/change/"),
        }
        for where, response in pages.items():
            assert response.status_code == 200, where
            assert_pii(model_name, role, obj, response.content.decode(), where)
        if exported:
            assert_pii(model_name, role, obj, exported[obj.pk], "export")
