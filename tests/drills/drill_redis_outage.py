"""Drill: Redis (broker and cache) stops while a partner sends measurements, and comes back
empty. Meanwhile the bulk API answers 200 and the rows are in PostgreSQL, and /readyz names the
broker; once Redis is back, beat's dispatcher finds the client's dirty mark, a worker recomputes
the scorecard and the webhook for it is delivered — nobody acting — and no delivery is lost or
sent twice."""

import json
import time

import httpx
import psycopg

from tests.clients.webhook_receiver import start_receiver
from tests.drills.conftest import client_with_plan, post_rows, wait_until


def test_redis_stopped_during_ingest_loses_nothing(stage):
    # Beat's dispatcher every 2 s, not 30; a delivery lost with the broker swept after 10 s.
    stage.env.update(WAYPOINT_DISPATCH_EVERY_SECONDS="2", WEBHOOK_SWEEP_LEASE_SECONDS="10")
    receiver = start_receiver()
    key = stage.prepare()
    stage.web()
    stage.worker()
    stage.beat()
    api = stage.api(key)
    client_id = client_with_plan(api)
    hook = api.post(
        "/api/v1/webhooks/",
        json={"url": receiver.url, "client": client_id, "events": ["scorecard.computed"]},
    )
    assert hook.status_code == 201, hook.text
    try:

        def send(value) -> httpx.Response:
            return post_rows(
                api, client_id, [{"metric": "leads", "period": "2026-09", "value": value}]
            )

        def september():
            card = api.get(f"/api/v1/clients/{client_id}/scorecard/", params={"period": "2026-09"})
            if card.status_code != 200:
                return None, None
            body = card.json()
            return body["lines"][0]["actual"], body["stale"]

        assert send(100).status_code == 200
        assert wait_until(lambda: september() == (100, False), 60), stage.log("worker")[-3000:]
        assert receiver.wait_for(1, 30)

        stage.redis.stop()
        during = send(150)
        readyz = httpx.get(f"{stage.base}/readyz", timeout=30)
        assert during.status_code == 200, during.text
        assert during.json()["updated"] == 1
        with psycopg.connect(stage.database) as db:
            stored = db.execute(
                "SELECT value FROM metrics_measurement WHERE client_id = %s", [client_id]
            ).fetchone()[0]
            marks = db.execute(
                "SELECT count(*) FROM clients_dirtymark WHERE client_id = %s", [client_id]
            ).fetchone()[0]
        assert (stored, marks) == (150, 1)
        assert readyz.status_code == 503
        assert "broker" in readyz.text
        time.sleep(3)  # beat's dispatcher comes round while the broker is away

        stage.redis.start()  # empty: whatever the broker held is gone; PostgreSQL holds the work
        came_back = time.monotonic()
        recomputed = wait_until(lambda: september() == (150, False), 90, every=0.5)
        assert recomputed, (september(), stage.log("beat")[-2000:], stage.log("worker")[-2000:])
        seconds = time.monotonic() - came_back

        def deliveries():
            with psycopg.connect(stage.database) as db:
                return db.execute(
                    "SELECT id::text, status FROM clients_webhookdelivery ORDER BY created_at"
                ).fetchall()

        # Every delivery sent: at once, or by the sweeper (each minute) for one whose message
        # the broker lost.
        assert wait_until(
            lambda: {status for _id, status in deliveries()} == {"succeeded"}, 150, every=1
        ), deliveries()
        time.sleep(2)  # anything sent twice would arrive by now
        deliveries = deliveries()
        ids = [request.headers["Waypoint-Delivery"] for request in receiver.received]
        assert sorted(ids) == sorted(delivery_id for delivery_id, _status in deliveries)
        assert len(ids) == len(set(ids))  # none sent twice
        last = json.loads(receiver.received[-1].body)
        print(
            f"\n  during the outage: bulk API 200, row and dirty mark in PostgreSQL, /readyz 503;"
            f" recomputed {seconds:.1f} s after Redis came back; {len(ids)} webhook deliveries,"
            f" each once; last event {last.get('type')}"
        )
    finally:
        receiver.server.shutdown()
