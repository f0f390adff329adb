"""The service logs of each host (``HOST_LOGS_UPDATE``) and of the server itself (``system_logs``), kept per
host for a log view with a level filter and a search.

The vendor's web UI shows a host's service log with a level filter; an SRE reaches for it when a host turns
unhealthy. Every host's log lines reach an orchestrator subscriber, so the store is bounded twice: each host
keeps its last :data:`PER_HOST` lines, and all hosts together at most :data:`TOTAL` lines, taken first from
the host that has been quiet longest (a busy fleet keeps the logs of the hosts that are talking). The
server's own lines are kept under :data:`SERVER`.

A line's text is made safe for a terminal once, when it arrives, so a search's spans are spans of exactly
what a view shows. :attr:`Host.logs` (the details pane's last few lines, health changes among them) is
separate and unchanged.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass

from ..protocol.text import clean
from .matcher import Matcher, Span

__all__ = ["LEVELS", "PER_HOST", "SERVER", "TOTAL", "HostLogs", "LogLine", "LogMatch", "level_of"]

PER_HOST = 500
TOTAL = 50_000
#: the key of the server's own log (``system_logs``): never a host id (ids are not empty)
SERVER = ""
#: the most characters of one line kept
LINE_LIMIT = 2000

#: the levels, least severe first; the level filter shows a level and those after it
LEVELS = ("debug", "info", "warning", "error")
_RANK = {name: i for i, name in enumerate(LEVELS)}
_ALIASES = {
    "trace": "debug", "dbg": "debug", "information": "info", "notice": "info", "warn": "warning",
    "err": "error", "fatal": "error", "panic": "error", "critical": "error", "crit": "error",
}


def level_of(text: object) -> str:
    """A level as one of :data:`LEVELS` (``WARN`` -> ``warning``); anything else, or none, is ``info``."""
    word = str(text or "").strip().lower()
    word = _ALIASES.get(word, word)
    return word if word in _RANK else "info"


@dataclass(slots=True)
class LogLine:
    seq: int
    #: when hubtop received it (its clock)
    at: float
    level: str
    #: the message, safe for a terminal (the spans of a search are spans of this)
    text: str
    #: the time the host wrote, as it sent it (safe)
    time: str = ""
    #: the level as sent, when it was not one of LEVELS (safe; "" otherwise)
    sent_level: str = ""
    #: where the line sorts: its frame's timestamp (:func:`~tui.model.order.order_key`; "" for none)
    key: str = ""

    @property
    def rank(self) -> int:
        return _RANK[self.level]


@dataclass(slots=True)
class LogMatch:
    line: LogLine
    spans: tuple[Span, ...] = ()


class HostLogs:
    """Per-host rings of :class:`LogLine`, bounded per host and in total."""

    def __init__(self, per_host: int = PER_HOST, total: int = TOTAL) -> None:
        self.per_host = max(1, per_host)
        self.total = max(1, total)
        #: host key -> its lines, least recently written host first
        self._logs: OrderedDict[str, deque[LogLine]] = OrderedDict()
        self._count = 0
        #: numbers every line ever added (a view asks for the lines after the last it has)
        self.seq = 0

    def __len__(self) -> int:
        return self._count

    def __contains__(self, host_id: object) -> bool:
        return host_id in self._logs

    def hosts(self) -> list[str]:
        """The keys that have lines, most recently written last."""
        return list(self._logs)

    def add(self, host_id: str, level: object, message: object, time: object = "", at: float = 0.0,
            key: str = "") -> LogLine:
        """Keep one line of ``host_id``'s log (:data:`SERVER` for the server's own). ``key`` orders it (its
        frame's timestamp as :func:`~tui.model.order.order_key`): the real server can deliver two lines of a
        host in either order, and a line older than the newest is put in its place, not at the end."""
        self.seq += 1
        word = level_of(level)
        sent = str(level or "").strip()
        line = LogLine(self.seq, at, word, clean(message, LINE_LIMIT), clean(time, 64),
                       clean(sent, 24) if sent and sent.lower() != word else "", key)
        logs = self._logs.get(host_id)
        if logs is None:
            logs = self._logs[host_id] = deque()
        else:
            self._logs.move_to_end(host_id)
        if len(logs) >= self.per_host:
            logs.popleft()
            self._count -= 1
        if key and logs and logs[-1].key > key:  # late: after the last line that is not newer
            i = len(logs)
            while i and logs[i - 1].key > key:
                i -= 1
            logs.insert(i, line)
        else:
            logs.append(line)
        self._count += 1
        while self._count > self.total:  # from the host quiet longest (never the one just written)
            oldest_key, oldest = next(iter(self._logs.items()))
            oldest.popleft()
            self._count -= 1
            if not oldest:
                del self._logs[oldest_key]
        return line

    def lines(self, host_id: str, since: int = 0) -> list[LogLine]:
        """The host's lines, oldest first by their frames' time (``since``: only those with a seq after it,
        in that order; a late one among them is not the last)."""
        logs = self._logs.get(host_id)
        if not logs:
            return []
        if since <= 0:
            return list(logs)
        return [line for line in logs if line.seq > since]

    def last_seq(self, host_id: str) -> int:
        """The seq of the host's most recently added line (0 without lines): a view repaints when it moves."""
        logs = self._logs.get(host_id)
        return max(line.seq for line in logs) if logs else 0

    def view(self, host_id: str, level: str = "", matcher: Matcher | None = None,
             since: int = 0) -> list[LogMatch]:
        """The host's lines at ``level`` or above (any level when ""), that ``matcher`` finds (all when
        ``None``), each with the spans to highlight."""
        return list(self._view(self.lines(host_id, since), level, matcher))

    @staticmethod
    def _view(lines: list[LogLine], level: str, matcher: Matcher | None) -> Iterator[LogMatch]:
        least = _RANK[level_of(level)] if level else 0
        for line in lines:
            if _RANK[line.level] < least:
                continue
            if matcher is None:
                yield LogMatch(line)
            elif matcher.test(line.text):
                yield LogMatch(line, matcher.spans(line.text))

    def forget(self, host_id: str) -> None:
        logs = self._logs.pop(host_id, None)
        if logs:
            self._count -= len(logs)
