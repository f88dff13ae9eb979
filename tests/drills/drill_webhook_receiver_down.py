"""Drill: a partner's webhook receiver is down (nothing listens on its port) while scorecards are
computed, and comes back a while later on the same address. Every delivery is retried with the
same delivery id until it gets through: none lost, none received twice, each attempt logged."""

import json
import time

import httpx
import psycopg

from tests.clients.webhook_receiver import start_receiver
from tests.drills.conftest import Postgres, Redis, Stage, base_env, free_port, wait_until
from tests.tenancy import minimal_plan

DOWN_SECONDS = 8


def test_a_receiver_down_for_a_while_gets_every_delivery_once(drill_dir):
    postgres, redis = Postgres(drill_dir / "pg"), Redis(drill_dir / "redis")
    postgres.create()
    redis.start()
    env = base_env(postgres.url, redis.url, drill_dir / "var")
    # Retries after about 1, 3, 9 … seconds instead of 1, 3, 9 … minutes.
    env.update(
        WAYPOINT_DISPATCH_EVERY_SECONDS="2",
        WEBHOOK_RETRY_BASE_SECONDS="1",
        WEBHOOK_TIMEOUT_SECONDS="2",
    )
    stage = Stage(drill_dir, env)
    database = postgres.url.replace("postgres://", "postgresql://")
    port = free_port()
    receiver = None
    try:
        stage.manage("migrate", "--noinput")
        stage.manage(
            "create_consultancy",
            "--name",
            "Drill",
            "--slug",
            "drill",
            "--owner-email",
            "owner@drill.test",
        )
        key = stage.manage(
            "create_api_key", "--consultancy", "drill", "--scopes", "read,write", "--name", "drill"
        ).splitlines()[-1]
        stage.web()
        stage.worker()
        stage.beat()
        api = httpx.Client(
            base_url=stage.base, headers={"Authorization": f"Api-Key {key}"}, timeout=30
        )
        client_id = api.post(
            "/api/v1/clients/", json={"name": "Drill Co", "slug": "drill-co"}
        ).json()["id"]
        assert (
            api.post(f"/api/v1/clients/{client_id}/plans/", json=minimal_plan()).status_code == 201
        )
        hook = api.post(
            "/api/v1/webhooks/",
            json={
                "url": f"http://127.0.0.1:{port}/hooks",
                "client": client_id,
                "events": ["scorecard.computed"],
            },
        )
        assert hook.status_code == 201, hook.text

        # Three changes, a few seconds apart: each is recomputed and announced while nothing
        # listens at the receiver's address.
        for value in (100, 120, 140):
            rows = [{"metric": "leads", "period": "2026-09", "value": value}]
            assert (
                api.post(
                    f"/api/v1/clients/{client_id}/measurements/bulk/",
                    content=json.dumps({"measurements": rows}),
                    headers={"Content-Type": "application/json"},
                ).status_code
                == 200
            )
            time.sleep(DOWN_SECONDS / 3)

        def deliveries():
            with psycopg.connect(database) as db:
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
        stage.stop_all()
        redis.stop()
        postgres.stop("immediate")
