"""Drill: a partner's webhook receiver is down (nothing listens on its port) while scorecards are
computed, and comes back a while later on the same address. Every delivery is retried with the
same delivery id until it gets through: none lost, none received twice, each attempt logged."""

import time

import psycopg

from tests.clients.webhook_receiver import start_receiver
from tests.drills.conftest import client_with_plan, free_port, post_rows, wait_until

DOWN_SECONDS = 8


def test_a_receiver_down_for_a_while_gets_every_delivery_once(stage):
    # Retries after about 1, 3, 9 … seconds instead of 1, 3, 9 … minutes.
    stage.env.update(
        WAYPOINT_DISPATCH_EVERY_SECONDS="2",
        WEBHOOK_RETRY_BASE_SECONDS="1",
        WEBHOOK_TIMEOUT_SECONDS="2",
    )
    port = free_port()
    receiver = None
    key = stage.prepare()
    stage.web()
    stage.worker()
    stage.beat()
    api = stage.api(key)
    client_id = client_with_plan(api)
    hook = api.post(
        "/api/v1/webhooks/",
        json={
            "url": f"http://127.0.0.1:{port}/hooks",
            "client": client_id,
            "events": ["scorecard.computed"],
        },
    )
    assert hook.status_code == 201, hook.text
    try:
        # Three changes, a few seconds apart: each is recomputed and announced while nothing
        # listens at the receiver's address.
        for value in (100, 120, 140):
            rows = [{"metric": "leads", "period": "2026-09", "value": value}]
            assert post_rows(api, client_id, rows).status_code == 200
            time.sleep(DOWN_SECONDS / 3)

        def deliveries():
            with psycopg.connect(stage.database) as db:
                return db.execute(
                    "SELECT d.id::text, d.status, count(a.id) FROM clients_webhookdelivery d"
                    " LEFT JOIN clients_webhookattempt a ON a.delivery_id = d.id"
                    " GROUP BY d.id, d.status"
                ).fetchall()

        assert deliveries(), "no event while the receiver was down"
        assert all(status == "pending" for _id, status, _tries in deliveries())
        receiver = start_receiver(port=port)  # back, on the same address

        assert wait_until(
            lambda: {status for _id, status, _tries in deliveries()} == {"succeeded"}, 120, 1
        ), deliveries()
        time.sleep(3)  # anything sent twice would arrive by now
        found = deliveries()
        ids = [request.headers["Waypoint-Delivery"] for request in receiver.received]
        assert sorted(ids) == sorted(delivery_id for delivery_id, _s, _t in found)
        assert len(ids) == len(set(ids))
        assert all(attempts >= 2 for _id, _status, attempts in found)  # refused, then through
        print(
            f"\n  {len(found)} deliveries while the receiver was down for about {DOWN_SECONDS} s;"
            f" each received once, after {max(a for *_x, a in found)} attempts at most"
        )
    finally:
        if receiver is not None:
            receiver.server.shutdown()
