"""Schemathesis against the live schema: every operation, valid and invalid input, through real
HTTP to a live server on the test database, seeded with a tenant and a key that may do
everything. No answer may be a 5xx, every answer must match the schema (status code, content
type, body, headers), and input the schema calls invalid must be refused.

Bounded: a fixed seed, a few examples per operation and a time budget; the run's report is
printed when it fails, with the command that reproduces it.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.throttling import SimpleRateThrottle

from clients.models import AuditLogEntry, Job, WebhookSubscription
from diagnostics.builtin import builtin_sync
from diagnostics.models import DiagnosticTemplate
from diagnostics.services import run_start
from metrics.catalogue import catalogue_sync
from metrics.models import Metric
from plans.services import plan_create, scorecards_recompute
from plans.services.planning import scenario_save
from tests.clients.factories import ClientFactory, api_key
from tests.plans.builders import measure, plan_document

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ST = Path(sys.executable).with_name("st")
SEED = 20261127
TIME_BUDGET = 45  # seconds for the whole run

CONFIG = """
seed = {seed}
max-time = {budget}
workers = 1
suppress-health-check = ["all"]

[generation]
mode = "all"
max-examples = 8
deterministic = true  # the same cases in the same order every run, as far as time allows

[parameters]
"path.client_id" = "{client}"
"path.plan_id" = "{plan}"
"path.run_id" = "{run}"
"path.milestone_key" = "launch"
"path.key" = "strategy-quick-check"
"path.funnel_key" = "journey"

[[operations]]
include-method = "DELETE"
include-path-regex = "/plans/[{{]plan_id[}}]/$"
parameters = {{ "path.plan_id" = "{spare_plan}" }}

[[operations]]
include-method = "DELETE"
include-path-regex = "scenario_id"
parameters = {{ "path.scenario_id" = "{spare_scenario}" }}

[[operations]]
include-path-regex = "scenario_id"
parameters = {{ "path.scenario_id" = "{scenario}" }}

[[operations]]
include-method = "DELETE"
include-path-regex = "/webhooks/"
parameters = {{ "path.id" = "{spare_webhook}" }}

[[operations]]
include-path-regex = "/jobs/"
parameters = {{ "path.id" = "{job}" }}

[[operations]]
include-path-regex = "/webhooks/"
parameters = {{ "path.id" = "{webhook}" }}

[[operations]]
include-path-regex = "/audit-log/"
parameters = {{ "path.id" = "{entry}" }}
"""


@pytest.fixture
def tenant():
    # A transactional test's flush (another drill, a worker test) emptied what migrations wrote.
    if not Metric.objects.filter(consultancy=None).exists():
        catalogue_sync(Metric)
    if not DiagnosticTemplate.objects.filter(consultancy=None).exists():
        builtin_sync(DiagnosticTemplate)
    client = ClientFactory()
    document = plan_document()
    document["milestones"].append(
        {"key": "launch", "name": "Launch", "due": "2026-06-30", "kind": "event"}
    )
    plan = plan_create(client=client, raw=document, actor=None)
    # Deleted by the fuzzer, so that the other operations keep finding the ones above.
    spare_plan = plan_create(
        client=client, raw={**plan_document(), "status": "draft", "name": "Spare"}, actor=None
    )
    measure(client, [("leads", "2026-04", 160), ("visitors", "2026-06", 2000)])
    scorecards_recompute(client_id=client.pk)
    template = DiagnosticTemplate.objects.get(consultancy=None, key="strategy-quick-check")
    run = run_start(client=client, template=template, actor=None)
    webhook, spare_webhook = (
        WebhookSubscription.objects.create(
            consultancy=client.consultancy,
            url=f"http://127.0.0.1:9/{name}",
            events=["scorecard.computed"],
            secret="whsec_fuzz",
        )
        for name in ("fuzz", "spare")
    )
    job = Job.objects.create(kind="scorecard_recompute", client=client)
    scenario, spare_scenario = (
        scenario_save(
            plan=plan,
            name=name,
            period="2026-06",
            changes=[{"kpi": "leads", "change_pct": "0.2"}],
            actor=None,
        )
        for name in ("Upside", "Spare")
    )
    _key, plain = api_key(client.consultancy, "read,write")
    return {
        "client": client.pk,
        "plan": plan.pk,
        "run": run.pk,
        "job": job.pk,
        "webhook": webhook.pk,
        "spare_plan": spare_plan.pk,
        "spare_webhook": spare_webhook.pk,
        "scenario": scenario.pk,
        "spare_scenario": spare_scenario.pk,
        "entry": AuditLogEntry.objects.filter(client=client).values_list("pk", flat=True)[0],
        "key": plain,
    }


def test_the_api_keeps_to_its_schema_under_fuzzing(live_server, tenant, tmp_path, monkeypatch):
    # The fuzzer sends far more than a partner may: lift the rate limit for this run only.
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"key": None, "user": None, "anon": "60/min"}
    )
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.format(seed=SEED, budget=TIME_BUDGET, **tenant))
    command = [
        str(ST),
        "--config-file",
        str(config),
        "run",
        f"{live_server.url}/api/v1/schema/",
        "--url",
        live_server.url,
        "--header",
        f"Authorization: Api-Key {tenant['key']}",
        "--checks",
        "all",
        "--exclude-checks",
        # A request the schema allows may still be refused with a 400 naming the field: a
        # schema cannot say that a referenced row exists, that ends_on follows starts_on, that
        # a month has begun or that a time zone's name is known to the question's template.
        # Invalid input must still be refused (negative_data_rejection stays on).
        "positive_data_acceptance",
        "--request-timeout",
        "20",
    ]

    run = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=TIME_BUDGET + 120,
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""},
        cwd=tmp_path,  # its cache of found crashes goes there, not into the checkout
        check=False,
    )

    report = run.stdout[-20000:] + run.stderr[-5000:]
    assert run.returncode == 0, report
    counted = re.search(r"^\s*(\d+ generated\b.*)$", run.stdout, re.MULTILINE)
    print(f"schemathesis: {counted[1] if counted else run.stdout[-300:]}")  # with -s or -rP
