"""Fixtures of the CLI tests (their helpers are in ``kit.cli``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from kit.cli import cli_simulator

from tui.sim import Simulator


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    """The CLI tests' simulator (``kit.cli.cli_simulator``: the CLI's token, a small frozen world, no reordering)."""
    async with cli_simulator() as s:
        yield s
