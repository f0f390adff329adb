"""Finding what matters: the ``/`` line (the tree's filter grammar, or the log's search when the log has the
focus), ``!`` problems only, ``s`` the sort order, ``m`` mute a message type in the log. A mixin of
:class:`~tui.app.app.HubtopApp` (kept apart to keep each file readable).

Whatever is typed is data: an invalid filter or pattern says so in the line beside the box (one safe line) and
the last good one stays applied; nothing typed raises."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Input

from ..model.logsearch import mute_key
from ..model.matcher import PatternError, make_matcher
from ..model.query import QueryError, parse_query
from ..model.sorting import SortOrder
from ..protocol.text import clean

if TYPE_CHECKING:
    from .app import HubtopApp

#: the least time between two rebuilds of the tree (or scans of the log) while the user types
FILTER_SETTLE_S = 0.15
TREE_HINT = "/ filter: words, state:running health:unhealthy os: tag: arch: link:down -negate (Enter keeps, Esc clears)"
LOG_HINT = "/ search the log: message, host, VM, body (ctrl+r: regex) (Enter keeps, Esc clears)"


class Find:
    """The filter, the search, the sort order and the mute list (``self`` is the app)."""

    # ------------------------------------------------------------------ the / line

    def action_filter(self: HubtopApp) -> None:
        """``/``: the log's search when the log has the focus, else the tree's filter."""
        target = "log" if self.focused is self.log_view else "tree"
        self.find_target = target
        box = self.filter_box
        box.placeholder = LOG_HINT if target == "log" else TREE_HINT
        text = self.log_search if target == "log" else self.tree_filter
        if box.value != text:
            with box.prevent(Input.Changed):
                box.value = text
        self._note_find(self._text_error())  # the error of this line's text, not the other one's
        # focus it now, not after the messages already waiting (``focus()`` defers): the keys a fast typist
        # sent right after the "/" are among them, and must go into the filter, not to the tree's bindings
        box.can_focus = True
        self.screen.set_focus(box)

    def _text_error(self: HubtopApp) -> str:
        """Why the text the line holds for its target cannot be used ("" when it can)."""
        try:
            if self.find_target == "log":
                make_matcher(self.log_search, self.log_regex)
            else:
                parse_query(self.tree_filter, problems=self.problems_only)
        except (QueryError, PatternError) as exc:
            return exc.message
        return ""

    def action_search_log(self: HubtopApp) -> None:
        """The log's search from anywhere (the palette): the log takes the focus, then ``/``."""
        if not self.log_view.display:
            self.action_switch_pane()
        self.log_view.focus()
        self.call_after_refresh(self.action_filter)

    def on_input_changed(self: HubtopApp, message: Input.Changed) -> None:
        if message.input is not self.filter_box:
            return
        if self.find_target == "log":
            self.log_search = message.value
        else:
            self.tree_filter = message.value
            if not self._set_query():
                return
        # the first keystroke applies at once; keystrokes that follow quickly are coalesced, so the characters
        # show as typed and the 20,000-row tree is rebuilt (or the log scanned) at most every FILTER_SETTLE_S
        if self._filter_timer is not None:
            return  # an update is already due and will take this text
        wait = self._last_filter + FILTER_SETTLE_S - time.monotonic()
        if wait <= 0:
            self._apply_filter()
        else:
            self._filter_timer = self.set_timer(wait, self._apply_filter)

    def _set_query(self: HubtopApp) -> bool:
        """Parse the tree's filter; an invalid one is said beside the box and the last good one stays."""
        try:
            query = parse_query(self.tree_filter, problems=self.problems_only)
        except QueryError as exc:
            self._note_find(exc.message)
            return False
        self._find_error = ""
        self.host_tree.set_query(query)
        return True

    def _apply_filter(self: HubtopApp) -> None:
        self._filter_timer = None
        self._last_filter = time.monotonic()
        if self.find_target == "log":
            self._apply_search()
        else:
            self.sync_tree()
        self._note_find()

    def _apply_search(self: HubtopApp) -> None:
        try:
            matcher = make_matcher(self.log_search, self.log_regex)
        except PatternError as exc:
            self._note_find(exc.message)
            return
        self._find_error = ""
        with self.monitor.read() as live:
            self.log_view.set_find(live.journal, live.cluster, matcher)
            total = len(live.cluster.hosts)
        self._titles(total)

    def on_input_submitted(self: HubtopApp, message: Input.Submitted) -> None:
        if message.input is not self.filter_box:
            return
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._apply_filter()
        (self.log_view if self.find_target == "log" else self.host_tree).focus()
        self.filter_box.can_focus = False

    def action_clear_filter(self: HubtopApp) -> None:
        """Escape: clear what the box is for (the tree's filter, or the log's search)."""
        box = self.filter_box
        if not box.value and not box.has_focus:
            return
        box.value = ""
        (self.log_view if self.find_target == "log" else self.host_tree).focus()
        box.can_focus = False

    def action_toggle_regex(self: HubtopApp) -> None:
        """ctrl+r in the log's search: a regular expression, or plain text."""
        if self.find_target != "log":
            self.notify("regular expressions are for the log's search (/ with the log focused)", timeout=4)
            return
        self.log_regex = not self.log_regex
        self._apply_filter()

    def _note_find(self: HubtopApp, error: str | None = None) -> None:
        """The line beside the box: what matches, or why the text cannot be used (``error``: "" clears it)."""
        if error is not None:
            self._find_error = error
        if self._find_error:
            text = Text(f" {self.glyphs.warn} {clean(self._find_error, 200)} ", style="bold")
        elif self.find_target == "log":
            mode = "regex" if self.log_regex else "plain"
            found = self.log_view.find_title()
            text = Text(f" {found} ({mode}) " if found else f" ({mode}) ")
        elif self.host_tree.query:
            hosts, vms = self.host_tree.matches
            text = Text(f" {hosts:,} host{'' if hosts == 1 else 's'}, {vms:,} VM{'' if vms == 1 else 's'} ")
        else:
            text = Text("")
        if text != self._note_shown:  # an unchanged line is not sent again
            self._note_shown = text
            self.filter_note.update(text)
            self.filter_note.set_class(bool(self._find_error), "-error")

    # ------------------------------------------------------------------ problems only, sort

    def action_problems(self: HubtopApp) -> None:
        """``!``: only what is wrong (unhealthy, link down, unsure; VMs in failing or transitional states)."""
        self.problems_only = not self.problems_only
        if not self._set_query():  # the text in the box is invalid: the problems view on its own
            self.host_tree.set_query(parse_query("", problems=self.problems_only))
        self.sync_tree()
        self._note_find()
        self.notify("problems only" if self.problems_only else "every host and VM again", timeout=3)

    def action_sort(self: HubtopApp) -> None:
        """``s``: the next sort order."""
        self.action_sort_by(self.host_tree.order.next().value)

    def action_sort_by(self: HubtopApp, order: str) -> None:
        self.host_tree.set_order(SortOrder.parse(order))
        self.sync_tree()
        self.notify(f"hosts sorted by {self.host_tree.order.label}", timeout=3)
        self.save_ui_state()

    # ------------------------------------------------------------------ mute

    def action_mute(self: HubtopApp) -> None:
        """``m`` on a row of the log: hide its message type from the log (the model still applies it)."""
        log = self.log_view
        if self.focused is not log:
            self.notify("m mutes the message type of the log's selected row: focus the log first (Tab)", timeout=4)
            return
        self.sync_log()
        entry = log.entry_at(log.cursor)
        name = mute_key(entry) if entry is not None else None
        if name is None:
            self.notify("only an event's type can be muted (not hubtop's own notes or gaps)", timeout=4)
            return
        self.unmute(name, toggle=True)

    def unmute(self: HubtopApp, name: str, toggle: bool = False) -> None:
        """Unmute ``name`` (``toggle``: mute it if it is not)."""
        log = self.log_view
        if not toggle and name not in log.mute:
            return
        with self.monitor.read() as live:
            muted = log.toggle_mute(live.journal, live.cluster, name)
            total = len(live.cluster.hosts)
        self._titles(total)
        shown = clean(name, 80)
        if muted:
            self.notify(f"{shown} hidden from the log (still applied to the tree); the palette unmutes it", timeout=5)
        else:
            self.notify(f"{shown} shown in the log again", timeout=3)
        self.save_ui_state()
