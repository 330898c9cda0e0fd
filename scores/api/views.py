"""Scores API (mounted under /api/v1/):

- `GET /api/v1/scores/?store=&from=&to=`: the daily snapshots of the stores in scope (each with its
  metrics), dates inclusive, default the last 30 days, at most 366 days;
- `GET /api/v1/scores/today/?store=`: "if evaluated today", the window ending now, with what moves it;
- `POST /api/v1/scores/official/`: the platform's figures for a store and day (idempotent on store and
  date; a repeat replaces). Integration kind `official_scores`.
The public badge endpoint is a plain view (scores/public.py): no login, no session.
"""

from collections import defaultdict
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.params import date_range
from portal.models import Store
from portal.permissions import restrict
from scores.api.serializers import OfficialFiguresInputSerializer, OfficialScoreSerializer
from scores.models import MetricSnapshot, OfficialScore, ScoreSnapshot
from scores.services import projection, record_official

MAX_DAYS = 366


def _store(request, code, *, required=False):
    if not code:
        if required:
            raise ValidationError({"store": [_("Give a store code.")]})
        return None
    store = restrict(Store.objects.all(), request.user, "view").filter(code=code).first()
    if store is None:
        raise ValidationError({"store": [_("Unknown store.")]})
    return store


class ScoreSnapshotsView(APIView):
    permission_model = ScoreSnapshot
    permission_action = "view"

    @extend_schema(parameters=[OpenApiParameter("store", str), OpenApiParameter("from", date),
                               OpenApiParameter("to", date)],
                   responses={200: {"type": "array", "items": {"type": "object", "additionalProperties": True}}})
    def get(self, request):
        params = request.query_params
        errors = {}
        date_from, date_to = date_range(params, errors)
        if not errors and (date_to - date_from).days >= MAX_DAYS:
            errors["from"] = [_("At most %(n)s days at a time.") % {"n": MAX_DAYS}]
        if errors:
            raise ValidationError(errors)
        store = _store(request, params.get("store"))
        scores = restrict(ScoreSnapshot.objects.all(), request.user, "view").filter(
            date__gte=date_from, date__lte=date_to).select_related("store").order_by("store__code", "date")
        metrics = restrict(MetricSnapshot.objects.all(), request.user, "view").filter(
            date__gte=date_from, date__lte=date_to)
        if store is not None:
            scores, metrics = scores.filter(store=store), metrics.filter(store=store)
        by_key = defaultdict(dict)
        for store_id, day, metric, value, sample, score in metrics.values_list(
                "store_id", "date", "metric", "value", "sample", "score"):
            by_key[(store_id, day)][metric] = {"value": value, "sample": sample, "score": score}
        return Response([{
            "store": row.store.code, "date": row.date.isoformat(), "window_days": row.window_days,
            "overall": row.overall, "logistics": row.logistics, "installation": row.installation,
            "service": row.service, "metrics": by_key.get((row.store_id, row.date), {}),
        } for row in scores])


class ScoreTodayView(APIView):
    permission_model = ScoreSnapshot
    permission_action = "view"

    @extend_schema(parameters=[OpenApiParameter("store", str, required=True)], responses={200: dict})
    def get(self, request):
        store = _store(request, request.query_params.get("store"), required=True)
        return Response({"store": store.code, **projection(store.pk, now=timezone.now())})


class OfficialScoreView(APIView):
    permission_model = OfficialScore
    permission_action = "add"
    integration_kind = "official_scores"

    @extend_schema(request=OfficialFiguresInputSerializer, responses={200: OfficialScoreSerializer,
                                                                      201: OfficialScoreSerializer})
    def post(self, request):
        serializer = OfficialFiguresInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        row, created = record_official(store=data["store"], on=data["date"], figures=data["figures"],
                                       source=OfficialScore.Source.API, actor=request.user, now=timezone.now())
        return Response(OfficialScoreSerializer(row).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
