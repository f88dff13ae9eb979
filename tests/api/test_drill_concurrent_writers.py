"""Drill: 8 writers at once, 50 bulk requests each, on overlapping keys, over real HTTP to a live
server on PostgreSQL. No answer may be a 5xx; each key ends at one of the values written to it;
the history holds one row per change the answers reported; the created rows are the distinct
keys."""

import json
import threading
from collections import defaultdict
from decimal import Decimal
from itertools import pairwise

import httpx
import pytest
from rest_framework.throttling import SimpleRateThrottle

from metrics.catalogue import catalogue_sync
from metrics.models import Measurement, MeasurementHistory, Metric
from tests.clients.factories import ClientFactory, api_key

pytestmark = pytest.mark.django_db(transaction=True)
WRITERS, REQUESTS = 8, 50
METRICS = ("leads", "visitors", "consultations")
MONTHS = [f"2026-{month:02d}" for month in range(1, 7)]  # 3 x 6 = 18 keys, all shared


def _rows(writer: int, request: int) -> list[dict]:
    """Six keys of the 18, a different six each time, each with a value unique to this
    writer and request (writer x 1,000 + request, plus the key's place)."""
    keys = [(metric, month) for metric in METRICS for month in MONTHS]
    start = (writer * 5 + request * 7) % len(keys)
    chosen = [keys[(start + step) % len(keys)] for step in range(6)]
    return [
        {"metric": metric, "period": month, "value": writer * 1000 + request + place / 10}
        for place, (metric, month) in enumerate(chosen)
    ]


def test_eight_writers_on_the_same_keys_lose_nothing(live_server, monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"key": None, "user": None, "anon": None}
    )
    if not Metric.objects.filter(consultancy=None).exists():
        catalogue_sync(Metric)  # a transactional test's flush emptied the catalogue
    client = ClientFactory()
    _key, plain = api_key(client.consultancy, "read,write", client=client)
    url = f"{live_server.url}/api/v1/clients/{client.pk}/measurements/bulk/"
    written = defaultdict(set)  # (metric, period) -> every value sent for it
    answers, lock = [], threading.Lock()

    def writer(number: int) -> None:
        with httpx.Client(headers={"Authorization": f"Api-Key {plain}"}, timeout=60) as http:
            for request in range(REQUESTS):
                rows = _rows(number, request)
                with lock:
                    for row in rows:
                        written[row["metric"], row["period"]].add(
                            Decimal(str(row["value"])).quantize(Decimal("0.000001"))
                        )
                response = http.post(
                    url,
                    content=json.dumps({"measurements": rows}),
                    headers={"Content-Type": "application/json"},
                )
                with lock:
                    answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = {status for status, _body in answers}
    assert statuses == {200}, [body for status, body in answers if status != 200][:3]
    assert len(answers) == WRITERS * REQUESTS
    stored = {
        (m.metric.key, str(m.period)): m.value
        for m in Measurement.objects.filter(client=client).select_related("metric")
    }
    assert set(stored) == set(written)  # 18 keys, no more
    for key, value in stored.items():
        assert value in written[key], key
    created = sum(body["created"] for _status, body in answers)
    updated = sum(body["updated"] for _status, body in answers)
    assert created == len(written)
    history = MeasurementHistory.objects.filter(client=client).select_related("metric")
    assert history.count() == created + updated
    # Each key's history is one unbroken chain: every change starts from the value before it
    # and the last one ends at the stored value.
    chains = defaultdict(list)
    for change in history.order_by("id"):
        chains[change.metric.key, str(change.period)].append(change)
    for key, changes in chains.items():
        assert changes[0].old_value is None, key
        for before, after in pairwise(changes):
            assert after.old_value == before.new_value, key
        assert changes[-1].new_value == stored[key], key
