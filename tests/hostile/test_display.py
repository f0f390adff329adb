"""A hostile hub against the TUI: every string it can send reaches the screen as visible, inert text.

The hub puts escape sequences, C1 controls, bidi overrides, zero-width characters and Rich/Textual markup into
every field the app shows (host descriptions, OS and CPU fields, tags, VM names, descriptions, OSes, states,
log lines and levels, unknown message names, generic bodies, error frames, HOST_DEPLOYED / HOST_ADDED, a
malformed frame, a close reason, a 503 message). The app must not crash, must show the markup literally, and no
row, title, status line, pane or dialog may hold a raw control or format character.
"""

from __future__ import annotations

import json

from kit.app import screen_text, static_text, wait_for
from kit.hub import HubServer
from kit.payloads import HOSTILE, LITERAL_MARKUP, PAYLOADS, hostile_hub, raw_controls

from tui.app.app import HubtopApp
from tui.app.screens.event_detail import EventDetailScreen
from tui.protocol.parse import Event
from tui.settings import SecretStr, Settings


def rendered(renderable, width: int) -> str:
    """A Rich renderable laid out at ``width``, as plain text."""
    from rich.console import Console

    console = Console(width=width, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text()


def _walk_list(widget) -> list[str]:
    """Every row of a virtual list, as drawn, scrolling through it."""
    rows = []
    for index in range(widget.row_count()):
        widget.set_cursor(index)
        rows.append("".join(seg.text for seg in widget.render_row(index, 200, False)))
    return rows


async def test_nothing_raw_and_no_markup_reaches_the_screen(tmp_path):
    async with HubServer() as hub:
        hostile_hub(hub)
        settings = Settings(url=hub.url, token=SecretStr("tok-initial"), timeout=5.0)
        app = HubtopApp(settings, export_dir=tmp_path)
        async with app.run_test(size=(200, 60)) as pilot:
            await wait_for(pilot, lambda: len(hub.conns) >= 2, what="the reconnect after the hostile close")
            await wait_for(pilot, lambda: app.monitor.feed.journal.malformed >= 1 and app.monitor.feed.snapshots >= 2,
                           what="the hostile frames")
            await pilot.pause(0.3)
            seen: dict[str, list[str]] = {
                "tree": _walk_list(app.host_tree),
                "log": _walk_list(app.log_view),
                "screen tree": screen_text(app.host_tree),
                "status bar": [static_text(app.status_bar)],
                "titles": [str(app.host_tree.border_title), str(app.log_view.border_title)],
            }
            app.host_tree.focus()
            for index in range(app.host_tree.row_count()):  # the details of every host and VM
                app.host_tree.set_cursor(index)
                await pilot.pause(0.05)
                app.refresh_from_model()
                seen.setdefault("details", []).append(rendered(app.details.renderable, width=120))
                seen.setdefault("details pane", []).append(app.details.text)
            log = app.log_view
            for index in range(log.row_count()):  # every entry's full JSON dialog
                entry = log.entry_at(index)
                if entry is None:
                    continue
                log.set_cursor(index)
                await pilot.press("enter") if log.has_focus else log.post_message(log.Selected(log, index))
                await wait_for(pilot, lambda: isinstance(app.screen, EventDetailScreen), what="the dialog")
                seen.setdefault("dialogs", []).extend(
                    static_text(static, width=120) for static in app.screen.query("Static"))
                app.screen.dismiss(None)
                await pilot.pause(0.05)
            assert app.is_running  # nothing crashed it
            for where, texts in seen.items():
                for text in texts:
                    assert not raw_controls(text, allow="\n"), (where, text[:200])
            tree_text = "\n".join(seen["tree"])
            details = "\n".join(seen["details"])
            assert "␛]0;PWNED-title␇" in tree_text  # shown, as the control pictures
            assert LITERAL_MARKUP.search(details), "markup in a description is shown, not obeyed"
            assert "runner [x86_64]" in details and "\\u202eRLO-MARK" in details
            log_text = "\n".join(seen["log"])
            assert "␛]0;PWNED-close␇[/]" in log_text or "PWNED-close" in log_text  # the close reason, shown
            # the hostile events are all there, read and shown (as data)
            events = [e for e in app.monitor.feed.journal if isinstance(e, Event)]
            assert any(e.message.startswith("NEW_") for e in events)


async def test_a_filter_with_markup_characters_is_text():
    async with HubServer() as hub:
        hostile_hub(hub)
        app = HubtopApp(Settings(url=hub.url, token=SecretStr("tok-initial"), timeout=5.0))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.monitor.feed.snapshots >= 1, what="the snapshot")
            await pilot.press("slash", "[", "/", "]", "[", "@")
            await pilot.pause(0.3)
            assert app.is_running
            assert "[/][@" in str(app.host_tree.border_title)


def test_the_payloads_cover_every_finding():
    assert set(PAYLOADS) >= {"osc-title", "osc52", "osc8", "csi-clear", "ris", "cr", "bs", "c1-csi", "c1-osc", "rlo",
                             "isolates", "zwj", "markup"}
    json.dumps(HOSTILE)  # every payload travels as JSON
