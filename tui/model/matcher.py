"""Search text the way a person types it into a log's search box: plain or a regular expression, always
case-insensitive, with the spans of what matched so a view can highlight them.

Shared by the event log's search (:mod:`.logsearch`) and the host service logs (:mod:`.hostlogs`), so both
read a pattern alike. A pattern that is not a valid regular expression raises :class:`PatternError` with a
short message safe for a terminal, never anything else. The pattern is the user's own, but the text it runs
over is the server's: the text searched per field is bounded (:data:`SEARCH_LIMIT`) so that a slow pattern
over a huge field stays bounded too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..protocol.text import clean

__all__ = ["MAX_SPANS", "SEARCH_LIMIT", "Matcher", "PatternError", "make_matcher"]

#: the most spans reported for one text (a row shows far fewer)
MAX_SPANS = 32
#: the most characters of one field searched
SEARCH_LIMIT = 64 * 1024
#: the longest pattern taken
MAX_PATTERN = 500

Span = tuple[int, int]


class PatternError(ValueError):
    """The search text cannot be used. ``message`` is one short line, safe for a terminal."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Matcher:
    """A compiled search. ``test`` says whether a text matches; ``spans`` where."""

    pattern: str
    regex: bool
    _rx: re.Pattern[str]
    #: the pattern in lower case (plain searches test with ``in``, much faster than a case-insensitive regex)
    _needle: str
    #: the regex with its letters in lower case, for text in lower case: a case-sensitive search of lowered
    #: text is several times faster than an IGNORECASE one (``None`` when the pattern cannot be lowered safely)
    _lowered: re.Pattern[str] | None = None

    def test(self, text: str) -> bool:
        if not self.regex:
            return self._needle in text[:SEARCH_LIMIT].lower()
        if self._lowered is not None:
            return self._lowered.search(text[:SEARCH_LIMIT].lower()) is not None
        return self._rx.search(text, 0, SEARCH_LIMIT) is not None

    def spans(self, text: str, limit: int = MAX_SPANS) -> tuple[Span, ...]:
        """The (start, end) of each match in ``text``, at most ``limit``, empty matches left out."""
        out: list[Span] = []
        for m in self._rx.finditer(text, 0, SEARCH_LIMIT):
            start, end = m.span()
            if end > start:
                out.append((start, end))
                if len(out) >= limit:
                    break
        return tuple(out)

    @property
    def shown(self) -> str:
        """The pattern for a title: ``/disk.*full/`` for a regex, ``"disk full"`` for plain text."""
        text = clean(self.pattern, 60)
        return f"/{text}/" if self.regex else f'"{text}"'


def make_matcher(pattern: str, regex: bool = False) -> Matcher | None:
    """The matcher for ``pattern`` (``None`` when it is empty: nothing to search for). Raises
    :class:`PatternError` for an invalid regular expression or a pattern too long."""
    if not isinstance(pattern, str):
        raise PatternError("the search is not text")
    if not pattern:
        return None
    if len(pattern) > MAX_PATTERN:
        raise PatternError(f"the search is too long (at most {MAX_PATTERN} characters)")
    source = pattern if regex else re.escape(pattern)
    try:
        rx = re.compile(source, re.IGNORECASE)
    except re.error as exc:
        where = f" at position {exc.pos}" if exc.pos is not None else ""
        raise PatternError(f"not a valid regular expression: {clean(exc.msg, 80)}{where}") from None
    except (RecursionError, OverflowError, MemoryError, ValueError):
        raise PatternError("not a valid regular expression (too complex)") from None
    return Matcher(pattern, regex, rx, pattern.lower(), _lowered_regex(pattern) if regex else None)


def _lowered_regex(pattern: str) -> re.Pattern[str] | None:
    """``pattern`` for text in lower case: its letters lowered, escapes (``\\D``, ``\\S``) kept. Only for ASCII
    patterns without escapes that name a character by number or name (``\\x41`` is an upper-case A)."""
    if not pattern.isascii():
        return None
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in "xuUN0123456789":
                return None
            out.append(ch + nxt)
            i += 2
            continue
        out.append(ch.lower())
        i += 1
    try:
        return re.compile("".join(out))
    except (re.error, RecursionError, OverflowError, ValueError):
        return None
