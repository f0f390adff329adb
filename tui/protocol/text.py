"""The one boundary between untrusted text and a terminal. Plain Python, no Textual, no Rich.

Every string hubtop shows came from somewhere it does not control: a VM name, a host description, a log line,
a server's error message, a close reason, a config file, the user's own filter. A terminal obeys control
characters, so a raw ``ESC ] 0 ; ... BEL`` in a VM name retitles the window and ``ESC ] 52`` writes the
clipboard; C1 controls (``U+009B`` is CSI on many terminals) do the same in one character; bidi overrides
(``U+202E``) make text read backwards; zero-width characters hide what is there. :func:`clean` turns all of
those into visible, harmless characters, so what reaches the screen is what was sent, shown as text.

- C0 controls (``U+0000``-``U+001F``) become the Unicode control pictures (``␛`` for ESC, ``␊`` for LF),
  DEL becomes ``␡``;
- C1 controls, format characters (category Cf: bidi embeddings, overrides and isolates, zero-width
  joiners and spaces, the BOM, soft hyphen, tag characters), line and paragraph separators and lone
  surrogates become escapes: ``\\x9b``, ``\\u202e``, ``\\U000e0001``.

:func:`json_safe` does the same for JSON text (``\\u202e`` escapes, so the JSON stays valid and means the
same), and :func:`json_line` makes one frame one safe line for ``tail``.

Markup is the other half of the boundary and lives where markup exists: the app hands every such string to
Rich and Textual as plain text (``Text``/``Content``), never as markup.
"""

from __future__ import annotations

import re

#: the characters a terminal may act on or that hide or reorder text: C0 (below) and the rest of Cc, Cf, Cs,
#: Zl and Zp (a test checks this against ``unicodedata`` for every code point)
_OTHER_UNSAFE = (
    "\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
_UNSAFE = re.compile(f"[\x00-\x1f{_OTHER_UNSAFE}]")
#: the same, without tab, line feed and carriage return (JSON's own whitespace)
_UNSAFE_IN_JSON = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_OTHER_UNSAFE}]")

#: the most characters of one field shown anywhere on one line: past it a field is cut (a 10 MB description
#: is data, not something to lay out on every repaint)
FIELD_LIMIT = 1000

_search = _UNSAFE.search


def _visible(match: re.Match[str]) -> str:
    ch = match.group()
    cp = ord(ch)
    if cp < 0x20:
        return chr(0x2400 + cp)  # the control pictures: ␀ .. ␟
    if cp == 0x7F:
        return "\u2421"  # ␡
    if cp <= 0xFF:
        return f"\\x{cp:02x}"
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def clean(text: object, limit: int = FIELD_LIMIT) -> str:
    """``text`` as one safe line: every control, format or separator character shown as a visible stand-in,
    and at most ``limit`` characters of it (then ``…`` and how many more). Never raises; anything that is
    not a string is shown as its ``str``."""
    if text.__class__ is not str:
        text = "" if text is None else str(text)
    if len(text) > limit:  # cut first: a 10 MB field is not scanned to show 1,000 characters of it
        more = len(text) - limit
        text = text[:limit]
        return (_UNSAFE.sub(_visible, text) if _search(text) else text) + f"… (+{more:,} characters)"
    if text.isprintable() or _search(text) is None:  # printable: nothing unsafe (see json_safe)
        return text
    return _UNSAFE.sub(_visible, text)


def clean_lines(text: object, limit: int = 64 * 1024) -> str:
    """As :func:`clean`, but line breaks stay line breaks (for a multi-line view such as a dialog)."""
    if text.__class__ is not str:
        text = "" if text is None else str(text)
    return "\n".join(clean(line, limit) for line in text.split("\n"))[: limit + 64]


def is_clean(text: str) -> bool:
    """``True`` when :func:`clean` would leave ``text`` as it is (short enough, nothing to show)."""
    return len(text) <= FIELD_LIMIT and _search(text) is None


def _json_escape(match: re.Match[str]) -> str:
    cp = ord(match.group())
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    cp -= 0x10000  # a JSON escape of an astral character is a surrogate pair
    return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"


def json_safe(text: str) -> str:
    """JSON text with every unsafe character inside it written as a ``\\uXXXX`` escape: the same JSON value,
    still valid, and nothing a terminal acts on. Tab, LF and CR are left alone: in valid JSON they are
    whitespace between tokens (a raw one inside a string is not JSON)."""
    # every unsafe character is one Python calls unprintable (a unit test checks it): the common case, a
    # printable text, is decided at C speed without the regex (which costs ~15 ns a character)
    if text.isprintable() or _UNSAFE_IN_JSON.search(text) is None:
        return text
    return _UNSAFE_IN_JSON.sub(_json_escape, text)


def json_line(raw: str) -> str:
    """A frame that parsed as JSON, as one safe line: the whitespace between its tokens that would break the
    line is dropped (tab, LF and CR cannot appear raw inside a JSON string, so nothing else changes) and
    unsafe characters are escaped. The result is the same JSON value, byte for byte where it was safe."""
    raw = raw.rstrip("\r\n\t ")  # the real server ends every frame with a newline
    if "\n" in raw or "\r" in raw or "\t" in raw:
        raw = raw.replace("\n", "").replace("\r", "").replace("\t", "")
    return json_safe(raw)
