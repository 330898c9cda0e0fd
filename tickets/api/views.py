"""Ticket API: list/detail/create/update, the work actions, chat ingestion, metrics.

Viewsets are thin: they validate input, fetch the ticket through `restrict` with the action's verb
(outside scope: 404; verb not held: 403) and call the domain functions in tickets/services.py.
"""

from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.filters import StrictFilterBackend
from portal.api.views import OutboundFeedView
from portal.api.viewsets import RestrictedModelViewSet, RestrictedReadOnlyViewSet
from portal.inputs import in_year_range, whole_number, year_range_message
from portal.integrations import STAFF_ONLY, Kind
from portal.models import OutboundMessage, Store, Team
from portal.permissions import can, has_action, restrict
from tickets import chat, metrics, services
from tickets.api import serializers as s
from tickets.filtersets import TicketFilterSet
from tickets.models import Macro, Queue, Ticket, TimelineEntry


class TicketViewSet(RestrictedModelViewSet):
    """Tickets in the caller's scope. Writes go through the domain functions."""

    queryset = Ticket.objects.with_related().with_priority_rank()
    filterset_class = TicketFilterSet
    filter_backends = [StrictFilterBackend]
    http_method_names = ["get", "post", "patch", "head", "options"]
    integration_kind = STAFF_ONLY  # but `rate`: the marketplace reports buyers' ratings

    def get_serializer_class(self):
        return s.TicketSerializer if self.action == "list" else s.TicketDetailSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["now"] = self.now
        return context

    @cached_property
    def now(self):
        """One moment for the whole request."""
        return timezone.now()

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(self._timeline())
        return queryset

    @staticmethod
    def _timeline():
        return Prefetch("timeline", queryset=TimelineEntry.objects.select_related("actor").order_by("at", "id"))

    def _detail(self, ticket, status_code=status.HTTP_200_OK):
        fresh = Ticket.objects.with_related().prefetch_related(self._timeline()).get(pk=ticket.pk)
        return Response(s.TicketDetailSerializer(fresh, context=self.get_serializer_context()).data, status=status_code)

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _in_scope(self, ticket):
        # The working scope ("add"), not "view": the opener may read what they opened anywhere, but
        # may open tickets only where they work.
        if not restrict(Ticket.objects.filter(pk=ticket.pk), self.request.user, "add").exists():
            raise PermissionDenied(_("The result would be outside your scope."))

    @extend_schema(request=s.TicketCreateSerializer, responses={201: s.TicketDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = self._input(s.TicketCreateSerializer)
        with transaction.atomic():
            ticket = services.create_ticket(actor=request.user, now=self.now, **data)
            self._in_scope(ticket)
        return self._detail(ticket, status.HTTP_201_CREATED)

    @extend_schema(request=s.TicketUpdateSerializer, responses=s.TicketDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            return Response(status=status.HTTP_405_METHOD_NOT_ALLOWED)
        ticket = self.get_object()
        data = dict(self._input(s.TicketUpdateSerializer))
        new_status = data.pop("status", None)
        with transaction.atomic():
            if data:
                services.update_ticket(ticket, actor=request.user, now=self.now, **data)
            if new_status:
                services.change_status(ticket, actor=request.user, status=new_status, now=self.now)
        return self._detail(ticket)

    # --- Actions ----------------------------------------------------------------------------

    @extend_schema(request=s.ReplySerializer, responses=s.TicketDetailSerializer)
    @action(detail=True, methods=["post"], permission_action="reply")
    def reply(self, request, pk=None):
        ticket = self.get_object()
        data = self._input(s.ReplySerializer)
        if data.get("status") == Ticket.Status.RESOLVED and not (
                has_action(request.user, Ticket, "resolve") and can(request.user, ticket, "resolve")):
            raise PermissionDenied(_("Your role does not allow resolving this ticket."))
        services.reply(
            ticket, actor=request.user, body=data.get("body", ""), macro=data.get("macro"), now=self.now,
            handling_seconds=data.get("handling_seconds"), status=data.get("status"),
        )
        return self._detail(ticket)

    @extend_schema(request=s.NoteSerializer, responses=s.TicketDetailSerializer)
    @action(detail=True, methods=["post"], permission_action="reply")
    def note(self, request, pk=None):
        ticket = self.get_object()
        data = self._input(s.NoteSerializer)
        services.add_note(
            ticket, actor=request.user, body=data["body"], now=self.now, handling_seconds=data.get("handling_seconds")
        )
        return self._detail(ticket)

    @extend_schema(request=s.AssignSerializer, responses=s.TicketDetailSerializer)
    @action(detail=True, methods=["post"], permission_action="assign")
    def assign(self, request, pk=None):
        ticket = self.get_object()
        data = self._input(s.AssignSerializer)
        if data["round_robin"]:
            services.assign_round_robin(ticket, actor=request.user, now=self.now)
        else:
            services.assign(ticket, actor=request.user, assignee=data["assignee"], now=self.now)
        return self._detail(ticket)

    @extend_schema(request=s.TransferSerializer, responses=s.TicketDetailSerializer)
    @action(detail=True, methods=["post"], permission_action="transfer")
    def transfer(self, request, pk=None):
        ticket = self.get_object()
        data = self._input(s.TransferSerializer)
        # Transferring out of one's own scope is the point of a transfer: no scope re-check after it.
        services.transfer(
            ticket, actor=request.user, now=self.now, queue=data.get("queue"), team=data.get("team"),
            assignee=data.get("assignee"), note=data["note"], round_robin=data["round_robin"],
        )
        if not restrict(Ticket.objects.filter(pk=ticket.pk), request.user, "view").exists():
            return Response({"id": ticket.pk, "queue": ticket.queue_id, "status": ticket.status})
        return self._detail(ticket)

    @extend_schema(request=s.ResolveSerializer, responses=s.TicketDetailSerializer)
    @action(detail=True, methods=["post"], permission_action="resolve")
    def resolve(self, request, pk=None):
        ticket = self.get_object()
        data = self._input(s.ResolveSerializer)
        services.resolve(
            ticket, actor=request.user, now=self.now, note=data["note"], handling_seconds=data.get("handling_seconds")
        )
        return self._detail(ticket)

    @extend_schema(request=s.ReopenSerializer, responses=s.TicketDetailSerializer)
    @action(detail=True, methods=["post"], permission_action="resolve")
    def reopen(self, request, pk=None):
        ticket = self.get_object()
        data = self._input(s.ReopenSerializer)
        services.reopen(ticket, actor=request.user, now=self.now, reason=data["reason"])
        return self._detail(ticket)

    @extend_schema(request=s.RateSerializer, responses=s.RatingResultSerializer)
    @action(detail=True, methods=["post"], permission_action="rate", integration_kind=Kind.MARKETPLACE_CHAT)
    def rate(self, request, pk=None):
        ticket = self.get_object()
        data = self._input(s.RateSerializer)
        services.rate(ticket, rating=data["rating"], comment=data["comment"], actor=request.user, now=self.now)
        return Response(s.RatingResultSerializer(ticket).data)

    @extend_schema(request=s.MergeSerializer, responses=s.TicketDetailSerializer)
    @action(detail=True, methods=["post"], permission_action="merge")
    def merge(self, request, pk=None):
        ticket = self.get_object()
        data = self._input(s.MergeSerializer)
        into = restrict(Ticket.objects.all(), request.user, "merge").filter(pk=data["into"]).first()
        if into is None:
            raise ValidationError({"into": [_("No ticket #%(id)s in your scope.") % {"id": data["into"]}]})
        services.merge(ticket, into=into, actor=request.user, now=self.now)
        return self._detail(ticket)


class QueueViewSet(RestrictedReadOnlyViewSet):
    queryset = Queue.objects.all()
    serializer_class = s.QueueSerializer
    filterset_fields = ["team", "is_default"]


class MacroViewSet(RestrictedReadOnlyViewSet):
    queryset = Macro.objects.filter(is_active=True)
    serializer_class = s.MacroSerializer
    filterset_fields = ["queue", "team"]


class ChatConversationView(APIView):
    """`POST /api/v1/chat/conversations/`: create or update the ticket of a chat conversation.

    201 when a ticket was created (first post, or a new ticket linked to a resolved/closed one),
    200 when an existing ticket was updated (or nothing new arrived).
    """

    permission_model = Ticket
    permission_action = "ingest"
    integration_kind = Kind.MARKETPLACE_CHAT

    @extend_schema(request=s.ChatConversationSerializer, responses={200: s.ChatResultSerializer,
                                                                    201: s.ChatResultSerializer})
    def post(self, request):
        now = timezone.now()
        max_bytes = chat.limits()["max_bytes"]
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_bytes:
            raise ValidationError({"non_field_errors": [
                _("The payload is larger than %(n)d bytes; send the conversation in parts.") % {"n": max_bytes}
            ]})
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        serializer = s.ChatConversationSerializer(data=request.data, context={"now": now, "request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = chat.ingest_conversation(
            store=data["store"], conversation_id=data["conversation_id"], buyer_nick=data["buyer_nick"],
            order_no=data["order_no"], messages=serializer.incoming(), actor=request.user, now=now,
        )
        body = s.ChatResultSerializer(result.ticket).data
        body.update({
            "conversation_id": data["conversation_id"], "created": result.created, "reopened": result.reopened,
            "messages_added": result.added,
        })
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class ChatOutboundView(OutboundFeedView):
    """`GET /api/v1/chat/outbound/?since=<cursor>&limit=`: the replies to buyers for integrations that
    poll instead of receiving the store's webhook (portal/api/views.py `OutboundFeedView`)."""

    topic = OutboundMessage.Topic.CHAT_REPLY
    integration_kind = "marketplace_chat"


class TicketMetricsView(APIView):
    """`GET /api/v1/metrics/tickets/?store=&team=&from=&to=`: service metrics of the tickets in the
    caller's scope created in the period. `from`/`to` are dates (both days included, local time)
    or ISO datetimes with offset (`to` excluded); default: the last 30 days. Managers and above
    (the `oversee` verb, as the home page's metrics)."""

    permission_model = Ticket
    permission_action = "oversee"

    def _moment(self, raw, field, *, end):
        try:
            value = parse_datetime(raw) if "T" in raw or " " in raw.strip() else None
        except ValueError:
            value = None
        if value is not None and not in_year_range(value):
            raise ValidationError({field: [year_range_message()]})
        if value is not None:
            if timezone.is_naive(value):
                value = timezone.make_aware(value)
            return value
        try:
            day = parse_date(raw)
        except ValueError:
            day = None
        if day is None:
            raise ValidationError({field: [_("Give a date (YYYY-MM-DD) or an ISO 8601 date and time.")]})
        if not in_year_range(day):
            raise ValidationError({field: [year_range_message()]})
        if end:
            day += timedelta(days=1)
        return timezone.make_aware(datetime.combine(day, time.min))

    @extend_schema(
        parameters=[
            OpenApiParameter("store", str, description="Store id or code"),
            OpenApiParameter("team", int, description="Team id (the team owning the queue)"),
            OpenApiParameter("from", str, description="First day (YYYY-MM-DD) or ISO datetime"),
            OpenApiParameter("to", str, description="Last day (YYYY-MM-DD, included) or ISO datetime (excluded)"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        now = timezone.now()
        params = request.query_params
        errors = {}
        store = team = None
        for name in ("store", "team", "from", "to"):
            values = params.getlist(name)
            if len(values) > 1:
                errors[name] = [_("Give one value.")]
            elif values == [""]:
                errors[name] = [_("Give a value, or leave the parameter out.")]
        if errors:
            raise ValidationError(errors)
        if params.get("store"):
            raw = params["store"]
            # Through restrict: a store or team outside the caller's scope is as unknown as a missing one.
            stores = restrict(Store.objects.all(), request.user, "view")
            number = whole_number(raw)
            store = stores.filter(pk=number).first() if number is not None else stores.filter(code=raw).first()
            if store is None:
                errors["store"] = [_("Unknown store.")]
        if params.get("team"):
            teams = restrict(Team.objects.all(), request.user, "view")
            number = whole_number(params["team"])
            team = teams.filter(pk=number).first() if number is not None else None
            if team is None:
                errors["team"] = [_("Unknown team.")]
        try:
            today = timezone.localdate(now)
            start = self._moment(params["from"], "from", end=False) if params.get("from") else \
                timezone.make_aware(datetime.combine(today - timedelta(days=29), time.min))
            end = self._moment(params["to"], "to", end=True) if params.get("to") else \
                timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))
        except ValidationError as exc:
            errors.update(exc.detail)
            start = end = None
        if start and end and end <= start:
            errors["to"] = [_("The period ends before it starts.")]
        if errors:
            raise ValidationError(errors)
        scope = restrict(Ticket.objects.all(), request.user, "view")
        try:
            result = metrics.ticket_metrics(start=start, end=end, now=now, store=store, team=team, queryset=scope)
        except DjangoValidationError as exc:  # pragma: no cover - defensive
            raise ValidationError(exc.messages) from exc
        result.update({
            "from": start.isoformat(), "to": end.isoformat(), "store": store.code if store else None,
            "team": team.pk if team else None,
        })
        return Response(result)

