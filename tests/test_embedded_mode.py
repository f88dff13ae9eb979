"""The embedded default, as `make demo` runs it on a bare machine: a fresh SQLite file, migrate,
load_demo, and `make serve` answering a browser and a partner. The site is set up once for the
module; the tests run in file order, the one that imports data last."""

import http.client
import http.cookiejar
import json
import re
import sqlite3
import urllib.parse
import urllib.request
import uuid

import pytest

from tests.helpers import embedded_env, manage

pytestmark = pytest.mark.slow
DEMO_PASSWORD = "waypoint-demo"


def test_fresh_sqlite_migrate_and_load_demo_twice(demo_site):
    env, var_dir, first = demo_site

    second = manage("load_demo", env=env)

    assert second.returncode == 0, second.stderr
    assert "owner@demo.waypoint.test" in second.stdout
    # The same consultancy and clients, under the same ids.
    assert re.findall(r"[0-9a-f-]{36}", second.stdout) == re.findall(r"[0-9a-f-]{36}", first)
    with sqlite3.connect(var_dir / "waypoint.sqlite3") as db:
        (consultancies,) = db.execute("select count(*) from clients_consultancy").fetchone()
        (users,) = db.execute("select count(*) from clients_user").fetchone()
    assert (consultancies, users) == (1, 4)  # owner, consultant, client viewer and editor


def test_the_demo_is_computed_and_recompute_runs_on_sqlite(demo_site):
    env, var_dir, _printed = demo_site
    with sqlite3.connect(var_dir / "waypoint.sqlite3") as db:
        healths = dict(
            db.execute(
                "select c.slug, s.health from plans_scorecardsnapshot s"
                " join clients_client c on c.id = s.client_id"
                " where s.period_start = (select max(period_start) from plans_scorecardsnapshot"
                "   where client_id = s.client_id and score is not null)"
            ).fetchall()
        )
    # One client on track, one at risk, one off track (plans/demo.py).
    assert healths == {"nimbus-saas": "green", "sakura-cafe": "amber", "hikari-growth": "red"}

    recomputed = manage("recompute", env=env)

    assert recomputed.returncode == 0, recomputed.stderr
    lines = recomputed.stdout.strip().splitlines()
    assert len(lines) == 3
    assert all("computed 0 month(s)" in line for line in lines), lines  # inputs unchanged


def test_migrations_match_the_models(tmp_path):
    checked = manage("makemigrations", "--check", "--dry-run", env=embedded_env(tmp_path))

    assert checked.returncode == 0, checked.stdout + checked.stderr


# --- served by `make serve` ---------------------------------------------------------------------


def test_after_sign_in_the_admin_and_its_styles_are_served(served_demo):
    base, _env, _printed = served_demo
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    browser.open(f"{base}/accounts/login/")
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    form = {
        "username": "owner@demo.waypoint.test",
        "password": DEMO_PASSWORD,
        "csrfmiddlewaretoken": token,
    }

    signed_in = browser.open(
        urllib.request.Request(
            f"{base}/accounts/login/",
            data=urllib.parse.urlencode(form).encode(),
            headers={"Referer": f"{base}/accounts/login/"},
        )
    )
    admin = browser.open(f"{base}/admin/")
    page = admin.read().decode()
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page).group(1)
    styles = browser.open(f"{base}{stylesheet}")

    assert signed_in.status == 200
    assert admin.status == 200
    assert 'href="/admin/clients/client/"' in page  # the signed-in owner sees their tables
    assert styles.status == 200
    assert styles.headers["Content-Type"].startswith("text/css")


def test_a_chunked_batch_is_read_whole_and_stored(served_demo):
    base, env, printed = served_demo
    client_id = re.search(r"([0-9a-f-]{36})  sakura-cafe", printed).group(1)
    made = manage(
        "create_api_key", "--consultancy", "demo", "--scopes", "read,write", "--name", "t", env=env
    )
    key = made.stdout.strip().splitlines()[-1]
    rows = [{"metric": "leads", "period": f"2019-{month:02d}", "value": month} for month in (1, 2)]
    body = json.dumps({"measurements": rows}).encode()
    connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=30)

    # An iterable body without Content-Length goes out as Transfer-Encoding: chunked.
    connection.request(
        "POST",
        f"/api/v1/clients/{client_id}/measurements/bulk/",
        body=iter([body[:20], body[20:]]),
        headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"},
        encode_chunked=True,
    )
    response = connection.getresponse()

    assert response.status == 200, response.read()
    assert json.loads(response.read()) == {"created": 2, "updated": 0, "unchanged": 0}


def test_import_on_sqlite_uses_the_portable_upsert(demo_site, tmp_path):
    # The COPY path is PostgreSQL's; on the embedded SQLite the ORM fallback must give the same
    # counts and history. (2018: before the demo's data and the chunked batch's 2019.)
    env, var_dir, _printed = demo_site
    with sqlite3.connect(var_dir / "waypoint.sqlite3") as db:
        (client_id,) = db.execute("select id from clients_client order by name limit 1").fetchone()
    client_uuid = str(uuid.UUID(client_id))
    good = tmp_path / "good.csv"
    good.write_text("metric,period,value\nleads,2018-08,10\nleads,2018-09,12\n")
    changed = tmp_path / "changed.csv"
    changed.write_text("metric,period,value\nleads,2018-08,10\nleads,2018-09,13\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("metric,period,value\nleads,2018-10,1\nleads,2018-13,1\n")

    first = manage("import_measurements", "--client", client_uuid, str(good), env=env)
    second = manage("import_measurements", "--client", client_uuid, str(changed), env=env)
    rejected = manage("import_measurements", "--client", client_uuid, str(bad), env=env)

    assert "created 2, updated 0, unchanged 0" in first.stdout, first.stderr
    assert "created 0, updated 1, unchanged 1" in second.stdout, second.stderr
    assert rejected.returncode == 1
    assert "line 3, period" in rejected.stderr
    with sqlite3.connect(var_dir / "waypoint.sqlite3") as db:
        # The demo's own data starts later: these are the imported rows only.
        rows = db.execute(
            "select period_start, value from metrics_measurement"
            " where period_start < '2019-01-01' order by period_start"
        ).fetchall()
        history = db.execute(
            "select old_value, new_value from metrics_measurementhistory"
            " where period_start < '2019-01-01' order by id"
        ).fetchall()
    assert [(start, str(value)) for start, value in rows] == [
        ("2018-08-01", "10"),
        ("2018-09-01", "13"),
    ]
    assert [(str(old), str(new)) for old, new in history] == [
        ("None", "10"),
        ("None", "12"),
        ("12", "13"),
    ]
