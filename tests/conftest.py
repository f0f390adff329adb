"""Fixtures shared by every layer. Helpers are in ``tests/kit`` (importable as ``kit``: pytest's ``pythonpath``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from kit.client import Collector
from kit.hub import API_KEY, PASSWORD, HubServer, standard_world


@pytest.fixture
async def hub() -> AsyncIterator[HubServer]:
    """A :class:`~kit.hub.HubServer` with the standard world, a user (``admin`` or its email) and an API key."""
    async with HubServer(users={"admin@example.com": PASSWORD, "admin": PASSWORD},
                         login_api_keys=(API_KEY,)) as server:
        standard_world(server)
        yield server


@pytest.fixture
def collector() -> Collector:
    return Collector()
