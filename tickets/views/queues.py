"""The queue pages (my team's queue, my tickets, at risk, breached, all tickets), their column
choice and their bulk assign and transfer.

Every queryset goes through `restrict(queryset, user, verb)` (portal.permissions), the same rule
the API and admin apply, narrowed to the tickets the user works (`working_tickets`): a queue is
work to take, so a ticket the user only reads as a past participant is not in it; writes call the
domain functions in tickets/services.py.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from portal.inputs import whole_number
from portal.models import Store
from portal.permissions import has_action, restrict, visible_team_ids
from portal.views import RestrictedListView, safe_next
from tickets import forms as f
from tickets import services
from tickets.filtersets import TicketFilterSet
from tickets.models import Ticket, TicketQuerySet
from tickets.permissions import working_tickets
from tickets.tables import CappedCountPaginator, TicketTable

AT_RISK_WITHIN = timedelta(hours=2)
COLUMNS_SESSION_KEY = "tickets.columns"
BULK_SELECTED_SESSION_KEY = "tickets.bulk_selected"
COUNT_CAP = 999  # the tabs' live counts stop here ("999+")
# The pages worked by SLA: their default order is the SLA order (sla_ordered()).
SLA_PAGES = {"team", "mine", "at_risk", "breached"}


def has_oversight(user) -> bool:
    """The "All tickets" page (still within the user's scope) and the service metrics: the same
    `oversee` verb the metrics API requires."""
    return has_action(user, Ticket, "oversee")


class QueuePage:
    """One queue page: its key, URL name, title and the narrowing of the user's tickets."""

    def __init__(self, key, url_name, title, oversight_only=False):
        self.key = key
        self.url_name = url_name
        self.title = title
        self.oversight_only = oversight_only

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
        QueuePage("at_risk", "tickets:at_risk", gettext_lazy("At risk (due within 2 hours)")),
        QueuePage("breached", "tickets:breached", gettext_lazy("Breached")),
        QueuePage("all", "tickets:all_tickets", gettext_lazy("All tickets"), oversight_only=True),
    ]
}


def queue_page(key) -> QueuePage:
    try:
        return QUEUE_PAGES[key]
    except KeyError:
        raise Http404(_("No such queue page.")) from None


def sla_ordered(queryset, now):
    """The order of SLA work: open major complaints pinned on top, then breached tickets, then by the
    nearest due time that still matters (first response while unanswered, else resolution; a
    paused clock has none and goes last), oldest id first among equals."""
    open_q = Q(status__in=Ticket.OPEN_STATUSES)
    return queryset.annotate(
        sla_pin=Case(When(open_q & Q(is_major=True), then=Value(0)), default=Value(1), output_field=IntegerField()),
        sla_late=Case(When(TicketQuerySet.breached_q(now), then=Value(0)), default=Value(1),
                      output_field=IntegerField()),
        sla_due=Case(
            When(~open_q | Q(clock_paused_at__isnull=False), then=Value(None)),
            When(first_response_at__isnull=True, first_response_due__isnull=False, then=F("first_response_due")),
            default=F("resolution_due"),
        ),
    ).order_by("sla_pin", "sla_late", F("sla_due").asc(nulls_last=True), "id")


def queue_tickets(user, action):
    """The tickets a queue page starts from: those the user may `action` and works
    (`working_tickets`), not those they only read as past participants, which they cannot take."""
    return working_tickets(restrict(Ticket.objects.all(), user, action), user)


def queue_queryset(user, action, page: QueuePage, now):
    """The page's tickets the user may `action` (view, export) and works, with what the table
    shows; the SLA pages in the SLA order (a sort chosen by the user replaces it)."""
    queryset = queue_tickets(user, action)
    queryset = (
        page.narrow(queryset, user, now)
        .select_related("store", "queue", "queue__team", "assignee")
        .with_priority_rank()
    )
    return sla_ordered(queryset, now) if page.key in SLA_PAGES else queryset


def tab_counts(user, now) -> dict[str, int]:
    """How many tickets each of the user's queue tabs holds (capped at COUNT_CAP + 1), for the live
    counts on the tabs: one capped COUNT per tab."""
    counts = {}
    for page in QUEUE_PAGES.values():
        if not page.allowed(user):
            continue
        queryset = page.narrow(queue_tickets(user, "view"), user, now)
        counts[page.key] = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
    return counts


# Filters shown in the UI's filter bar; the others still work as URL parameters (as in the API).
UI_FILTERS = ["q", "queue", "assignee", "store", "status", "category", "priority", "is_major"]


def prepare_filter_form(filterset, user, *, workers, queues):
    """Friendlier widgets for the UI: choice lists in the user's scope for assignee and store;
    the queue list given (loaded once for the filter and the bulk form)."""
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
        return {
            "user": user, "now": self.now, "with_select": bool(self.bulk_verbs()),
            "exclude": TicketTable.exclude_for(self.request.session.get(COLUMNS_SESSION_KEY) or []),
            # Ticked rows of a bulk action that failed stay ticked.
            "selected": set(self.request.session.pop(BULK_SELECTED_SESSION_KEY, None) or []),
            "can_take": has_action(user, Ticket, "reply"),
            "next_url": self.request.get_full_path(),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["title"] = self.page.title
        context["page_key"] = self.page.key
        context["tabs"] = [
            {"key": p.key, "title": p.title, "url": reverse(p.url_name), "active": p.key == self.page.key}
            for p in QUEUE_PAGES.values() if p.allowed(user)
        ]
        context["counts_url"] = reverse("tickets:ticket_counts")
        context["sla_order"] = self.page.key in SLA_PAGES and "sort" not in self.request.GET
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


class TicketColumnsView(LoginRequiredMixin, View):
    """Remember the user's column choice for the queue pages (in the session)."""

    def post(self, request):
        form = f.ColumnsForm(request.POST)
        if "reset" in request.POST:
            request.session.pop(COLUMNS_SESSION_KEY, None)
        elif form.is_valid():
            request.session[COLUMNS_SESSION_KEY] = form.cleaned_data["columns"]
        return redirect(safe_next(request, reverse("tickets:ticket_list")))


class TicketBulkView(LoginRequiredMixin, View):
    """Assign or transfer the selected tickets. Each row is re-checked through `restrict` with the
    action's verb; rows out of scope and rows the domain refuses are reported, the rest done."""

    def post(self, request):
        user = request.user
        form = f.BulkForm(request.POST, user=user)
        back = safe_next(request, reverse("tickets:ticket_list"))
        ticked = [n for n in map(whole_number, request.POST.getlist("select")) if n is not None][:500]
        if not form.is_valid():
            for field, errors in form.errors.items():
                for error in errors:
                    messages.error(request, f"{form.fields[field].label}: {error}" if field in form.fields else error)
            request.session[BULK_SELECTED_SESSION_KEY] = ticked
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
        if failed:
            request.session[BULK_SELECTED_SESSION_KEY] = [pk for pk, _reason in failed]
        return redirect(back)


class TicketCountsView(LoginRequiredMixin, View):
    """`GET /tickets/counts/`: the live counts of the user's queue tabs, as JSON (polled by the page)."""

    def get(self, request):
        if not has_action(request.user, Ticket, "view"):
            raise PermissionDenied(_("Your role does not allow this."))
        counts = tab_counts(request.user, timezone.now())
        return JsonResponse({"counts": counts, "cap": COUNT_CAP})

