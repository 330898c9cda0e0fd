"""Every write of the scores app: the daily snapshot, official figures (API, CSV, form), embed settings.

`compute_scores(on, now=)` is idempotent: for each store it replaces the day's metric and score
snapshots with freshly computed ones (delete + bulk insert in one transaction), so running it twice
over the same data gives identical rows; then it evaluates the badges for the day.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.inputs import in_year_range, iso_date, year_range_message
from portal.models import Store
from scores.badges import evaluate_badges
from scores.metrics import Configuration, combine, metric_scores, metric_values, window_days, window_for
from scores.models import OFFICIAL_FIGURES, EmbedSettings, MetricSnapshot, OfficialScore, ScoreSnapshot

MAX_CSV_ROWS = 10_000


def last_full_day(now: datetime) -> date:
    return timezone.localtime(now).date() - timedelta(days=1)


def compute_scores(on: date, *, now: datetime, store_ids=None, evaluate=True) -> dict:
    """The snapshot of the data date `on` for every store (or `store_ids`), then the badges."""
    store_ids = list(Store.objects.values_list("pk", flat=True)) if store_ids is None else list(store_ids)
    days = window_days()
    start, end = window_for(on, days)
    values = metric_values(store_ids, start=start, end=end, now=now)
    config = Configuration.load()
    day_start, day_end = window_for(on, 1)
    figures = day_figures(store_ids, start=day_start, end=day_end, now=now)
    metric_rows, score_rows = [], []
    for store_id in store_ids:
        scores = metric_scores(values[store_id], config)
        for metric, value in sorted(values[store_id].items()):
            metric_rows.append(MetricSnapshot(store_id=store_id, date=on, metric=metric, window_days=days,
                                              value=value.value, sample=value.sample, score=scores.get(metric)))
        combined = combine(scores, config)
        score_rows.append(ScoreSnapshot(store_id=store_id, date=on, window_days=days, overall=combined["overall"],
                                        logistics=combined["logistics"], installation=combined["installation"],
                                        service=combined["service"], day_figures=figures[store_id]))
    with transaction.atomic():
        MetricSnapshot.objects.filter(store_id__in=store_ids, date=on).delete()
        ScoreSnapshot.objects.filter(store_id__in=store_ids, date=on).delete()
        MetricSnapshot.objects.bulk_create(metric_rows, batch_size=500)
        ScoreSnapshot.objects.bulk_create(score_rows, batch_size=500)
    changes = evaluate_badges(on, now=now, store_ids=store_ids, values_by_window={days: values}) if evaluate else {}
    return {"date": on.isoformat(), "stores": len(store_ids), "metrics": len(metric_rows), "badge_changes": changes}


def compute_range(date_from: date, date_to: date, *, now: datetime, store_ids=None) -> list[dict]:
    """A backfill: every day from `date_from` to `date_to`, oldest first (badges replayed in order)."""
    results, day = [], date_from
    while day <= date_to:
        results.append(compute_scores(day, now=now, store_ids=store_ids))
        day += timedelta(days=1)
    return results


def projection(store_id: int, *, now: datetime) -> dict:
    """"If evaluated today": the score over the window ending now, with what moves it."""
    from scores.metrics import what_moves

    days = window_days()
    values = metric_values([store_id], start=now - timedelta(days=days), end=now, now=now)[store_id]
    config = Configuration.load()
    combined = combine(metric_scores(values, config), config)
    return {"window_days": days, "as_of": now.isoformat(), **combined, "metrics": what_moves(values, config)}


# --- Official figures ----------------------------------------------------------------------------


def official_date_error(on: date, *, now: datetime) -> str | None:
    """Why `on` cannot carry official figures (None: it can): the platform publishes a day's figures
    after the day, and only years the portal accepts make sense."""
    if not in_year_range(on):
        return year_range_message(dates=True)
    if on > timezone.localdate(now):
        return _("Give a day up to today: the platform publishes a day's figures after it.")
    return None


def _figure(name, value, errors):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors[name] = [_("Give a number.")]
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer of hundreds of digits
        number = math.nan
    if not math.isfinite(number):
        errors[name] = [_("Give a number.")]
        return None
    if not 0 <= number <= 5:
        errors[name] = [_("Figures are between 0 and 5.")]
        return None
    return number


def clean_figures(figures) -> dict:
    """The known figures as floats 0-5 (raises ValidationError with one error per bad field)."""
    if not isinstance(figures, dict):
        raise ValidationError({"figures": [_("Give an object of figures.")]})
    errors, clean = {}, {}
    unknown = sorted(set(figures) - set(OFFICIAL_FIGURES))
    if unknown:
        errors["figures"] = [_("Unknown figures: %(names)s.") % {"names": ", ".join(map(str, unknown))[:200]}]
    for name in OFFICIAL_FIGURES:
        if name in figures:
            clean[name] = _figure(name, figures[name], errors)
    if not errors and not any(value is not None for value in clean.values()):
        errors["figures"] = [_("Give at least one figure.")]
    if errors:
        raise ValidationError(errors)
    return clean


def record_official(*, store: Store, on: date, figures: dict, source: str, actor,
                    now: datetime) -> tuple[OfficialScore, bool]:
    """Record the platform's figures for a store and day: (row, created). Idempotent on (store, date):
    a repeat replaces the day's figures (figures left out of the repeat are cleared)."""
    clean = clean_figures(figures)
    values = {name: clean.get(name) for name in OFFICIAL_FIGURES}
    with transaction.atomic():
        return OfficialScore.objects.select_for_update().update_or_create(
            store=store, date=on, defaults={**values, "source": source, "recorded_by": actor, "recorded_at": now})


def import_official_csv(data: bytes, *, stores, actor, now: datetime) -> dict:
    """CSV with a header `store,date,<figure>...` (UTF-8, BOM allowed). `stores`: the queryset of stores
    the importer may write. All rows or none: any bad row answers its line's errors."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gbk")
        except UnicodeDecodeError:
            raise ValidationError({"file": [_("The file is neither UTF-8 nor GBK text.")]}) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if "store" not in header or "date" not in header:
        raise ValidationError({"file": [_("The header needs the columns store and date.")]})
    allowed = {store.code: store for store in stores}
    parsed, errors = [], []
    try:
        rows = list(enumerate(reader, start=2))
    except csv.Error as error:  # e.g. a field over the csv module's size limit
        raise ValidationError({"file": [_("The file is not a readable CSV table: %(error)s") % {
            "error": str(error)[:200]}]}) from None
    for line, raw in rows:
        if line - 1 > MAX_CSV_ROWS:
            raise ValidationError({"file": [_("At most %(n)s rows per file.") % {"n": MAX_CSV_ROWS}]})
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k}
        store = allowed.get(row.get("store", ""))
        on = iso_date(row.get("date", ""))
        figures = {k: v for k, v in row.items() if k in OFFICIAL_FIGURES and v != ""}
        problems = []
        if store is None:
            problems.append(_("unknown store"))
        if on is None:
            problems.append(_("date is not YYYY-MM-DD"))
        elif (problem := official_date_error(on, now=now)) is not None:
            problems.append(problem)
        try:
            figures = clean_figures(figures)
        except ValidationError as error:
            problems.extend(f"{k}: {' '.join(map(str, v))}" for k, v in error.message_dict.items())
        if problems:
            errors.append(_("Line %(line)s: %(problems)s") % {"line": line, "problems": "; ".join(map(str, problems))})
        else:
            parsed.append((store, on, figures))
    if errors:
        raise ValidationError({"file": errors[:20]})
    with transaction.atomic():
        for store, on, figures in parsed:
            record_official(store=store, on=on, figures=figures, source=OfficialScore.Source.CSV, actor=actor, now=now)
    return {"rows": len(parsed)}


def save_embed_settings(*, store: Store, frame_origins: str, actor, now: datetime) -> EmbedSettings:
    """The storefront origins allowed to frame the store's badge iframe."""
    with transaction.atomic():
        row, _created = EmbedSettings.objects.get_or_create(store=store)
        row.frame_origins = frame_origins.strip()
        row.full_clean()
        row.save()
    return row


def day_figures(store_ids, *, start: datetime, end: datetime, now: datetime) -> dict[int, dict]:
    """The day's operational counts per store (four grouped queries whatever the data size)."""
    from django.db.models import Count, Q, Sum

    from logistics.models import Alert
    from refunds.models import RefundRequest
    from tickets.models import Escalation, Ticket, TicketQuerySet

    figures = {store_id: {"tickets": 0, "breached": 0, "escalations": {}, "refunds": 0, "refunds_decided": 0,
                          "refunded_amount": "0.00", "alerts": 0} for store_id in store_ids}
    for row in Ticket.objects.filter(store_id__in=store_ids, created_at__gte=start, created_at__lt=end,
                                     merged_into__isnull=True).values("store_id").annotate(
            # Past due as of the day's end (or now, for today): the same figure whenever computed.
            n=Count("id"), breached=Count("id", filter=Q(sla_breached=True)
                                          | TicketQuerySet.breached_q(min(now, end)))
    ).order_by():
        figures[row["store_id"]].update(tickets=row["n"], breached=row["breached"])
    for store_id, position, n in Escalation.objects.filter(
            ticket__store_id__in=store_ids, fired_at__gte=start, fired_at__lt=end).values_list(
            "ticket__store_id", "level__position").annotate(n=Count("id")).order_by():
        figures[store_id]["escalations"][str(position)] = n
    for row in RefundRequest.objects.filter(store_id__in=store_ids).filter(
            Q(requested_at__gte=start, requested_at__lt=end) | Q(decided_at__gte=start, decided_at__lt=end)
    ).values("store_id").annotate(
            n=Count("id", filter=Q(requested_at__gte=start, requested_at__lt=end)),
            decided=Count("id", filter=Q(decided_at__gte=start, decided_at__lt=end)),
            amount=Sum("refund_amount", filter=Q(decided_at__gte=start, decided_at__lt=end))).order_by():
        figures[row["store_id"]].update(refunds=row["n"], refunds_decided=row["decided"],
                                        refunded_amount=f"{row['amount'] or 0:.2f}")
    for store_id, n in Alert.objects.filter(shipment__store_id__in=store_ids, opened_at__gte=start,
                                            opened_at__lt=end).values_list("shipment__store_id").annotate(
            n=Count("id")).order_by():
        figures[store_id]["alerts"] = n
    return figures
