"""Tickets staff UI: queue pages, bulk actions, CSV export, the ticket page and its work forms.

Every queryset goes through `restrict(queryset, user, verb)` (portal.permissions), the same rule
the API and admin apply: a ticket outside the user's scope is not found (404); a verb the user's
roles lack is refused (403). Writes call the domain functions in tickets/services.py.
"""

import csv
from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Value
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, FormView

from portal.permissions import can, has_action, is_org_wide, restrict, visible_team_ids
from portal.views import RestrictedListView, RestrictedViewMixin
from tickets import forms as f
from tickets import services, sla
from tickets.businesstime import is_working
from tickets.filtersets import TicketFilterSet
from tickets.models import ChatMessage, Queue, Ticket, TimelineEntry
from tickets.permissions import can_view_pii, mask_address, mask_phone
from tickets.tables import CappedCountPaginator, TicketTable

AT_RISK_WITHIN = timedelta(hours=2)
COLUMNS_SESSION_KEY = "tickets.columns"


def has_oversight(user) -> bool:
    """The "All tickets" page (still within the user's scope) and the service metrics: the same
    `oversee` verb the metrics API requires."""
    return has_action(user, Ticket, "oversee")


# --- Queue pages ------------------------------------------------------------------------------


class QueuePage:
    """One queue page: its key, URL name, title and the narrowing of the user's tickets."""

    def __init__(self, key, url_name, title, oversight_only=False, default_sort=None):
        self.key = key
        self.url_name = url_name
        self.title = title
        self.oversight_only = oversight_only
        self.default_sort = default_sort

    def allowed(self, user) -> bool:
        return not self.oversight_only or has_oversight(user)

    def narrow(self, queryset, user, now):
        if self.key == "mine":
            return queryset.open().filter(assignee=user)
        if self.key == "team":
            teams = visible_team_ids(user)
            return queryset.open().filter(queue__team_id__in=teams)
        if self.key == "at_risk":
            # The bounded due-time ranges change nothing (a ticket at risk is not breached, so its
            # due time lies between now and now + 2 h) but let SQLite read two short index ranges
            # instead of every past-due ticket: 45 ms -> 2 ms at 100k tickets.
            # TODO(domain): fold into TicketQuerySet.at_risk() so the API and sweeps gain too.
            soon = now + AT_RISK_WITHIN
            window = Q(first_response_at__isnull=True, first_response_due__gte=now, first_response_due__lte=soon) | Q(
                resolution_due__gte=now, resolution_due__lte=soon)
            return queryset.filter(window).at_risk(now, AT_RISK_WITHIN)
        if self.key == "breached":
            return queryset.breached(now)
        return queryset


QUEUE_PAGES = {
    page.key: page
    for page in [
        QueuePage("team", "tickets:team_queue", gettext_lazy("My team's queue")),
        QueuePage("mine", "tickets:my_tickets", gettext_lazy("My tickets")),
        QueuePage("at_risk", "tickets:at_risk", gettext_lazy("At risk (due within 2 hours)"),
                  default_sort="resolution_due"),
        QueuePage("breached", "tickets:breached", gettext_lazy("Breached"), default_sort="resolution_due"),
        QueuePage("all", "tickets:all_tickets", gettext_lazy("All tickets"), oversight_only=True),
    ]
}


def queue_page(key) -> QueuePage:
    try:
        return QUEUE_PAGES[key]
    except KeyError:
        raise Http404(_("No such queue page.")) from None


def queue_queryset(user, action, page: QueuePage, now):
    """The page's tickets the user may `action` (view, export), with what the table shows."""
    queryset = restrict(Ticket.objects.all(), user, action)
    return (
        page.narrow(queryset, user, now)
        .select_related("store", "queue", "queue__team", "assignee")
        .with_priority_rank()
    )


# Filters shown in the UI's filter bar; the others still work as URL parameters (as in the API).
UI_FILTERS = ["q", "queue", "assignee", "store", "status", "category", "priority", "is_major"]


def prepare_filter_form(filterset, user, *, workers, queues):
    """Friendlier widgets for the UI: choice lists in the user's scope for assignee and store;
    the queue list given (loaded once for the filter and the bulk form)."""
    from portal.models import Store

    form = filterset.form
    if "assignee" in form.fields:
        choices = [("", _("anyone")), ("me", _("me")), ("none", _("unassigned"))] + workers
        form.fields["assignee"].widget = f.FastSelect(choices=choices)
    if "store" in form.fields:
        stores = restrict(Store.objects.all(), user, "view").order_by("code")
        form.fields["store"].widget = f.FastSelect(choices=[("", _("any store"))] + [(s.code, s.name) for s in stores])
    if "queue" in form.fields:
        form.fields["queue"].widget.choices = [("", "---------"), *queues]
    for field in form.fields.values():
        f.fast_widget(field)
    for name in ("status", "category", "priority"):
        if name in form.fields:
            form.fields[name].widget.attrs.update({"size": 3, "class": "compact"})
    return form


class TicketListView(RestrictedListView):
    """A queue page: the user's tickets narrowed by the page, filtered by TicketFilterSet."""

    model = Ticket
    table_class = TicketTable
    filterset_class = TicketFilterSet
    template_name = "tickets/ticket_list.html"
    page_key = "team"
    # Pagination by django-tables2 only (ListView's own would count a second time).
    paginate_by = None
    table_pagination = {"per_page": 50, "paginator_class": CappedCountPaginator}

    def dispatch(self, request, *args, **kwargs):
        self.page = queue_page(self.page_key)
        if request.user.is_authenticated and not self.page.allowed(request.user):
            raise PermissionDenied(_("Your role does not allow this."))
        self.now = timezone.now()
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return queue_queryset(self.request.user, "view", self.page, self.now)

    @cached_property
    def worker_choices(self):
        return [(str(u.pk), f.user_label(u)) for u in f.team_workers(f.scope_team_ids(self.request.user))]

    @cached_property
    def queue_choices(self):
        return [(q.pk, f"{q.name} · {q.team.name}") for q in f.all_queues()]

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        prepare_filter_form(filterset, self.request.user, workers=self.worker_choices, queues=self.queue_choices)
        return filterset

    def bulk_verbs(self):
        user = self.request.user
        return [verb for verb in ("assign", "transfer") if has_action(user, Ticket, verb)]

    def get_table_kwargs(self):
        user = self.request.user
        kwargs = {
            "user": user, "now": self.now, "with_select": bool(self.bulk_verbs()),
            "exclude": TicketTable.exclude_for(self.request.session.get(COLUMNS_SESSION_KEY) or []),
        }
        if self.page.default_sort and "ordering" not in self.request.GET:
            kwargs["order_by"] = self.page.default_sort
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["title"] = self.page.title
        context["page_key"] = self.page.key
        context["tabs"] = [
            {"title": p.title, "url": reverse(p.url_name), "active": p.key == self.page.key}
            for p in QUEUE_PAGES.values() if p.allowed(user)
        ]
        form = context["filter"].form
        context["ui_filters"] = [form[name] for name in UI_FILTERS if name in form.fields]
        context["hidden_params"] = [
            (key, value) for key, values in self.request.GET.lists() if key not in UI_FILTERS and key != "page"
            for value in values
        ]
        verbs = self.bulk_verbs()
        if verbs:
            context["bulk_form"] = f.BulkForm(
                user=user, initial={"next": self.request.get_full_path()},
                worker_choices=self.worker_choices, queue_choices=self.queue_choices,
            )
            context["bulk_verbs"] = verbs
        chosen = self.request.session.get(COLUMNS_SESSION_KEY) or TicketTable.Meta.default_columns
        context["columns_form"] = f.ColumnsForm(initial={"columns": chosen, "next": self.request.get_full_path()})
        context["chosen_columns"] = chosen
        context["can_export"] = has_action(user, Ticket, "export")
        context["can_add"] = has_action(user, Ticket, "add")
        query = self.request.GET.copy()
        query.pop("page", None)
        query["view"] = self.page.key
        context["export_query"] = query.urlencode()
        return context


def safe_next(request, value, default):
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}):
        return value
    return default


class TicketColumnsView(LoginRequiredMixin, View):
    """Remember the user's column choice for the queue pages (in the session)."""

    def post(self, request):
        form = f.ColumnsForm(request.POST)
        if "reset" in request.POST:
            request.session.pop(COLUMNS_SESSION_KEY, None)
        elif form.is_valid():
            request.session[COLUMNS_SESSION_KEY] = form.cleaned_data["columns"]
        return redirect(safe_next(request, request.POST.get("next"), reverse("tickets:ticket_list")))


class TicketBulkView(LoginRequiredMixin, View):
    """Assign or transfer the selected tickets. Each row is re-checked through `restrict` with the
    action's verb; rows out of scope and rows the domain refuses are reported, the rest done."""

    def post(self, request):
        user = request.user
        form = f.BulkForm(request.POST, user=user)
        back = safe_next(request, request.POST.get("next"), reverse("tickets:ticket_list"))
        if not form.is_valid():
            for field, errors in form.errors.items():
                for error in errors:
                    messages.error(request, f"{form.fields[field].label}: {error}" if field in form.fields else error)
            return redirect(back)
        verb = form.cleaned_data["action"]
        if not has_action(user, Ticket, verb):
            raise PermissionDenied(_("Your role does not allow this."))
        ids = form.cleaned_data["select"]
        allowed = {t.pk: t for t in restrict(Ticket.objects.with_related(), user, verb).filter(pk__in=ids)}
        now = timezone.now()
        done, failed = [], []
        for pk in ids:
            ticket = allowed.get(pk)
            if ticket is None:
                failed.append((pk, _("not in your scope")))
                continue
            try:
                if verb == f.BulkForm.ASSIGN:
                    services.assign(ticket, actor=user, assignee=form.cleaned_data["assignee"], now=now)
                else:
                    services.transfer(ticket, actor=user, queue=form.cleaned_data["queue"], now=now)
            except ValidationError as exc:
                failed.append((pk, " ".join(exc.messages)))
            else:
                done.append(pk)
        if done:
            text = _("Assigned %(n)d ticket(s).") if verb == f.BulkForm.ASSIGN else _("Transferred %(n)d ticket(s).")
            messages.success(request, text % {"n": len(done)})
        for pk, reason in failed:
            messages.error(request, _("Ticket #%(id)s: %(reason)s") % {"id": pk, "reason": reason})
        return redirect(back)


# --- CSV export -------------------------------------------------------------------------------


class Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value):
        return value


EXPORT_COLUMNS = [
    ("id", gettext_lazy("ticket")), ("created_at", gettext_lazy("created at")), ("store", gettext_lazy("store")),
    ("channel", gettext_lazy("channel")), ("category", gettext_lazy("category")),
    ("priority", gettext_lazy("priority")), ("is_major", gettext_lazy("major complaint")),
    ("status", gettext_lazy("status")), ("queue", gettext_lazy("queue")), ("team", gettext_lazy("team")),
    ("assignee", gettext_lazy("assignee")), ("order_no", gettext_lazy("order number")),
    ("buyer_nick", gettext_lazy("buyer nick")), ("customer_phone", gettext_lazy("customer phone")),
    ("customer_address", gettext_lazy("customer address")), ("subject", gettext_lazy("subject")),
    ("first_response_due", gettext_lazy("first response due")), ("first_response_at", gettext_lazy("first response at")),
    ("resolution_due", gettext_lazy("resolution due")), ("resolved_at", gettext_lazy("resolved at")),
    ("sla_breached", gettext_lazy("missed a target")), ("rating", gettext_lazy("satisfaction rating")),
]


EXPORT_FIELDS = [
    "id", "created_at", "store__code", "channel", "category", "priority", "is_major", "status", "queue__name",
    "queue__team__name", "assignee__first_name", "assignee__last_name", "assignee__username", "order_no",
    "buyer_nick", "customer_phone", "customer_address", "subject", "first_response_due", "first_response_at",
    "resolution_due", "resolved_at", "sla_breached", "rating",
]


class ExportRows:
    """CSV rows of tickets for one user. Choice labels and the time zone are looked up once:
    `get_FOO_display()` per cell made a 100k-ticket export spend most of its time in gettext."""

    def __init__(self, user):
        self.user = user
        self.zone = timezone.get_current_timezone()
        self.labels = {
            name: {value: str(label) for value, label in choices}
            for name, choices in (("channel", Ticket.Channel.choices), ("category", Ticket.Category.choices),
                                  ("priority", Ticket.Priority.choices), ("status", Ticket.Status.choices))
        }

    def when(self, value):
        return value.astimezone(self.zone).strftime("%Y-%m-%d %H:%M") if value else ""

    def row(self, ticket):
        pii = can_view_pii(self.user, ticket)
        assignee = ticket.assignee
        labels, when = self.labels, self.when
        return [
            ticket.pk, when(ticket.created_at), ticket.store.code, labels["channel"].get(ticket.channel),
            labels["category"].get(ticket.category), labels["priority"].get(ticket.priority),
            "1" if ticket.is_major else "0", labels["status"].get(ticket.status), ticket.queue.name,
            ticket.queue.team.name, (assignee.get_full_name() or assignee.get_username()) if assignee else "",
            ticket.order_no, ticket.buyer_nick,
            ticket.customer_phone if pii else mask_phone(ticket.customer_phone),
            ticket.customer_address if pii else mask_address(ticket.customer_address),
            ticket.subject, when(ticket.first_response_due), when(ticket.first_response_at),
            when(ticket.resolution_due), when(ticket.resolved_at), "1" if ticket.sla_breached else "0",
            ticket.rating or "",
        ]


class TicketExportView(LoginRequiredMixin, View):
    """CSV of a queue page (`view`) with its filters: the rows the user may export, PII masked
    unless they may see it, streamed in chunks (constant memory, a constant number of queries)."""

    def get(self, request):
        user = request.user
        if not has_action(user, Ticket, "export"):
            raise PermissionDenied(_("Your role does not allow this."))
        page = queue_page(request.GET.get("view") or "all")
        if not page.allowed(user):
            raise PermissionDenied(_("Your role does not allow this."))
        now = timezone.now()
        filterset = TicketFilterSet(request.GET or None, queryset=queue_queryset(user, "export", page, now),
                                    request=request)
        if filterset.is_bound and not filterset.is_valid():
            errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items())
            messages.error(request, _("The export filters are not valid: %(errors)s") % {"errors": errors})
            return redirect(reverse(page.url_name))
        # Only the exported columns: a ticket has a dozen more datetimes to convert per row.
        queryset = filterset.qs.order_by("-created_at", "-id").only(*EXPORT_FIELDS)
        writer = csv.writer(Echo())
        export = ExportRows(user)

        def rows():
            yield "\ufeff"  # BOM: spreadsheet programs then read the UTF-8 (Chinese) text correctly
            yield writer.writerow([str(label) for _key, label in EXPORT_COLUMNS])
            for ticket in queryset.iterator(chunk_size=2000):
                yield writer.writerow(export.row(ticket))

        stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="tickets-{page.key}-{stamp}.csv"'
        return response


# --- Ticket page ------------------------------------------------------------------------------


def format_minutes(minutes: int) -> str:
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    hours, rest = divmod(minutes, 60)
    if hours:
        return _("%(sign)s%(h)d h %(m)02d min") % {"sign": sign, "h": hours, "m": rest}
    return _("%(sign)s%(m)d min") % {"sign": sign, "m": rest}


def sla_clocks(ticket, now):
    """What the SLA box shows: per clock its target, due time, business minutes left and state
    (met, late, stopped, paused, breached, running). `ticking`: the calendar is open right now,
    so the page's script may count the minutes down."""
    if ticket.sla_policy_id is None:
        return []
    specs = sla.SpecCache()
    remaining = sla.remaining_minutes(ticket, now=now, specs=specs)
    spec = specs.for_ticket(ticket)
    running = ticket.is_open and ticket.sla_clock_started_at is not None
    ticking = bool(running and spec is not None and is_working(spec, now))
    clocks = []
    for key, label, target, due, done_at, late in (
        ("first_response", _("First response"), ticket.first_response_target, ticket.first_response_due,
         ticket.first_response_at, ticket.first_response_breached),
        ("resolution", _("Resolution"), ticket.resolution_target, ticket.resolution_due, ticket.resolved_at,
         ticket.resolution_breached),
    ):
        if target is None:
            continue
        left = remaining[key]
        if done_at is not None:
            state = "late" if late else "met"
        elif not ticket.is_open:
            state = "stopped"
        elif ticket.is_paused:
            state = "paused"
        elif (left is not None and left < 0) or (due is not None and due < now):
            state = "breached"
        else:
            state = "running"
        clocks.append({
            "key": key, "label": label, "target": target, "target_text": format_minutes(target), "due": due,
            "done_at": done_at, "remaining": left,
            "remaining_text": format_minutes(left) if left is not None else "",
            "state": state, "ticking": ticking and state in ("running", "breached"),
        })
    return clocks


def _name(user):
    return (user.get_full_name() or user.get_username()) if user else _("system")


def field_label(name):
    try:
        return str(Ticket._meta.get_field(name).verbose_name)
    except Exception:  # a field renamed since the entry was written
        return name


def actor_label(entry):
    if entry.actor_id:
        return _name(entry.actor)
    if entry.kind == TimelineEntry.Kind.CUSTOMER_MESSAGE:
        return entry.ticket.buyer_nick or _("buyer")
    return _("system")


def describe_entries(entries):
    """A one-line description per timeline entry (queue and status names resolved in one query)."""
    queue_ids = set()
    for entry in entries:
        if entry.kind == TimelineEntry.Kind.TRANSFER:
            queue_ids |= {entry.data.get("from_queue"), entry.data.get("to_queue")}
        elif entry.kind == TimelineEntry.Kind.CREATED:
            queue_ids.add(entry.data.get("queue"))
    queue_ids.discard(None)
    queues = {q.pk: q.name for q in Queue.objects.filter(pk__in=queue_ids)} if queue_ids else {}
    statuses = {value: str(label) for value, label in Ticket.Status.choices}
    kinds = {value: str(label) for value, label in TimelineEntry.Kind.choices}
    Kind = TimelineEntry.Kind
    rows = []
    for entry in entries:
        d = entry.data or {}
        text = kinds.get(entry.kind, entry.kind)
        if entry.kind == Kind.CREATED:
            text = _("Opened via %(channel)s in %(queue)s") % {
                "channel": dict(Ticket.Channel.choices).get(d.get("channel"), d.get("channel", "")),
                "queue": queues.get(d.get("queue"), "?"),
            }
        elif entry.kind == Kind.STATUS:
            text = _("Status: %(from)s → %(to)s") % {
                "from": statuses.get(d.get("from"), d.get("from")), "to": statuses.get(d.get("to"), d.get("to")),
            }
            if d.get("reopened"):
                text += " " + _("(reopened)")
        elif entry.kind == Kind.ASSIGN:
            text = (_("Assigned to %(name)s") % {"name": d.get("to_name")}) if d.get("to") else _("Unassigned")
            if d.get("via") == "round_robin":
                text += " " + _("(round-robin)")
        elif entry.kind == Kind.TRANSFER:
            text = _("Transferred from %(from)s to %(to)s") % {
                "from": queues.get(d.get("from_queue"), "?"), "to": queues.get(d.get("to_queue"), "?"),
            }
        elif entry.kind == Kind.FIELD:
            label = field_label(d.get("field"))
            if "from" in d:
                text = _("%(field)s: “%(from)s” → “%(to)s”") % {"field": label, "from": d.get("from"), "to": d.get("to")}
            else:
                text = _("%(field)s changed") % {"field": label}
        elif entry.kind == Kind.MERGE:
            text = (_("Merged into #%(id)s") % {"id": d["into"]}) if d.get("into") else (
                _("Ticket #%(id)s was merged into this one") % {"id": d.get("merged")})
        elif entry.kind == Kind.RATING:
            text = _("Rated %(stars)s") % {"stars": "★" * int(d.get("rating") or 0)}
        elif entry.kind == Kind.LINK and d.get("follow_up"):
            text = _("Follow-up ticket #%(id)s") % {"id": d["follow_up"]}
        elif entry.kind == Kind.REPLY and d.get("automatic"):
            text = _("Automatic reply")
        rows.append({
            "entry": entry, "text": text, "actor": actor_label(entry),
            "at": timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M"), "at_iso": entry.at.isoformat(),
            "internal": entry.kind == Kind.NOTE,
            "handling": format_minutes(round(entry.handling_seconds / 60)) if entry.handling_seconds else "",
            "link": d.get("into") or d.get("merged") or d.get("follow_up") or d.get("previous_ticket"),
        })
    return rows


# Form key -> (form class, permission verb, URL name suffix).
ACTION_FORMS = {
    "reply": (f.ReplyForm, "reply"),
    "note": (f.NoteForm, "reply"),
    "assign": (f.AssignForm, "assign"),
    "transfer": (f.TransferForm, "transfer"),
    "status": (f.StatusForm, "resolve"),
    "reopen": (f.ReopenForm, "resolve"),
    "close": (f.CloseForm, "resolve"),
    "merge": (f.MergeForm, "merge"),
    "rate": (f.RateForm, "rate"),
    "edit": (f.TicketEditForm, "change"),
}


# Order on the page, heading, button, and whether the card starts folded.
FORM_LAYOUT = [
    ("reply", gettext_lazy("Reply to the customer"), gettext_lazy("Send reply"), False),
    ("note", gettext_lazy("Internal note"), gettext_lazy("Add note"), False),
    ("status", gettext_lazy("Status"), gettext_lazy("Change status"), False),
    ("assign", gettext_lazy("Assign"), gettext_lazy("Assign"), False),
    ("transfer", gettext_lazy("Transfer"), gettext_lazy("Transfer"), True),
    ("reopen", gettext_lazy("Reopen"), gettext_lazy("Reopen"), False),
    ("close", gettext_lazy("Close"), gettext_lazy("Close for good"), True),
    ("merge", gettext_lazy("Merge into another ticket"), gettext_lazy("Merge"), True),
    ("rate", gettext_lazy("Satisfaction rating"), gettext_lazy("Record rating"), True),
]


def allowed_verbs(user, ticket) -> set[str]:
    """The verbs the user may use on this ticket: `can(user, ticket, verb)` for each verb their
    roles hold, asked in one query (an EXISTS over `restrict(..., verb)` per verb)."""
    verbs = sorted({verb for _form, verb in ACTION_FORMS.values() if has_action(user, Ticket, verb)})
    if not verbs:
        return set()
    checks = {
        f"may_{verb}": Exists(restrict(Ticket.objects.filter(pk=OuterRef("pk")), user, verb)) for verb in verbs
    }
    row = Ticket.objects.filter(pk=ticket.pk).annotate(**checks).values(*checks).first() or {}
    return {verb for verb in verbs if row.get(f"may_{verb}")}


def available_forms(ticket, verbs) -> set[str]:
    """The forms that make sense for the ticket's state and the user's verbs."""
    live = not ticket.merged_into_id
    is_open = ticket.is_open and live
    resolved = ticket.status == Ticket.Status.RESOLVED and live
    wanted = {
        "reply": live and ticket.status != Ticket.Status.CLOSED,
        "note": True,
        "assign": is_open,
        "transfer": is_open,
        "status": is_open,
        "reopen": resolved,
        "close": resolved,
        "merge": live and ticket.status != Ticket.Status.CLOSED,
        "rate": live,
        "edit": live,  # a link to its own page
    }
    return {key for key, (_form, verb) in ACTION_FORMS.items() if wanted[key] and verb in verbs}


def build_form(key, ticket, user, data=None):
    form_class = ACTION_FORMS[key][0]
    kwargs = {"ticket": ticket, "user": user, "prefix": key}
    if form_class is f.TicketEditForm:
        kwargs["show_pii"] = can_view_pii(user, ticket)
    return form_class(data, **kwargs)


def ticket_context(request, ticket, *, bound=None):
    user = request.user
    now = timezone.now()
    verbs = allowed_verbs(user, ticket)
    shown = available_forms(ticket, verbs)
    forms = {}
    action_forms = []
    for key, heading, button, folded in FORM_LAYOUT:
        if key not in shown:
            continue
        form = bound[1] if bound and bound[0] == key else build_form(key, ticket, user)
        forms[key] = form
        action_forms.append({
            "key": key, "form": form, "heading": heading, "button": button,
            "url": reverse(f"tickets:ticket_{key}", args=[ticket.pk]),
            "folded": folded and not (bound and bound[0] == key),
        })
    pii = can_view_pii(user, ticket)
    entries = list(ticket.timeline.select_related("actor").order_by("at", "id"))
    macros = [(m.pk, m.render(ticket, user)) for m in forms["reply"].macros] if "reply" in forms else []
    senders = {value: str(label) for value, label in ChatMessage.Sender.choices}
    # Follow-ups and merged duplicates: a UNION ALL, not an OR, so each side uses its index
    # (with planner statistics SQLite scans the whole table for the OR of two nullable columns).
    # Only the id is selected, so each side is answered from its (covering) index alone.
    related = list(
        Ticket.objects.filter(previous_ticket=ticket).order_by().annotate(rel=Value("follow_up"))
        .values_list("pk", "rel")
        .union(Ticket.objects.filter(merged_into=ticket).order_by().annotate(rel=Value("merged"))
               .values_list("pk", "rel"), all=True)
    )
    return {
        "ticket": ticket,
        "title": str(ticket),
        "now": now,
        "show_pii": pii,
        "phone": ticket.customer_phone if pii else mask_phone(ticket.customer_phone),
        "address": ticket.customer_address if pii else mask_address(ticket.customer_address),
        "clocks": sla_clocks(ticket, now),
        "rating_stars": "★" * (ticket.rating or 0),
        "chat_messages": [
            {"sender": m.sender, "label": senders.get(m.sender, m.sender), "text": m.text,
             "at": timezone.localtime(m.sent_at).strftime("%m-%d %H:%M")}
            for m in ticket.chat_messages.order_by("sent_at", "id")
        ],
        "timeline": describe_entries(entries),
        "forms": forms,
        "action_forms": action_forms,
        "macro_texts": dict(macros),
        "verbs": verbs,
        "can_edit": "edit" in shown,
        "follow_ups": sorted(pk for pk, rel in related if rel == "follow_up"),
        "merged_tickets": sorted(pk for pk, rel in related if rel == "merged"),
    }


def ticket_queryset(user):
    return restrict(Ticket.objects.with_related(), user, "view")


class TicketDetailView(RestrictedViewMixin, DetailView):
    """The ticket page: customer and order, SLA clocks, conversation, timeline and the work forms."""

    model = Ticket
    template_name = "tickets/ticket_detail.html"
    context_object_name = "ticket"

    def get_queryset(self):
        return ticket_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(ticket_context(self.request, self.object))
        return context


def put_errors(form, exc: ValidationError):
    """Domain errors back on the form: a field's own error where the form has that field."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error.messages if hasattr(error, "messages") else error)
    else:
        form.add_error(None, exc.messages)


class TicketActionView(LoginRequiredMixin, View):
    """POST one work form of the ticket page. Not in scope: 404; verb not allowed: 403;
    invalid: the page again with the form's errors; done: back to the page (POST-redirect-GET)."""

    key = ""

    def fetch(self, request, pk):
        """The ticket, if in the user's scope (else 404) and the verb is theirs on it (else 403)."""
        user = request.user
        ticket = get_object_or_404(ticket_queryset(user), pk=pk)
        verb = ACTION_FORMS[self.key][1]
        if not (has_action(user, Ticket, verb) and can(user, ticket, verb)):
            raise PermissionDenied(_("Your role does not allow this."))
        return ticket

    def post(self, request, pk):
        user = request.user
        ticket = self.fetch(request, pk)
        form = build_form(self.key, ticket, user, data=request.POST)
        if form.is_valid():
            try:
                message = self.perform(form, ticket, user, timezone.now())
            except ValidationError as exc:
                put_errors(form, exc)
            else:
                messages.success(request, message)
                return self.success_redirect(request, ticket)
        # The domain function may have touched the instance before refusing: show the stored state.
        ticket = get_object_or_404(ticket_queryset(user), pk=pk)
        form.ticket = ticket
        return self.render_invalid(request, ticket, form)

    def render_invalid(self, request, ticket, form):
        context = ticket_context(request, ticket, bound=(self.key, form))
        context["error_form"] = self.key
        return render(request, "tickets/ticket_detail.html", context)

    def success_redirect(self, request, ticket):
        if restrict(Ticket.objects.filter(pk=ticket.pk), request.user, "view").exists():
            return redirect(reverse("tickets:ticket", args=[ticket.pk]) + f"#{self.anchor}")
        # Transferred out of the user's scope: back to their queue.
        return redirect("tickets:ticket_list")

    anchor = "timeline"

    def perform(self, form, ticket, user, now) -> str:
        raise NotImplementedError


class ReplyView(TicketActionView):
    key = "reply"

    def perform(self, form, ticket, user, now):
        data = form.cleaned_data
        services.reply(
            ticket, actor=user, body=data["body"], macro=data["macro"], now=now,
            handling_seconds=f.handling_seconds(data), status=data["status"] or None,
        )
        return _("Reply sent.")


class NoteView(TicketActionView):
    key = "note"

    def perform(self, form, ticket, user, now):
        services.add_note(ticket, actor=user, body=form.cleaned_data["body"], now=now,
                          handling_seconds=f.handling_seconds(form.cleaned_data))
        return _("Note added.")


class AssignView(TicketActionView):
    key = "assign"

    def perform(self, form, ticket, user, now):
        assignee = form.cleaned_data["assignee"]
        services.assign(ticket, actor=user, assignee=assignee, now=now)
        return _("Assigned to %(name)s.") % {"name": _name(assignee)} if assignee else _("Unassigned.")


class TransferView(TicketActionView):
    key = "transfer"

    def perform(self, form, ticket, user, now):
        data = form.cleaned_data
        services.transfer(ticket, actor=user, now=now, queue=data["queue"], note=data["note"],
                          round_robin=data["round_robin"])
        return _("Transferred to %(queue)s.") % {"queue": data["queue"].name}


class StatusView(TicketActionView):
    key = "status"

    def perform(self, form, ticket, user, now):
        data = form.cleaned_data
        if data["status"] == Ticket.Status.RESOLVED:
            services.resolve(ticket, actor=user, now=now, note=data["note"], handling_seconds=f.handling_seconds(data))
            return _("Ticket resolved.")
        if not has_action(user, Ticket, "change") or not can(user, ticket, "change"):
            raise PermissionDenied(_("Your role does not allow this."))
        services.change_status(ticket, actor=user, status=data["status"], now=now, note=data["note"])
        return _("Status changed.")


class ReopenView(TicketActionView):
    key = "reopen"

    def perform(self, form, ticket, user, now):
        services.reopen(ticket, actor=user, now=now, reason=form.cleaned_data["reason"])
        return _("Ticket reopened.")


class CloseView(TicketActionView):
    key = "close"

    def perform(self, form, ticket, user, now):
        services.close(ticket, actor=user, now=now, note=form.cleaned_data["note"])
        return _("Ticket closed.")


class MergeView(TicketActionView):
    key = "merge"

    def perform(self, form, ticket, user, now):
        into = form.cleaned_data["into"]
        services.merge(ticket, into=into, actor=user, now=now)
        return _("Merged into #%(id)s.") % {"id": into.pk}


class RateView(TicketActionView):
    key = "rate"

    def perform(self, form, ticket, user, now):
        services.rate(ticket, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"],
                      actor=user, now=now)
        return _("Rating recorded.")


class EditView(TicketActionView):
    """The ticket's descriptive fields on a page of their own (ticket_edit)."""

    key = "edit"
    anchor = "details"

    def get(self, request, pk):
        ticket = self.fetch(request, pk)
        return self.render_invalid(request, ticket, build_form(self.key, ticket, request.user))

    def render_invalid(self, request, ticket, form):
        title = _("Edit ticket #%(id)s") % {"id": ticket.pk}
        return render(request, "tickets/ticket_edit.html", {"ticket": ticket, "form": form, "title": title})

    def perform(self, form, ticket, user, now):
        services.update_ticket(ticket, actor=user, now=now, **form.changes())
        return _("Ticket updated.")


class TicketCreateView(RestrictedViewMixin, FormView):
    """Open a ticket by hand; the new ticket must be one the user may see (else nothing is saved)."""

    model = Ticket
    permission_action = "add"
    form_class = f.TicketForm
    template_name = "tickets/ticket_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "title": _("New ticket")}

    def form_valid(self, form):
        user = self.request.user
        try:
            with transaction.atomic():
                ticket = services.create_ticket(actor=user, now=timezone.now(), **form.create_kwargs())
                if not restrict(Ticket.objects.filter(pk=ticket.pk), user, "view").exists():
                    raise ValidationError({"queue": _("The ticket would land in a queue outside your scope.")})
        except ValidationError as exc:
            put_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Ticket #%(id)s opened.") % {"id": ticket.pk})
        return redirect("tickets:ticket", pk=ticket.pk)


# --- Home page widget -------------------------------------------------------------------------


METRICS_CACHE_SECONDS = 600


def metrics_widget(request):
    """Service metrics of the last 30 days (tickets in the user's scope) for managers and above.

    Computed at most every 10 minutes per user (the cache): over a month of a large store's
    tickets the metrics take most of a second on SQLite, too slow for every home page view.
    """
    user = request.user
    if not (has_oversight(user) and has_action(user, Ticket, "view")):  # metrics cover viewable tickets
        return None
    now = timezone.now()
    key = f"tickets:home-metrics:{user.pk}:{timezone.localdate(now).isoformat()}"
    data = cache.get(key)
    if data is None:
        data = home_metrics(user, now=now)
        cache.set(key, data, METRICS_CACHE_SECONDS)
    return {"template": "tickets/home_metrics.html", "data": data}


def home_metrics(user, *, now):
    from tickets.metrics import ticket_metrics

    today = timezone.localdate(now)
    start = timezone.make_aware(datetime.combine(today - timedelta(days=29), time.min))
    end = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))
    scope = restrict(Ticket.objects.all(), user, "view")
    data = ticket_metrics(start=start, end=end, now=now, queryset=scope)
    data["start"], data["end"], data["as_of"] = start, end - timedelta(days=1), now
    data["org_wide"] = is_org_wide(user)
    for key in ("resolution_24h_rate", "satisfaction_rate", "sla_breach_rate"):
        rate = data.get(key)
        data[f"{key}_pct"] = None if rate is None else round(rate * 100, 1)
    seconds = data.get("average_handling_seconds")
    data["average_handling_text"] = format_minutes(round(seconds / 60)) if seconds is not None else None
    return data
