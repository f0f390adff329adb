"""Fixtures for the core tests (helpers live in servers.py)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for path in (HERE.parent, HERE):  # `import tui` and `import servers` however pytest was started
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from servers import API_KEY, PASSWORD, Collector, HubServer, standard_world  # noqa: E402


@pytest.fixture
async def hub() -> AsyncIterator[HubServer]:
    async with HubServer(users={"admin@example.com": PASSWORD, "admin": PASSWORD},
                         login_api_keys=(API_KEY,)) as server:
        standard_world(server)
        yield server


@pytest.fixture
def collector() -> Collector:
    return Collector()
