"""Refund desk pages: the desk lists (open requests by deadline, awaiting return, awaiting
approval, disputes, all), the request page (eligibility, hold, suggested rule, decision form,
evidence uploader, pack download, dispute and ruling), the permission-checked evidence file view
and the pack downloads. Thin: writes go through refunds/services.py."""

from pathlib import PurePath

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView

from portal.permissions import access, has_action, restrict
from portal.views import RestrictedListView, RestrictedViewMixin, safe_next
from refunds import pack, services
from refunds.filtersets import RefundRequestFilterSet
from refunds.forms import (
    DecisionForm,
    DisputeForm,
    EvidenceForm,
    FlagsForm,
    NoteForm,
    ReceivedForm,
    RulingForm,
)
from refunds.models import EvidenceFile, RefundRequest
from refunds.tables import RefundRequestTable
from tickets.tables import CappedCountPaginator

Status = RefundRequest.Status

TABS = [
    ("open", "refunds:request_list", gettext_lazy("Open"), [Status.OPEN]),
    ("awaiting_return", "refunds:awaiting_return", gettext_lazy("Awaiting return"), [Status.AWAITING_RETURN]),
    ("awaiting_approval", "refunds:awaiting_approval", gettext_lazy("Awaiting approval"), [Status.AWAITING_APPROVAL]),
    ("disputes", "refunds:disputes", gettext_lazy("Disputes"), [Status.DISPUTED]),
    ("all", "refunds:all", gettext_lazy("All requests"), None),
]


class RefundRequestListView(RestrictedListView):
    """One desk list per tab, sorted by the platform's deadline (earliest first)."""

    model = RefundRequest
    table_class = RefundRequestTable
    filterset_class = RefundRequestFilterSet
    template_name = "refunds/request_list.html"
    tab = "open"
    # One count, capped: a desk list never counts every request of a big backlog.
    paginate_by = None
    table_pagination = {"per_page": 50, "paginator_class": CappedCountPaginator}

    def get_queryset(self):
        statuses = next(entry[3] for entry in TABS if entry[0] == self.tab)
        queryset = super().get_queryset().select_related("store", "reason").order_by("respond_by", "id")
        return queryset if statuses is None else queryset.filter(status__in=statuses)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("Refund desk")
        context["tabs"] = [(key, url, label, key == self.tab) for key, url, label, _s in TABS]
        return context


class RefundRequestDetailView(RestrictedViewMixin, DetailView):
    model = RefundRequest
    template_name = "refunds/request_detail.html"
    context_object_name = "refund"

    def get_queryset(self):
        return super().get_queryset().select_related("store", "reason", "policy", "suggested_rule", "rule",
                                                     "product_line", "return_shipment", "goods_received_by",
                                                     "decided_by")

    def get_context_data(self, forms=None, **kwargs):
        from tickets.models import Ticket

        context = super().get_context_data(**kwargs)
        refund, user = self.object, self.request.user
        forms = forms or {}
        context["title"] = _("Refund request %(id)s") % {"id": refund.platform_request_id}
        context["events"] = list(refund.events.select_related("actor").order_by("at", "id"))
        may_see_files = has_action(user, EvidenceFile, "view")
        context["evidence"] = list(refund.evidence.select_related("uploaded_by")) if may_see_files else []
        context["may_see_files"] = may_see_files
        context["ticket"] = (restrict(Ticket.objects.filter(pk=refund.ticket_id), user, "view").select_related("queue")
                             .first() if refund.ticket_id else None)
        rule = refund.rule or refund.suggested_rule
        context["rule"] = rule
        if refund.suggested_rule is not None:
            context["suggested_amount"], context["suggested_calculation"] = services.rule_amount(
                refund, refund.suggested_rule)
            context["missing_evidence"] = services.missing_evidence(refund, refund.suggested_rule)
        context["pending"] = services.pending_decision(refund) if refund.status == Status.AWAITING_APPROVAL else None
        context["decisions"] = list(refund.decisions.select_related("rule", "decided_by", "approved_by"))
        context["return_shipment"] = (restrict(type(refund.return_shipment).objects.filter(pk=refund.return_shipment_id),
                                               user, "view").first() if refund.return_shipment_id else None)
        may_decide = has_action(user, RefundRequest, "decide")
        if may_decide and refund.status in (Status.OPEN, Status.AWAITING_RETURN):
            initial = {"rule": refund.suggested_rule.code if refund.suggested_rule else None}
            if refund.suggested_rule and refund.suggested_rule.outcome == "partial_refund":
                initial.update(decision="partial", amount=context["suggested_amount"])
            context["decision_form"] = forms.get("decide") or DecisionForm(initial=initial)
            context["flags_form"] = forms.get("flags") or FlagsForm(initial={"flags": refund.flags})
        if may_decide and refund.status == Status.AWAITING_RETURN:
            context["received_form"] = forms.get("received") or ReceivedForm()
        if has_action(user, EvidenceFile, "add") and refund.status not in (Status.CANCELLED, Status.CLOSED):
            context["evidence_form"] = forms.get("evidence") or EvidenceForm()
        if context["pending"] is not None and has_action(user, RefundRequest, "approve"):
            context["approve_form"] = forms.get("approve") or NoteForm()
        may_dispute = has_action(user, RefundRequest, "dispute")
        if may_dispute and refund.status == Status.DECIDED and refund.decision in services.CONTESTED:
            context["dispute_form"] = forms.get("dispute") or DisputeForm(initial={
                "submitted_on": timezone.localdate()})
        if may_dispute and (refund.status == Status.DISPUTED or (
                refund.status == Status.DECIDED and refund.decision in services.CONTESTED)):
            context["ruling_form"] = forms.get("ruling") or RulingForm()
        if may_decide and refund.status == Status.DECIDED:
            context["close_form"] = NoteForm()
        return context


def _errors_to_form(form, error: ValidationError):
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class RefundActionView(LoginRequiredMixin, View):
    """POST one of the request page's forms; a refusal re-renders the page with the form as typed. On
    success back to the posted `next` (the approvals inbox approves and declines in place), else to
    the request's page."""

    ACTIONS = {
        # name: (permission verb, form class, success message)
        "decide": ("decide", DecisionForm, gettext_lazy("Decision recorded.")),
        "flags": ("decide", FlagsForm, gettext_lazy("Condition of the goods recorded; eligibility checked again.")),
        "received": ("decide", ReceivedForm, gettext_lazy("Goods recorded as received.")),
        "evidence": ("view", EvidenceForm, gettext_lazy("Evidence file added.")),
        "approve": ("approve", NoteForm, gettext_lazy("Decision approved.")),
        "decline": ("approve", NoteForm, gettext_lazy("Decision declined.")),
        "dispute": ("dispute", DisputeForm, gettext_lazy("Dispute recorded.")),
        "ruling": ("dispute", RulingForm, gettext_lazy("Platform ruling recorded.")),
        "close": ("decide", NoteForm, gettext_lazy("Request closed.")),
    }
    # Where the page shows each posted form; a form it no longer shows (a decision posted twice, a
    # dispute on a closed request) has its refusal said at the top of the page instead.
    FORM_IN_PAGE = {"decide": "decision_form", "flags": "flags_form", "received": "received_form",
                    "evidence": "evidence_form", "approve": "approve_form", "decline": "approve_form",
                    "dispute": "dispute_form", "ruling": "ruling_form", "close": "close_form"}

    def post(self, request, pk, name):
        if name not in self.ACTIONS:
            raise Http404
        verb, form_class, success = self.ACTIONS[name]
        refund = access(RefundRequest.objects.select_related("store"), request.user, verb, pk)
        if name == "evidence" and not has_action(request.user, EvidenceFile, "add"):
            raise PermissionDenied(_("Your role does not allow this."))
        form = form_class(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = self.run(name, refund, form.cleaned_data, request.user, timezone.now())
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                if name == "decide" and result.status == result.Status.AWAITING_APPROVAL:
                    messages.info(request, _("The decision is above your approval limit and waits for a manager."))
                else:
                    messages.success(request, success)
                return redirect(safe_next(request, reverse("refunds:request", args=[refund.pk])))
        view = RefundRequestDetailView(request=request, kwargs={"pk": pk}, args=())
        view.object = view.get_queryset().get(pk=pk)
        form_key = "approve" if name == "decline" else name
        context = view.get_context_data(object=view.object, forms={form_key: form})
        if context.get(self.FORM_IN_PAGE[name]) is not form:
            messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
        return render(request, view.template_name, context, status=400)

    @staticmethod
    def run(name, refund, data, user, now):
        if name == "decide":
            return services.decide(refund, decision=data["decision"], amount=data["amount"], rule=data["rule"],
                                   note=data["note"], actor=user, now=now)
        if name == "flags":
            return services.set_flags(refund, flags=data["flags"], actor=user, now=now)
        if name == "received":
            return services.record_goods_received(refund, actor=user, now=now, at=data["received_at"])
        if name == "evidence":
            return services.add_evidence(refund, upload=data["file"], kind=data["kind"], note=data["note"],
                                         actor=user, now=now)
        if name == "approve":
            return services.approve_decision(refund, actor=user, now=now, note=data["note"])
        if name == "decline":
            return services.decline_decision(refund, actor=user, now=now, note=data["note"])
        if name == "dispute":
            return services.submit_dispute(refund, submitted_on=data["submitted_on"], note=data["note"], actor=user,
                                           now=now)
        if name == "ruling":
            return services.record_ruling(refund, ruling=data["ruling"], amount=data["amount"], note=data["note"],
                                          actor=user, now=now)
        return services.close_request(refund, actor=user, now=now, note=data["note"])


class EvidenceFileView(LoginRequiredMixin, View):
    """Streams an evidence file (or its thumbnail) to a user who may see it: the same rule as the
    request's page; files have no public URL."""

    def get(self, request, pk, file_id):
        evidence = access(EvidenceFile.objects.filter(request_id=pk), request.user, "view", file_id)
        thumb = request.GET.get("thumb") == "1" and evidence.thumbnail
        try:
            handle = (evidence.thumbnail if thumb else evidence.file).open("rb")
        except FileNotFoundError:  # the row outlived its file (a restore without the media folder)
            raise Http404 from None
        response = FileResponse(handle, content_type="image/jpeg" if thumb else evidence.content_type)
        disposition = "inline" if evidence.is_image or evidence.content_type == "application/pdf" else "attachment"
        suffix = ".jpg" if thumb else PurePath(evidence.file.name).suffix
        response["Content-Disposition"] = f'{disposition}; filename="evidence-{evidence.pk}{suffix}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, max-age=300"
        return response


class EvidencePackView(LoginRequiredMixin, View):
    """The evidence pack as PDF or ZIP, for a user who may see the request and its files."""

    def get(self, request, pk, fmt):
        refund = access(RefundRequest.objects.select_related("store", "reason", "policy", "rule", "suggested_rule"),
                        request.user, "view", pk)
        if not has_action(request.user, EvidenceFile, "view"):
            raise PermissionDenied(_("Your role does not allow this."))
        return pack.response(pack.collect(refund), fmt)
