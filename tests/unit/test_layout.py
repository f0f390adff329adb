"""The layout plan at every terminal size: each box shown has a usable height, the rows add up to the screen, and
the modes change where the README says (one column under 80x24, details and channels from 120 columns)."""

from __future__ import annotations

import pytest

from tui.app.layout import CHANNELS_ROWS, DETAILS_MIN, FULL, LOG_MIN, TINY, WIDE_WIDTH, Mode, plan


@pytest.mark.parametrize("status_rows", [1, 2, 3])
def test_every_size_gives_every_box_a_usable_height(status_rows: int) -> None:
    for width in range(20, 241, 3):
        for height in range(5, 81):
            p = plan(width, height, status_rows)
            if width < TINY[0] or height < TINY[1]:
                assert p.mode is Mode.TINY, (width, height)
                continue
            # the status bar, the filter line and the footer, then the boxes: nothing more than the screen
            free = height - status_rows - 2
            if p.mode is Mode.COMPACT:
                assert p.main == free and p.log == 0 and not p.right
                continue
            assert p.main + p.log == free, (width, height, p)
            assert p.log >= LOG_MIN and p.main >= 3, (width, height, p)
            if p.details:
                assert p.main >= DETAILS_MIN
            if p.channels:
                assert p.details and p.main >= DETAILS_MIN + CHANNELS_ROWS


def test_the_modes_change_where_the_readme_says() -> None:
    assert plan(*TINY).mode is Mode.COMPACT and plan(TINY[0] - 1, 30).mode is Mode.TINY
    assert plan(79, 50).mode is Mode.COMPACT and plan(120, 23).mode is Mode.COMPACT
    assert plan(*FULL).mode is Mode.NARROW
    narrow = plan(WIDE_WIDTH - 1, 60)
    assert narrow.mode is Mode.NARROW and not narrow.right  # details as a dialog (Enter), channels with c
    wide = plan(WIDE_WIDTH, 24)
    assert wide.mode is Mode.WIDE and wide.details and not wide.channels  # 130x24: no room for both
    assert plan(130, 24).details and not plan(130, 24).channels
    big = plan(200, 60)
    assert big.details and big.channels and big.log > LOG_MIN


def test_the_tree_gets_the_space_first() -> None:
    for height in (24, 30, 50, 60):
        p = plan(160, height)
        assert p.main > p.log, p
