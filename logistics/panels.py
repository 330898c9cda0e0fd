"""What the logistics app adds to the tickets app's pages (through `portal.registry`): the parcels of
the ticket's order in the customer-context panel, and the `{waybill}` of a ticket's macros."""

from django.template.loader import render_to_string

PANEL_PARCELS = 5


def _order_parcels(ticket):
    from logistics.models import Shipment

    if not ticket.order_no:
        return Shipment.objects.none()
    return Shipment.objects.filter(store_id=ticket.store_id, order_number=ticket.order_no)


def ticket_parcels(context, ticket) -> str:
    """The parcels of the ticket's order that the user may see (customer context on the ticket page)."""
    from portal.permissions import has_action, restrict

    request = context["request"]
    user = request.user
    from logistics.models import Shipment

    if not ticket.order_no or not has_action(user, Shipment, "view"):
        return ""
    parcels = list(restrict(_order_parcels(ticket), user, "view").select_related("carrier")
                   .order_by("-last_event_at", "-id")[:PANEL_PARCELS])
    if not parcels:
        return ""
    return render_to_string("logistics/ticket_parcels_panel.html", {"parcels": parcels, "ticket": ticket},
                            request=request)


def ticket_waybill(ticket) -> dict:
    """`{waybill}` for a macro: the waybill of the order's latest parcel."""
    row = _order_parcels(ticket).order_by("-last_event_at", "-id").values_list("waybill_number", flat=True).first()
    return {"waybill": row} if row else {}
