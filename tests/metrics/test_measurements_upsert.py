"""The bulk measurement endpoint and the upsert behind it (real PostgreSQL)."""

from decimal import Decimal

import pytest
from django.db import connection

from clients.models import AuditLogEntry, DirtyMark
from metrics.ingest import RowsInvalid
from metrics.models import Measurement, MeasurementHistory
from metrics.services import measurements_upsert
from tests.clients.factories import ClientFactory

pytestmark = pytest.mark.django_db


def bulk_url(client):
    return f"/api/v1/clients/{client.pk}/measurements/bulk/"


def post(api, client, rows, **headers):
    return api.post(bulk_url(client), {"measurements": rows}, format="json", headers=headers)


def values(client):
    return {
        (m.metric.key, str(m.period)): m.value
        for m in Measurement.objects.filter(client=client).select_related("metric")
    }


def test_counts_created_updated_unchanged(world):
    api, a1 = world.api("client_key_write"), world.a1
    # The world already holds leads 2026-09 = 1 for A1.
    response = post(
        api,
        a1,
        [
            {"metric": "leads", "period": "2026-09", "value": 1},  # unchanged
            {"metric": "leads", "period": "2026-08", "value": 480},  # created
            {"metric": "mrr", "period": "2026-09", "value": "2000000.5"},  # created (string)
        ],
    )
    assert response.status_code == 200
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 1}

    response = post(
        api,
        a1,
        [
            {"metric": "leads", "period": "2026-08", "value": 500, "source": "crm"},  # updated
            {"metric": "mrr", "period": "2026-09", "value": 2000000.5},  # unchanged
        ],
    )

    assert response.json() == {"created": 0, "updated": 1, "unchanged": 1}
    assert values(a1)[("leads", "2026-08")] == Decimal(500)
    assert values(a1)[("mrr", "2026-09")] == Decimal("2000000.5")


def test_every_change_keeps_history_with_who_and_source(world):
    api, a1 = world.api("client_key_write"), world.a1
    key = world.keys["client_key_write"][0]
    post(api, a1, [{"metric": "nps", "period": "2026-09", "value": 30, "source": "survey"}])
    post(api, a1, [{"metric": "nps", "period": "2026-09", "value": 35, "source": "survey v2"}])
    post(api, a1, [{"metric": "nps", "period": "2026-09", "value": 35}])  # no change, no history

    history = list(
        MeasurementHistory.objects.filter(client=a1, metric__key="nps").order_by("changed_at")
    )
    assert [(h.old_value, h.new_value, h.source) for h in history] == [
        (None, Decimal(30), "survey"),
        (Decimal(30), Decimal(35), "survey v2"),
    ]
    assert {h.changed_by_key_id for h in history} == {key.pk}


def test_a_batch_is_one_audit_entry_and_marks_the_client_dirty(world):
    api, a1 = world.api("owner"), world.a1
    DirtyMark.objects.filter(client=a1).delete()
    before = AuditLogEntry.objects.filter(client=a1, action="measurements.upserted").count()

    post(
        api,
        a1,
        [
            {"metric": "leads", "period": "2026-03-10", "value": 4},
            {"metric": "leads", "period": "2026-Q2", "value": 40},
        ],
    )

    entries = AuditLogEntry.objects.filter(client=a1, action="measurements.upserted")
    assert entries.count() == before + 1
    assert entries.first().after["created"] == 2
    mark = DirtyMark.objects.get(client=a1)
    # From 10 March (the day) to 30 June (the end of Q2).
    assert (str(mark.dirty_from), str(mark.dirty_to)) == ("2026-03-10", "2026-06-30")


def test_a_later_batch_widens_the_outstanding_dirty_mark(world):
    DirtyMark.objects.filter(client=world.a1).delete()
    api = world.api("owner")
    post(api, world.a1, [{"metric": "leads", "period": "2026-05", "value": 4}])
    post(api, world.a1, [{"metric": "leads", "period": "2026-02", "value": 4}])

    mark = DirtyMark.objects.get(client=world.a1)

    assert (str(mark.dirty_from), str(mark.dirty_to)) == ("2026-02-01", "2026-05-31")


def test_several_bad_rows_write_nothing_and_are_all_named(world):
    api, a1 = world.api("owner"), world.a1
    before = values(a1)

    response = post(
        api,
        a1,
        [
            {"metric": "leads", "period": "2026-10", "value": 5},  # good
            {"metric": "nope", "period": "2026-10", "value": 5},  # unknown metric
            {"metric": "leads", "period": "2026-13", "value": 5},  # bad period
            {"metric": "leads", "period": "2026-11", "value": "lots"},  # not a number
            {"metric": "arr", "period": "2026-10", "value": 5},  # derived
            {"metric": "leads", "period": "2026-10", "value": 6},  # repeats row 0
            {"metric": "leads", "period": "2026-12", "value": 1.1234567},  # 7 decimals
            {"metric": "leads", "period": "2026-12", "value": 10**15},  # 16 digits
            {"metric": "leads", "period": "2027-01", "value": True},  # a boolean
            {"metric": "leads", "period": "2027-02", "value": 1, "valeu": 2},  # unknown field
        ],
    )

    assert response.status_code == 400
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    named = {(e["row"], e["field"].rsplit(".", 1)[-1]) for e in body["errors"]}
    assert named == {
        (1, "metric"),
        (2, "period"),
        (3, "value"),
        (4, "metric"),
        (5, "period"),
        (6, "value"),
        (7, "value"),
        (8, "value"),
        (9, "valeu"),
    }
    assert values(a1) == before


def test_nan_and_infinity_are_refused(world):
    api = world.api("owner")
    body = '{"measurements": [{"metric": "leads", "period": "2026-10", "value": NaN}]}'

    response = api.post(bulk_url(world.a1), body, content_type="application/json")

    assert response.status_code == 400


def test_exact_decimals_survive_the_round_trip(world):
    api = world.api("owner")
    # 14 digits before the point and 6 after: more than a float can hold.
    raw = (
        '{"measurements": [{"metric": "revenue", "period": "2026-10", '
        '"value": 12345678901234.123456}]}'
    )

    api.post(bulk_url(world.a1), raw, content_type="application/json")

    assert values(world.a1)[("revenue", "2026-10")] == Decimal("12345678901234.123456")


def test_more_than_ten_thousand_rows_is_413(world):
    rows = [{"metric": "leads", "period": "2026-10", "value": 1}] * 10_001

    response = post(world.api("owner"), world.a1, rows)

    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_a_missing_list_is_400(world):
    response = world.api("owner").post(bulk_url(world.a1), {"rows": []}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "measurements"


def test_an_idempotent_retry_replays_the_first_response(world):
    api = world.api("client_key_write")
    rows = [{"metric": "leads", "period": "2026-11", "value": 9}]

    first = post(api, world.a1, rows, **{"Idempotency-Key": "batch-42"})
    # Meanwhile someone changes the value; the retry must not write it back.
    post(world.api("owner"), world.a1, [{"metric": "leads", "period": "2026-11", "value": 10}])
    retry = post(api, world.a1, rows, **{"Idempotency-Key": "batch-42"})

    assert first.json() == retry.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert values(world.a1)[("leads", "2026-11")] == Decimal(10)
    # The retry says it is the stored answer; the first does not.
    assert ("Idempotent-Replayed" in first, retry.get("Idempotent-Replayed")) == (False, "true")


def test_the_same_idempotency_key_with_another_body_is_422(world):
    api = world.api("client_key_write")
    post(
        api,
        world.a1,
        [{"metric": "leads", "period": "2026-11", "value": 9}],
        **{"Idempotency-Key": "batch-43"},
    )

    response = post(
        api,
        world.a1,
        [{"metric": "leads", "period": "2026-11", "value": 8}],
        **{"Idempotency-Key": "batch-43"},
    )

    assert response.status_code == 422
    assert values(world.a1)[("leads", "2026-11")] == Decimal(9)


def test_idempotency_keys_belong_to_their_principal(world):
    rows = [{"metric": "leads", "period": "2026-11", "value": 9}]
    post(world.api("client_key_write"), world.a1, rows, **{"Idempotency-Key": "shared"})

    # Another principal's identical key is its own: the write happens (as an unchanged row).
    response = post(world.api("owner"), world.a1, rows, **{"Idempotency-Key": "shared"})

    assert response.json() == {"created": 0, "updated": 0, "unchanged": 1}


def test_a_failed_batch_does_not_use_up_its_idempotency_key(world):
    api = world.api("client_key_write")
    bad = post(
        api,
        world.a1,
        [{"metric": "nope", "period": "2026-11", "value": 1}],
        **{"Idempotency-Key": "k1"},
    )
    good = post(
        api,
        world.a1,
        [{"metric": "leads", "period": "2026-11", "value": 1}],
        **{"Idempotency-Key": "k1"},
    )

    assert bad.status_code == 400
    assert good.status_code == 200


def test_bulk_query_count_does_not_grow_with_rows(world, django_assert_max_num_queries):
    api = world.api("client_key_write")
    small = [{"metric": "leads", "period": f"2025-{m:02d}", "value": m} for m in range(1, 3)]
    large = [
        {"metric": key, "period": f"{2000 + n // 12}-{n % 12 + 1:02d}", "value": n}
        for key in ("leads", "visitors", "mrr", "nps")
        for n in range(300)
    ]
    with django_assert_max_num_queries(20) as few:
        post(api, world.a1, small)
    baseline = len(few.captured_queries)

    with django_assert_max_num_queries(baseline):
        response = post(api, world.a1, large)

    assert response.json()["created"] == 1200


def test_the_service_raises_with_every_bad_row():
    client = ClientFactory()

    with pytest.raises(RowsInvalid) as raised:
        measurements_upsert(client=client, actor=None, rows=[{"metric": "x"}, "not an object"])

    assert {(e.row, e.field) for e in raised.value.errors} == {
        (0, "metric"),
        (0, "period"),
        (0, "value"),
        (1, ""),
    }


def test_the_write_uses_copy_on_postgresql(world, django_assert_max_num_queries):
    assert connection.vendor == "postgresql"
    api = world.api("owner")
    with django_assert_max_num_queries(20) as captured:
        post(api, world.a1, [{"metric": "leads", "period": "2026-10", "value": 1}])
    assert any(q["sql"].startswith("COPY incoming_measurement") for q in captured.captured_queries)


def test_the_client_keeps_when_its_data_last_came_in():
    client = ClientFactory()
    assert client.last_measurement_at is None
    row = {"metric": "leads", "period": "2026-09", "value": 10}

    measurements_upsert(client=client, rows=[row], actor=None)
    client.refresh_from_db()
    first = client.last_measurement_at
    assert first is not None

    # The same value again changes nothing, so nothing "came in".
    measurements_upsert(client=client, rows=[row], actor=None)
    client.refresh_from_db()
    assert client.last_measurement_at == first

    measurements_upsert(client=client, rows=[{**row, "value": 11}], actor=None)
    client.refresh_from_db()
    assert client.last_measurement_at > first
    latest = Measurement.objects.get(client=client).updated_at
    assert abs((client.last_measurement_at - latest).total_seconds()) < 5
