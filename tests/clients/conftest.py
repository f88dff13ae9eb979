"""Fixtures of the clients tests."""

import pytest

from tests.clients.webhook_receiver import start_receiver


@pytest.fixture
def receiver():
    """A real HTTP receiver for webhooks on loopback (tests/clients/webhook_receiver.py)."""
    receiver = start_receiver()
    yield receiver
    receiver.server.shutdown()
