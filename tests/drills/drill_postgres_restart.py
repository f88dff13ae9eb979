"""Drill: PostgreSQL goes down for a few seconds under load and comes back. Requests meanwhile
fail cleanly — 503 with Retry-After, never a 500 and no traceback in the log — and the web
processes recover without a restart; every write that was answered 200 is stored."""

import json
import threading
import time
from datetime import date, timedelta

import httpx
import psycopg

from tests.drills.conftest import client_with_plan

LOAD_THREADS = 4
DOWN_SECONDS = 3


def test_postgres_restarted_under_load(stage):
    key = stage.prepare()
    stage.web()
    client_id = client_with_plan(stage.api(key))
    answers, written, lock, stop = [], [], threading.Lock(), threading.Event()

    def load(number: int) -> None:
        day, count = date(2020, 1, 1) + timedelta(days=number * 10_000), 0
        with httpx.Client(
            base_url=stage.base, timeout=30, headers={"Authorization": f"Api-Key {key}"}
        ) as http:
            while not stop.is_set():
                count += 1
                started = time.monotonic()
                if count % 2:
                    response = http.get(f"/api/v1/clients/{client_id}/")
                    row = None
                else:
                    day += timedelta(days=1)
                    row = {"metric": "leads", "period": day.isoformat(), "value": count}
                    response = http.post(
                        f"/api/v1/clients/{client_id}/measurements/bulk/",
                        content=json.dumps({"measurements": [row]}),
                        headers={"Content-Type": "application/json"},
                    )
                with lock:
                    answers.append(
                        (
                            started,
                            response.status_code,
                            response.headers.get("Retry-After"),
                        )
                    )
                    if row is not None and response.status_code == 200:
                        written.append(row)

    threads = [threading.Thread(target=load, args=(n,)) for n in range(LOAD_THREADS)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    stage.postgres.stop("fast")
    down_at = time.monotonic()
    time.sleep(DOWN_SECONDS)
    readyz = httpx.get(f"{stage.base}/readyz", timeout=10)
    stage.postgres.start()
    up_at = time.monotonic()
    time.sleep(4)
    stop.set()
    for thread in threads:
        thread.join()

    statuses = {status for _at, status, _retry in answers}
    assert statuses <= {200, 503}, statuses
    # Asked after PostgreSQL stopped and before it was started again.
    during = [status for at, status, _retry in answers if down_at < at < up_at - 0.5]
    assert during, "no request while the database was down"
    assert set(during) == {503}, during
    assert all(retry == "5" for _at, status, retry in answers if status == 503)
    # Recovered on their own: every answer from a second after the restart on is a 200.
    after = [status for at, status, _retry in answers if at > up_at + 1]
    assert after, "no request after the restart"
    assert set(after) == {200}, after[:20]
    assert readyz.status_code == 503
    assert "database" in readyz.text
    with psycopg.connect(stage.database) as db:
        stored = {
            (str(period), int(value))
            for period, value in db.execute(
                "SELECT period_start, value FROM metrics_measurement WHERE client_id = %s",
                [client_id],
            ).fetchall()
        }
    assert {(row["period"], row["value"]) for row in written} <= stored
    log = stage.log("web")
    assert "Traceback" not in log, log[-3000:]
    assert "answered" in log  # the outage was logged, a line per request
    print(
        f"\n  {len(answers)} requests, {len(during)} while PostgreSQL was down (all 503),"
        f" {len(after)} after it came back (all 200); {len(written)} writes stored"
    )
