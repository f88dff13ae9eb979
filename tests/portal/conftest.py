"""Kumo KK: a client of Acme (the world's consultancy A) whose October 2026 is worked by hand
in tests/portal/test_pages.py, shared by the portal's and the workspace's tests."""

import pytest

from metrics.periods import Period
from metrics.services import measurements_upsert
from plans.services import plan_create, scorecards_recompute
from tests.clients.factories import ClientFactory, client_member
from tests.plans.builders import mrr_plan


@pytest.fixture
def kumo(world):
    """The client, with a viewer and an editor, October 2026 computed."""
    client = ClientFactory(consultancy=world.a, name="Kumo KK", industry="Cloud")
    plan_create(client=client, raw=mrr_plan(), actor=None)
    rows = [
        {"metric": "mrr", "period": "2026-08", "value": 58_000_000},
        {"metric": "mrr", "period": "2026-09", "value": 60_000_000},
        {"metric": "mrr", "period": "2026-10", "value": 64_000_000},
        {"metric": "leads", "period": "2026-10", "value": 100},
        {"metric": "consultations", "period": "2026-10", "value": 10},
        {"metric": "new_customers", "period": "2026-10", "value": 8},
    ]
    measurements_upsert(client=client, rows=rows, actor=None)
    scorecards_recompute(client_id=client.pk, period=Period.parse("2026-10"))
    client.viewer = client_member(client, "viewer")
    client.editor = client_member(client, "editor")
    return client
