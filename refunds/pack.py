"""The evidence pack of a refund request, ready to upload to the marketplace: one PDF (the request
and its timeline, the chat transcript of the linked ticket, the order's tracking timeline of the
outbound and return parcels, the installation record, the rule applied and the uploaded files, with
images embedded) and a ZIP of that PDF with the original files.

The PDF is written by fpdf2 (pure Python) with a CJK font shipped in refunds/fonts (a GB2312
subset of Source Han Sans SC, SIL Open Font License, renamed as the licence asks of a modified
font), embedded and subset per document, so Chinese reads the same on every machine.

The pack is assembled for a reader who may see the request; the customer's personal data in the
tracking and installation records stays masked (`portal.pii`) as on every page."""

import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from portal.formatting import person_name
from refunds.models import RefundRequest

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "PortalSansSC-Subset.otf"
FONT = "portal-cjk"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
# fontTools logs every glyph of every subset at INFO level.
logging.getLogger("fontTools").setLevel(logging.WARNING)


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


@dataclass
class PackContent:
    """Everything the pack shows, read with a fixed number of queries."""

    request: RefundRequest
    events: list = field(default_factory=list)
    chat: list = field(default_factory=list)
    parcels: list = field(default_factory=list)  # (shipment, [events])
    jobs: list = field(default_factory=list)  # (job, [events])
    files: list = field(default_factory=list)


def collect(request: RefundRequest) -> PackContent:
    """Read what the pack shows. The caller has checked that the reader may see the request."""
    from installation.models import InstallationJob
    from logistics.models import Shipment
    from tickets.models import ChatMessage, TimelineEntry

    content = PackContent(request=request)
    content.events = list(request.events.select_related("actor").order_by("at", "id"))
    if request.ticket_id:
        messages = list(ChatMessage.objects.filter(ticket_id=request.ticket_id).order_by("sent_at", "id"))
        if messages:
            content.chat = [(m.sent_at, m.get_sender_display(), m.text) for m in messages]
        else:
            public = TimelineEntry.objects.filter(
                ticket_id=request.ticket_id, visibility=TimelineEntry.Visibility.PUBLIC,
                kind__in=[TimelineEntry.Kind.CUSTOMER_MESSAGE, TimelineEntry.Kind.REPLY, TimelineEntry.Kind.BOT_MESSAGE],
            ).order_by("at", "id")
            content.chat = [(e.at, e.get_kind_display(), e.body) for e in public]
    parcels = list(Shipment.objects.filter(store_id=request.store_id, order_number=request.order_no)
                   .select_related("carrier").prefetch_related("events").order_by("direction", "created_at"))
    if request.return_shipment_id and all(p.pk != request.return_shipment_id for p in parcels):
        parcels += list(Shipment.objects.filter(pk=request.return_shipment_id).select_related("carrier")
                        .prefetch_related("events"))
    content.parcels = [(p, sorted(p.events.all(), key=lambda e: (e.occurred_at, e.pk))) for p in parcels]
    jobs = list(InstallationJob.objects.filter(store_id=request.store_id, order_number=request.order_no)
                .select_related("product", "partner").prefetch_related("events"))
    content.jobs = [(j, sorted(j.events.all(), key=lambda e: (e.at, e.pk))) for j in jobs]
    content.files = list(request.evidence.select_related("uploaded_by").order_by("uploaded_at", "id"))
    return content


class _PackPDF(FPDF):
    def __init__(self, title):
        super().__init__(format="A4")
        self.pack_title = title
        self.set_auto_page_break(auto=True, margin=15)
        self.add_font(FONT, "", str(FONT_PATH))
        self.set_title(title)
        self.set_creator("Service portal refund desk")

    def header(self):
        self.set_font(FONT, size=8)
        self.set_text_color(120)
        self.cell(0, 6, self.pack_title, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(120)
        self.cell(0, 6, f"{self.page_no()}", align="C")
        self.set_text_color(0)

    def heading(self, text):
        self.ln(2)
        self.set_font(FONT, size=13)
        self.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(200)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1)
        self.set_font(FONT, size=9.5)

    def pairs(self, rows):
        width = 45
        for label, value in rows:
            self.set_font(FONT, size=9.5)
            self.set_text_color(90)
            y = self.get_y()
            self.multi_cell(width, 5.5, str(label), new_x="RIGHT", new_y="TOP")
            self.set_text_color(0)
            self.set_xy(self.l_margin + width, y)
            self.multi_cell(0, 5.5, str(value) if value not in (None, "") else "—", new_x="LMARGIN", new_y="NEXT")

    def line_item(self, when, who, text):
        self.set_font(FONT, size=9)
        self.set_text_color(90)
        self.multi_cell(0, 5, f"{when}  {who}", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)
        if text:
            self.set_x(self.l_margin + 4)
            self.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")


def render_pdf(content: PackContent) -> bytes:
    """The pack as PDF bytes."""
    request = content.request
    title = _("Evidence pack · refund request %(platform_id)s · order %(order)s") % {
        "platform_id": request.platform_request_id, "order": request.order_no}
    pdf = _PackPDF(title)
    pdf.add_page()
    pdf.set_font(FONT, size=16)
    pdf.multi_cell(0, 9, _("Evidence pack: refund request %(platform_id)s") % {
        "platform_id": request.platform_request_id}, new_x="LMARGIN", new_y="NEXT")

    pdf.heading(_("Request"))
    rule = request.rule or request.suggested_rule
    pdf.pairs([
        (_("Store"), request.store.name),
        (_("Order number"), request.order_no),
        (_("Kind"), request.get_kind_display()),
        (_("Reason"), request.reason.name),
        (_("Amount requested"), f"¥{request.amount}"),
        (_("Order amount"), f"¥{request.order_amount}" if request.order_amount is not None else None),
        (_("Buyer's statement"), request.buyer_statement),
        (_("Requested at"), _local(request.requested_at)),
        (_("Respond by"), _local(request.respond_by)),
        (_("Status"), request.get_status_display()),
        (_("Delivered at"), _local(request.delivered_at)),
        (_("Return policy"), request.policy.name if request.policy else None),
        (_("Eligibility"), request.eligibility_reason),
        (_("Goods received"), f"{_local(request.goods_received_at)} ({request.get_goods_received_via_display()})"
         if request.goods_received_at else None),
        (_("Decision"), f"{request.get_decision_display()} · ¥{request.refund_amount}" if request.decision else None),
        (_("Dispute submitted on"), request.dispute_submitted_on),
        (_("Platform ruling"), f"{request.get_ruling_display()} · ¥{request.ruling_amount}" if request.ruling else None),
    ])

    pdf.heading(_("Responsibility rule applied"))
    if rule is None:
        pdf.multi_cell(0, 5.5, _("No rule applied."), new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.pairs([
            (_("Rule"), rule.code),
            (_("Scenario"), f"{rule.scenario_zh} / {rule.scenario_en}" if rule.scenario_en else rule.scenario_zh),
            (_("Responsible party"), rule.get_responsible_party_display()),
            (_("Default outcome"), rule.get_outcome_display()),
            (_("Depreciation"), f"{rule.depreciation_percent}%" if rule.depreciation_percent is not None else None),
            (_("Fixed fee"), f"¥{rule.fixed_fee}" if rule.fixed_fee is not None else None),
            (_("Evidence required"), ", ".join(rule.required_evidence or [])),
            (_("Notes"), rule.notes),
        ])

    pdf.heading(_("Timeline of the request"))
    for event in content.events:
        who = person_name(event.actor, _("System"))
        pdf.line_item(_local(event.at), f"{event.get_kind_display()} · {who}", event.note)

    pdf.heading(_("Chat transcript"))
    if not content.chat:
        pdf.multi_cell(0, 5.5, _("No chat messages on the linked ticket."), new_x="LMARGIN", new_y="NEXT")
    for at, sender, text in content.chat:
        pdf.line_item(_local(at), sender, text)

    pdf.heading(_("Tracking"))
    if not content.parcels:
        pdf.multi_cell(0, 5.5, _("No parcel of this order is tracked."), new_x="LMARGIN", new_y="NEXT")
    for parcel, events in content.parcels:
        pdf.set_font(FONT, size=10.5)
        pdf.multi_cell(0, 6, f"{parcel.get_direction_display()} · {parcel.carrier.name} {parcel.waybill_number} · "
                             f"{parcel.get_status_display()}", new_x="LMARGIN", new_y="NEXT")
        for event in events:
            place = " ".join(part for part in (event.city, event.outlet) if part)
            pdf.line_item(_local(event.occurred_at), event.get_status_display(),
                          f"{event.description} {place}".strip())

    if content.jobs:
        pdf.heading(_("Installation"))
        for job, events in content.jobs:
            pdf.set_font(FONT, size=10.5)
            product = job.product.name if job.product_id else ""
            partner = job.partner.name if job.partner_id else ""
            pdf.multi_cell(0, 6, f"#{job.pk} {product} · {partner} · {job.get_node_display()}",
                           new_x="LMARGIN", new_y="NEXT")
            for event in events:
                pdf.line_item(_local(event.at), event.get_node_display(),
                              " ".join(part for part in (event.technician_name, event.note, event.reason) if part))

    pdf.heading(_("Evidence files"))
    if not content.files:
        pdf.multi_cell(0, 5.5, _("No files uploaded."), new_x="LMARGIN", new_y="NEXT")
    for number, evidence in enumerate(content.files, start=1):
        pdf.set_font(FONT, size=10)
        pdf.multi_cell(0, 6, f"{number}. {evidence.get_kind_display()} · {evidence.original_name} · "
                             f"{evidence.content_type} · {evidence.size:,} B · {_local(evidence.uploaded_at)}",
                       new_x="LMARGIN", new_y="NEXT")
        if evidence.note:
            pdf.line_item("", "", evidence.note)
        if evidence.is_image:
            try:
                with evidence.file.open("rb") as handle:
                    data = handle.read()
                width = min(120, pdf.w - pdf.l_margin - pdf.r_margin)
                pdf.image(io.BytesIO(data), w=width, keep_aspect_ratio=True, h=90)
            except (OSError, ValueError, RuntimeError):
                pdf.line_item("", "", _("(the image could not be embedded)"))
        else:
            pdf.line_item("", "", _("Attached in the ZIP as %(name)s.") % {"name": zip_name(number, evidence)})
        pdf.ln(2)
    return bytes(pdf.output())


def zip_name(number, evidence) -> str:
    stem = Path(evidence.original_name).stem[:60] or "file"
    extension = Path(evidence.file.name).suffix
    return f"evidence/{number:02d}-{evidence.kind}-{stem}{extension}"


def pdf_name(request) -> str:
    """The download's file name: the platform's request id is the marketplace's text (a newline or a
    quote in it would break the Content-Disposition header), so only [A-Za-z0-9._-] are kept."""
    return _UNSAFE_NAME.sub("_", f"evidence-pack-{request.store.code}-{request.platform_request_id}") + ".pdf"


def render_zip(content: PackContent) -> bytes:
    """The PDF plus the original files."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(pdf_name(content.request), render_pdf(content))
        for number, evidence in enumerate(content.files, start=1):
            with evidence.file.open("rb") as handle:
                archive.writestr(zip_name(number, evidence), handle.read())
    return out.getvalue()


def response(content: PackContent, fmt: str) -> HttpResponse:
    """The pack as a download: `fmt` "pdf" (the PDF alone) or "zip" (the PDF and the original files);
    the one answer of the desk page and the API."""
    if fmt == "pdf":
        body, content_type, name = render_pdf(content), "application/pdf", pdf_name(content.request)
    else:
        body, content_type = render_zip(content), "application/zip"
        name = pdf_name(content.request).removesuffix(".pdf") + ".zip"
    answer = HttpResponse(body, content_type=content_type)
    answer["Content-Disposition"] = f'attachment; filename="{name}"'
    return answer
