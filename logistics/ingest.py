"""Tracking-event ingest, shared by the events API and report-file imports.

A batch of raw events (dicts with the keys of `FIELDS`) goes through three steps:

1. parse: each event is checked and mapped through the carrier's status map; a bad one is
   rejected with its row number and reason (the others go on);
2. resolve: each event finds its parcel among the carrier's shipments with that waybill number
   (one query per batch), or a new parcel is created for it (for the store given with the batch,
   or the store of an earlier parcel of the same order). Two different orders never share a
   parcel; without an order number an event joins a parcel only within the carrier's waybill
   reuse window, since carriers recycle waybill numbers;
3. write (one transaction): new parcels and new events in bulk (a unique (shipment, event_key)
   constraint skips duplicates), then each touched parcel's status is recomputed from the batch.

The status of a parcel is that of its latest event by event time (ties: the later stage), so the
result does not depend on arrival order, a replay adds nothing, and a late old event never moves
a parcel back.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils.translation import gettext as _

from logistics.models import (
    LAST_MILE_STATUSES,
    STATUS_RANK,
    Alert,
    AlertEntry,
    Carrier,
    Shipment,
    ShipmentStatus,
    TrackingEvent,
)

# The keys of a raw event. "time" is the scan time: a datetime, or text (ISO 8601 or the carrier's format).
FIELDS = [
    "waybill", "time", "code", "description", "order_number", "outlet", "city", "status", "consignee_name",
    "consignee_phone", "consignee_address", "product_skus", "promised_by",
]
EXTRA_FIELDS = ["consignee_name", "consignee_phone", "consignee_address", "product_skus", "promised_by"]
STATUS_VALUES = set(ShipmentStatus.values)
UPDATE_FIELDS = [
    "status", "last_event_at", "last_description", "last_outlet", "last_mile_at", "anomaly_at", "delivered_at",
    "shipped_at", "order_number",
]


class StatusMapper:
    """A carrier's status map, compiled: (code, description) -> (status, is_anomaly, is_last_mile) or None."""

    def __init__(self, rules):
        self.rules = [(r.code, r.keyword, r.status, r.is_anomaly, r.is_last_mile) for r in rules]
        self._by_code: dict[str, list] = {}

    @classmethod
    def for_carrier(cls, carrier):
        return cls(carrier.status_map.order_by("position", "id"))

    def lookup(self, code: str, description: str):
        candidates = self._by_code.get(code)
        if candidates is None:
            candidates = [r for r in self.rules if not r[0] or r[0] == code]
            self._by_code[code] = candidates
        for _code, keyword, status, anomaly, last_mile in candidates:
            if not keyword or keyword in description:
                return status, anomaly, last_mile or status in LAST_MILE_STATUSES
        return None


class Event:
    """One parsed, mapped event of a batch."""

    __slots__ = ("row", "waybill", "order", "at", "code", "description", "outlet", "city", "status", "anomaly",
                 "last_mile", "key", "extra")

    def __init__(self, row, waybill, order, at, code, description, outlet, city, status, anomaly, last_mile, extra):
        self.row = row
        self.waybill = waybill
        self.order = order
        self.at = at
        self.code = code
        self.description = description
        self.outlet = outlet
        self.city = city
        self.status = status
        self.anomaly = anomaly
        self.last_mile = last_mile
        self.extra = extra
        # The same scan reported twice (by the API and in the daily report, or in a replayed
        # report) has the same key: time to the millisecond, code and description.
        basis = f"{round(at.timestamp() * 1000)}|{code}|{description}|{'' if code else status}"
        self.key = hashlib.md5(basis.encode(), usedforsecurity=False).hexdigest()


@dataclass
class BatchResult:
    read: int = 0
    added: int = 0
    duplicates: int = 0
    shipments_created: int = 0
    rejected: list[dict] = field(default_factory=list)  # [{"row": n, "field": "time", "reason": "..."}]

    def merge(self, other: "BatchResult"):
        self.read += other.read
        self.added += other.added
        self.duplicates += other.duplicates
        self.shipments_created += other.shipments_created
        self.rejected.extend(other.rejected)

    def as_dict(self):
        return {
            "rows_read": self.read, "events_added": self.added, "duplicates_skipped": self.duplicates,
            "shipments_created": self.shipments_created, "rejected": self.rejected,
        }


class Rejected(Exception):
    def __init__(self, field_name, reason):
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


def _text(value, limit) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet cell holding code 50 comes back as 50.0
    return str(value).strip()[:limit]


class Ingestor:
    """Ingests batches of raw events for one carrier (one import file, or one API request)."""

    def __init__(self, carrier: Carrier, *, now, actor=None, store=None, allowed_store_ids=None,
                 tracking_import=None, time_format="", mapper=None):
        self.carrier = carrier
        self.now = now
        self.actor = actor
        self.store_id = store.pk if store is not None else None
        self.allowed_store_ids = allowed_store_ids  # None: every store
        self.tracking_import_id = tracking_import.pk if tracking_import is not None else None
        self.time_format = time_format
        self.zone = ZoneInfo(carrier.time_zone)
        self.window = timedelta(days=carrier.waybill_reuse_days)
        self.mapper = mapper or StatusMapper.for_carrier(carrier)

    # --- 1. parse -------------------------------------------------------------------------------

    def parse_time(self, value, field_name="time"):
        if isinstance(value, datetime):
            at = value
        else:
            text = _text(value, 60)
            if not text:
                raise Rejected(field_name, _("the time is missing"))
            try:
                if self.time_format:
                    at = datetime.strptime(text, self.time_format)
                else:
                    at = datetime.fromisoformat(text.replace("/", "-"))
            except ValueError:
                raise Rejected(field_name, _("impossible timestamp “%(value)s”") % {"value": text}) from None
        if not 2000 <= at.year <= 2100:
            raise Rejected(field_name, _("impossible timestamp “%(value)s”") % {"value": value})
        if at.tzinfo is None:
            at = at.replace(tzinfo=self.zone)
        return at

    def parse_one(self, row, raw) -> Event:
        waybill = _text(raw.get("waybill"), 100)
        if not waybill:
            raise Rejected("waybill", _("the waybill number is missing"))
        if len(waybill) > 40:
            raise Rejected("waybill", _("the waybill number is longer than 40 characters"))
        at = self.parse_time(raw.get("time"))
        code = _text(raw.get("code"), 20)
        description = _text(raw.get("description"), 300)
        status = _text(raw.get("status"), 30)
        if status:
            if status not in STATUS_VALUES:
                raise Rejected("status", _("unknown status “%(value)s”") % {"value": status})
            anomaly, last_mile = bool(raw.get("is_anomaly")), status in LAST_MILE_STATUSES
        else:
            if not code and not description:
                raise Rejected("code", _("neither an operation code nor a description is given"))
            mapped = self.mapper.lookup(code, description)
            if mapped is None:
                raise Rejected("code", _("operation code “%(code)s” / description “%(description)s” is not in "
                                         "carrier %(carrier)s's status map")
                               % {"code": code, "description": description[:40], "carrier": self.carrier.code})
            status, anomaly, last_mile = mapped
        extra = None
        if any(raw.get(name) for name in EXTRA_FIELDS):
            extra = self.parse_extra(raw)
        return Event(row, waybill, _text(raw.get("order_number"), 64), at, code, description,
                     _text(raw.get("outlet"), 100), _text(raw.get("city"), 50), status, anomaly, last_mile, extra)

    def parse_extra(self, raw) -> dict:
        extra = {
            "consignee_name": _text(raw.get("consignee_name"), 100),
            "consignee_phone": _text(raw.get("consignee_phone"), 30),
            "consignee_address": _text(raw.get("consignee_address"), 300),
        }
        skus = raw.get("product_skus")
        if isinstance(skus, list | tuple):
            extra["product_skus"] = [_text(s, 64) for s in skus if _text(s, 64)]
        elif skus:
            extra["product_skus"] = [s.strip() for s in str(skus).replace(";", ",").split(",") if s.strip()]
        if raw.get("promised_by"):
            extra["promised_by"] = self.parse_time(raw.get("promised_by"), "promised_by")
        return {k: v for k, v in extra.items() if v}

    def parse(self, raws):
        """[(row, raw dict)] -> ([Event], [rejection])."""
        events, rejected = [], []
        for row, raw in raws:
            try:
                events.append(self.parse_one(row, raw))
            except Rejected as exc:
                rejected.append({"row": row, "field": exc.field, "reason": exc.reason})
        return events, rejected

    # --- 2. resolve ---------------------------------------------------------------------------

    def _in_window(self, shipment, at):
        return shipment._lo - self.window <= at <= shipment._hi + self.window

    def _match(self, event, candidates):
        if event.order:
            for shipment in candidates:
                if shipment.order_number == event.order:
                    return shipment
            for shipment in candidates:
                # Registered without an order number earlier: this event names its order.
                if not shipment.order_number and self._in_window(shipment, event.at):
                    shipment.order_number = event.order
                    shipment._dirty = True
                    return shipment
            return None
        near = [s for s in candidates if self._in_window(s, event.at)]
        return max(near, key=lambda s: s._lo) if near else None

    def _assign(self, event, shipment, assigned):
        shipment._lo = min(shipment._lo, event.at)
        shipment._hi = max(shipment._hi, event.at)
        assigned.append((event, shipment))

    def resolve(self, events):
        """Find or prepare each event's parcel: ([(Event, Shipment)], [new Shipment], [rejection])."""
        assigned, stubs, rejected = [], [], []
        if not events:
            return assigned, stubs, rejected
        events.sort(key=lambda e: e.at)
        existing: dict[str, list[Shipment]] = {}
        for shipment in Shipment.objects.filter(
            carrier=self.carrier, waybill_number__in={e.waybill for e in events}
        ).only("id", "store_id", "waybill_number", "order_number", "status", "shipped_at", "last_event_at",
               "last_description", "last_outlet", "last_mile_at", "anomaly_at", "delivered_at", "created_at",
               *EXTRA_FIELDS):
            shipment._lo = shipment.shipped_at or shipment.last_event_at or shipment.created_at
            shipment._hi = max(shipment.last_event_at or shipment._lo, shipment._lo)
            shipment._dirty = False
            shipment._is_new = False
            existing.setdefault(shipment.waybill_number, []).append(shipment)
        allowed = self.allowed_store_ids
        unmatched = []
        for event in events:
            shipment = self._match(event, existing.get(event.waybill, ()))
            if shipment is None:
                unmatched.append(event)
            elif allowed is not None and shipment.store_id not in allowed:
                rejected.append({"row": event.row, "field": "waybill",
                                 "reason": _("the parcel belongs to a store outside your scope")})
            else:
                self._assign(event, shipment, assigned)
        if unmatched:
            order_stores = {}
            if self.store_id is None:
                orders = {e.order for e in unmatched if e.order}
                if orders:
                    order_stores = dict(Shipment.objects.filter(order_number__in=orders)
                                        .values_list("order_number", "store_id"))
            new_by_waybill: dict[str, list[Shipment]] = {}
            for event in unmatched:
                candidates = new_by_waybill.setdefault(event.waybill, [])
                shipment = self._match(event, candidates)
                if shipment is None:
                    store_id = self.store_id or order_stores.get(event.order)
                    if store_id is None:
                        rejected.append({"row": event.row, "field": "waybill", "reason": _(
                            "unknown parcel: give the store with the import, or the order number of a known order")})
                        continue
                    if allowed is not None and store_id not in allowed:
                        rejected.append({"row": event.row, "field": "store",
                                         "reason": _("the store is outside your scope")})
                        continue
                    shipment = Shipment(
                        store_id=store_id, carrier=self.carrier, waybill_number=event.waybill,
                        order_number=event.order, created_at=self.now,
                    )
                    shipment._lo = shipment._hi = event.at
                    shipment._dirty = True
                    shipment._is_new = True
                    candidates.append(shipment)
                    stubs.append(shipment)
                self._assign(event, shipment, assigned)
        return assigned, stubs, rejected

    # --- 3. write -----------------------------------------------------------------------------

    @staticmethod
    def _apply(shipment, event):
        """Fold one new event into the parcel's derived fields (order-independent)."""
        if shipment.last_event_at is None or (event.at, STATUS_RANK[event.status], event.description) > (
            shipment.last_event_at, STATUS_RANK[shipment.status], shipment.last_description
        ):
            shipment.status = event.status
            shipment.last_event_at = event.at
            shipment.last_description = event.description
            shipment.last_outlet = event.outlet
        if event.status == ShipmentStatus.DELIVERED and (shipment.delivered_at is None or event.at < shipment.delivered_at):
            shipment.delivered_at = event.at
        if event.last_mile and (shipment.last_mile_at is None or event.at < shipment.last_mile_at):
            shipment.last_mile_at = event.at
        if event.anomaly and (shipment.anomaly_at is None or event.at > shipment.anomaly_at):
            shipment.anomaly_at = event.at
        if shipment.shipped_at is None or event.at < shipment.shipped_at:
            shipment.shipped_at = event.at
        if event.extra:
            for name, value in event.extra.items():
                if not getattr(shipment, name):
                    setattr(shipment, name, value)
                    shipment._extra_dirty = True

    def write(self, assigned, stubs) -> BatchResult:
        result = BatchResult()
        with transaction.atomic():
            existing_ids = {s.pk for _e, s in assigned if s.pk is not None}
            seen = set()
            if existing_ids:
                by_pk = {s.pk: id(s) for _e, s in assigned if s.pk is not None}
                seen = {
                    (by_pk[sid], key)
                    for sid, key in TrackingEvent.objects.filter(shipment_id__in=existing_ids)
                    .values_list("shipment_id", "event_key")
                }
            fresh = []
            for event, shipment in assigned:
                marker = (id(shipment), event.key)
                if marker in seen:
                    result.duplicates += 1
                    continue
                seen.add(marker)
                fresh.append((event, shipment))
                was_delivered = shipment.status == ShipmentStatus.DELIVERED
                self._apply(shipment, event)
                shipment._dirty = True
                if shipment.status == ShipmentStatus.DELIVERED and not was_delivered:
                    shipment._newly_delivered = True
            if stubs:
                Shipment.objects.bulk_create(stubs)
                result.shipments_created = len(stubs)
            TrackingEvent.objects.bulk_create(
                [
                    TrackingEvent(
                        shipment_id=shipment.pk, event_key=event.key, occurred_at=event.at, code=event.code,
                        description=event.description, outlet=event.outlet, city=event.city, status=event.status,
                        is_anomaly=event.anomaly, tracking_import_id=self.tracking_import_id, received_at=self.now,
                    )
                    for event, shipment in fresh
                ],
                ignore_conflicts=True,
            )
            result.added = len(fresh)
            changed = {id(s): s for _e, s in assigned if not s._is_new and s._dirty}
            self._update_shipments(changed.values())
            delivered = [s.pk for s in changed.values() if getattr(s, "_newly_delivered", False)]
            if delivered:
                close_alerts_of_delivered(now=self.now, shipment_ids=delivered)
        return result

    @staticmethod
    def _update_shipments(shipments):
        """One executemany UPDATE for the batch's changed parcels (bulk_update's CASE is far slower)."""
        shipments = list(shipments)
        if not shipments:
            return
        fields = UPDATE_FIELDS + (EXTRA_FIELDS if any(getattr(s, "_extra_dirty", False) for s in shipments) else [])
        model_fields = [Shipment._meta.get_field(name) for name in fields]
        qn = connection.ops.quote_name
        sql = "UPDATE {} SET {} WHERE id = %s".format(
            qn(Shipment._meta.db_table), ", ".join(f"{qn(f.column)} = %s" for f in model_fields)
        )
        rows = [
            [f.get_db_prep_save(getattr(s, f.attname), connection) for f in model_fields] + [s.pk]
            for s in shipments
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    # --- all three ----------------------------------------------------------------------------

    def ingest(self, raws, *, strict=False) -> BatchResult:
        """Ingest one batch of (row, raw event) pairs.

        strict: reject the whole batch (BatchRejected listing every bad row) if any row is bad,
        writing nothing; otherwise keep the good rows and return the bad ones.
        """
        events, rejected = self.parse(raws)
        assigned, stubs, rejected_later = self.resolve(events)
        rejected.extend(rejected_later)
        if strict and rejected:
            raise BatchRejected(sorted(rejected, key=lambda r: r["row"]))
        result = self.write(assigned, stubs)
        result.read = len(raws)
        result.rejected = sorted(rejected, key=lambda r: r["row"])
        return result


class BatchRejected(Exception):
    """A strict batch had bad events; nothing was written."""

    def __init__(self, rejected):
        super().__init__(f"{len(rejected)} rejected")
        self.rejected = rejected

    def by_row(self) -> dict:
        """{"3": {"time": ["impossible timestamp ..."]}} for an API error body."""
        errors = {}
        for item in self.rejected:
            errors.setdefault(str(item["row"]), {}).setdefault(item["field"], []).append(item["reason"])
        return errors


def close_alerts_of_delivered(*, now, shipment_ids=None, token="") -> int:
    """Close the open alerts of delivered parcels (kept in history, with a timeline entry). Set-based."""
    from logistics.sql import insert_select

    token = token or _new_token()
    opened = Alert.objects.filter(status=Alert.Status.OPEN, shipment__status=ShipmentStatus.DELIVERED)
    if shipment_ids is not None:
        opened = opened.filter(shipment_id__in=shipment_ids)
    count = Alert.objects.filter(pk__in=opened.values("pk")).update(
        status=Alert.Status.CLOSED, closed_at=now, scan_token=token
    )
    if count:
        from django.db.models import F, Value

        insert_select(
            AlertEntry,
            Alert.objects.filter(scan_token=token, status=Alert.Status.CLOSED),
            {"alert_id": F("pk"), "kind": Value(AlertEntry.Kind.CLOSED), "at": Value(now)},
        )
    return count


def _new_token():
    import uuid

    return uuid.uuid4().hex
