"""Ingest rules: waybill recycling, store resolution, order independence, rejected rows."""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logistics.ingest import Ingestor, Parcel
from logistics.models import Shipment, ShipmentStatus, TrackingEvent
from tests.logistics.factories import REPORT_TIME, at, event, ingest, shipment


def test_a_recycled_waybill_for_another_order_months_later_is_another_parcel(carrier, store):
    ingest(carrier, store, [
        event("SF777", "2026-07-01 10:00:00", "50", "已揽收", "T-JULY"),
        event("SF777", "2026-07-03 10:00:00", "80", "已签收", "T-JULY"),
    ])
    ingest(carrier, store, [event("SF777", "2026-11-18 10:00:00", "50", "已揽收", "T-NOV")])
    ingest(carrier, store, [event("SF777", "2026-07-02 08:00:00", "31", "到达", "T-JULY")])  # late, old

    july, november = Shipment.objects.filter(waybill_number="SF777").order_by("shipped_at")
    assert (july.order_number, july.status) == ("T-JULY", ShipmentStatus.DELIVERED)
    assert (november.order_number, november.status) == ("T-NOV", ShipmentStatus.IN_TRANSIT)
    assert july.events.count() == 3 and november.events.count() == 1


def test_two_orders_never_share_a_parcel_even_on_the_same_day(carrier, store):
    ingest(carrier, store, [event("SF1", "2026-11-18 10:00:00", "50", "已揽收", "T-A"),
                            event("SF1", "2026-11-18 11:00:00", "50", "已揽收", "T-B")])
    assert Shipment.objects.filter(waybill_number="SF1").count() == 2


def test_without_order_numbers_the_reuse_window_decides(carrier, store):
    ingest(carrier, store, [event("SF888", "2026-07-01 10:00:00", "50", "已揽收")])
    ingest(carrier, store, [event("SF888", "2026-07-05 10:00:00", "80", "已签收")])  # same parcel
    ingest(carrier, store, [event("SF888", "2026-11-18 10:00:00", "50", "已揽收")])  # > 60 days: a new one
    parcels = Shipment.objects.filter(waybill_number="SF888").order_by("shipped_at")
    assert [p.status for p in parcels] == [ShipmentStatus.DELIVERED, ShipmentStatus.IN_TRANSIT]


def test_an_event_naming_the_order_joins_the_parcel_registered_without_one(carrier, store):
    ingest(carrier, store, [event("SF9", "2026-11-18 10:00:00", "50", "已揽收")])
    ingest(carrier, store, [event("SF9", "2026-11-19 10:00:00", "31", "到达", "T-9")])
    assert shipment("SF9").order_number == "T-9" and Shipment.objects.count() == 1


def test_a_new_parcel_takes_the_store_of_its_order(carrier, store, other_store):
    ingest(carrier, other_store, [event("SF-FIRST", "2026-11-17 10:00:00", "50", "已揽收", "T-SPLIT")])
    result = Ingestor(carrier, now=REPORT_TIME).ingest([
        (2, event("SF-SECOND", "2026-11-18 10:00:00", "50", "已揽收", "T-SPLIT")),
        (3, event("SF-STRANGER", "2026-11-18 10:00:00", "50", "已揽收", "T-UNKNOWN")),
    ])
    assert shipment("SF-SECOND").store == other_store
    assert [r["row"] for r in result.rejected] == [3]
    assert "unknown parcel" in result.rejected[0]["reason"]


def test_a_late_old_event_never_moves_the_parcel_back(carrier, store):
    ingest(carrier, store, [event("SF1", "2026-11-19 10:00:00", "80", "已签收", "T1")])
    result = ingest(carrier, store, [event("SF1", "2026-11-18 10:00:00", "44", "派送中", "T1"),
                                     event("SF1", "2026-11-17 10:00:00", "50", "已揽收", "T1")])
    parcel = shipment("SF1")
    assert result.added == 2 and parcel.events.count() == 3
    assert parcel.status == ShipmentStatus.DELIVERED
    assert parcel.last_event_at == at("2026-11-19 10:00:00")
    assert parcel.shipped_at == at("2026-11-17 10:00:00")
    assert parcel.last_mile_at == at("2026-11-18 10:00:00")


def test_unmapped_codes_are_rejected_and_keywords_are_the_fallback(carrier, store):
    result = ingest(carrier, store, [
        event("SF1", "2026-11-18 10:00:00", "50", "已揽收", "T1"),
        event("SF1", "2026-11-19 10:00:00", "12345", "快件已签收", "T1"),  # unknown code, known keyword
        event("SF1", "2026-11-19 11:00:00", "12346", "神秘操作", "T1"),
        event("SF1", "2026-11-19 12:00:00", "", "", "T1"),
    ])
    assert [(r["row"], r["field"]) for r in result.rejected] == [(3, "code"), (4, "code")]
    assert "12346" in result.rejected[0]["reason"]
    assert shipment("SF1").status == ShipmentStatus.DELIVERED


# Every arrival order and batching of a parcel's events gives the same parcel.
EXAMPLES = itertools.count()
EVENTS = [
    event("SF-P", "2026-11-15 18:02:11", "50", "已揽收", "T-P"),
    event("SF-P", "2026-11-16 03:12:44", "31", "已到达 广州中转场", "T-P"),
    event("SF-P", "2026-11-16 06:15:50", "99", "中转异常：错分", "T-P"),
    event("SF-P", "2026-11-17 07:58:14", "33", "已到达 营业点", "T-P"),
    event("SF-P", "2026-11-17 08:30:19", "44", "派送中", "T-P"),
    event("SF-P", "2026-11-17 14:47:02", "70", "派送不成功", "T-P"),
    event("SF-P", "2026-11-17 14:47:02", "44", "再次派送", "T-P"),  # same second: the later stage wins
    event("SF-P", "2026-11-18 10:00:00", "80", "已签收", "T-P"),
]
EXPECTED = {
    "status": ShipmentStatus.DELIVERED, "last_event_at": at("2026-11-18 10:00:00"),
    "delivered_at": at("2026-11-18 10:00:00"), "last_mile_at": at("2026-11-17 07:58:14"),
    "anomaly_at": at("2026-11-16 06:15:50"), "shipped_at": at("2026-11-15 18:02:11"),
}


# The fixtures are read-only here (each example uses its own parcel): sharing them is safe.
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(len(EVENTS))), cuts=st.lists(st.integers(1, len(EVENTS) - 1), max_size=3),
       replay=st.booleans())
def test_order_and_batching_do_not_matter(carrier, store, order, cuts, replay):
    waybill = f"SF-P{next(EXAMPLES)}"  # each example its own parcel: the database is shared between examples
    rows = [{**EVENTS[i], "waybill": waybill, "order_number": waybill} for i in order]
    bounds = [0, *sorted(set(cuts)), len(rows)]
    for start, end in zip(bounds, bounds[1:], strict=False):
        ingest(carrier, store, rows[start:end])
    if replay:
        assert ingest(carrier, store, rows).added == 0
    parcel = shipment(waybill)
    assert {name: getattr(parcel, name) for name in EXPECTED} == EXPECTED
    assert TrackingEvent.objects.filter(shipment=parcel).count() == len(EVENTS)


def test_deleting_a_parcel_deletes_its_events_without_a_database_foreign_key(carrier, store):
    """TrackingEvent's foreign keys have no database constraint (ingest speed); the ORM cascades."""
    ingest(carrier, store, [event("SFDEL", "2026-11-18 10:00:00", "50", "已揽收", "T-DEL"),
                            event("SFDEL", "2026-11-18 12:00:00", "31", "到达", "T-DEL"),
                            event("SFKEEP", "2026-11-18 10:00:00", "50", "已揽收", "T-KEEP")])
    shipment("SFDEL").delete()
    assert not TrackingEvent.objects.filter(shipment__waybill_number="SFDEL").exists()
    assert TrackingEvent.objects.count() == 1
    assert set(TrackingEvent.objects.values_list("shipment_id", flat=True)) == {shipment("SFKEEP").pk}


def test_the_ingest_names_every_shipment_column_once():
    """Parcels are inserted with a raw INSERT of `Parcel.COLUMNS` (model defaults for a new parcel):
    a shipment column missing there would be left without a value (NOT NULL: the import fails)."""
    assert sorted(Parcel.COLUMNS) == sorted(
        field.attname for field in Shipment._meta.concrete_fields if not field.primary_key)


def test_an_ingestor_is_freed_without_the_garbage_collector(carrier, store):
    """No reference cycles: a batch's ingestor and its status-map cache go as soon as the request or
    import is done, not whenever the cyclic collector next runs (the API measured 20 % slower when
    every request left a cycle behind)."""
    import gc
    import weakref

    gc.disable()
    try:
        ingestor = Ingestor(carrier, now=REPORT_TIME, store=store)
        ingestor.ingest([(0, event("SF1", "2026-11-19 10:00:00", "50", "已揽收", order="T1"))])
        refs = [weakref.ref(ingestor), weakref.ref(ingestor.mapper)]
        del ingestor
        assert [ref() for ref in refs] == [None, None]
    finally:
        gc.enable()
