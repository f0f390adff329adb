"""A listing (``GET .../hosts``, ``GET .../machines``) read a record at a time as its text arrives.

The real server's VM records carry every prlctl setting: 20,000 VMs are ~90 MB of JSON. Held whole, that is the
body, its decoded text and (through ``json.loads``) a dict tree several times their size, for as long as the last
record takes to arrive; a resync under a flood takes seconds. :class:`ListingReader` keeps only the text of the
record being cut off by the current chunk: each element is decoded, read into its record and let go when its
closing bracket arrives. No I/O.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from .records import _adapter, _record_id, read_record, read_records

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")

#: where the reader is in the text: before the ``[``, after it (an element or ``]``), at an element, after an
#: element (``,`` or ``]``), past the ``]``, or in a body that is not a list (kept whole, read at the end)
_START, _FIRST, _ITEM, _AFTER, _DONE, _WHOLE = range(6)


def _skip(text: str, i: int) -> int:
    return _SPACE.match(text, i).end()  # type: ignore[union-attr]


class ListingReader:
    """Feed it the body's chunks (:meth:`feed`), then :meth:`close` for ``(records, problems, unreadable)``:
    the records, the ``(record id or "?", field)`` problems met, how many records could not be read at all.

    Raises ``ValueError`` (or ``UnicodeDecodeError``) for text that is not JSON, ``TypeError`` for JSON that is
    not a list, ``RecursionError`` for nesting too deep. A body that is not a list at all (``null``, an object)
    is kept whole and read at the end, as before: small, or refused by the body cap."""

    def __init__(self, kind: type[BaseModel]) -> None:
        self.kind = kind
        self._validate = _adapter(kind).validate_python
        self._decode = codecs.getincrementaldecoder("utf-8")().decode
        self._text = ""
        self._state = _START
        #: how much text an element that did not parse yet must have before it is tried again (doubling, so
        #: a huge element cut into many chunks is parsed a few times, not once per chunk)
        self._need = 0
        #: tries of an element whose text had not all arrived yet
        self.retries = 0
        self.records: list[Any] = []
        self.problems: list[tuple[str, str]] = []
        self.unreadable = 0

    def feed(self, chunk: bytes | bytearray | str) -> None:
        self._text += chunk if isinstance(chunk, str) else self._decode(chunk)
        self._read(final=False)

    def close(self) -> tuple[list[Any], list[tuple[str, str]], int]:
        self._text += self._decode(b"", final=True)
        if self._state in (_START, _WHOLE):  # no "[" came: null, an object, a number, nothing
            text, self._text = self._text, ""
            return read_records(self.kind, json.loads(text))
        self._read(final=True)
        if self._state != _DONE:
            raise ValueError("not a JSON list: it ends before its closing bracket")
        return self.records, self.problems, self.unreadable

    @property
    def pending(self) -> int:
        """Characters held for the element still arriving (and, in a body that is not a list, all of it)."""
        return len(self._text)

    def abandon(self) -> None:
        """The read failed: let go of what was read so far (a traceback may keep this reader for a while)."""
        self.records, self.problems, self._text = [], [], ""

    def _read(self, final: bool) -> None:
        text, state = self._text, self._state
        if state == _WHOLE:
            return
        i, end = 0, len(text)
        try:
            while True:
                i = _skip(text, i)
                if i >= end:
                    break
                if state == _START:
                    if text[i] != "[":
                        state = _WHOLE
                        return
                    i, state = i + 1, _FIRST
                elif state == _FIRST:
                    if text[i] == "]":
                        i, state = i + 1, _DONE
                    else:
                        state = _ITEM
                elif state == _ITEM:
                    if not final and end - i < self._need:
                        break  # the element that was cut off is still arriving
                    try:
                        value, j = _DECODER.raw_decode(text, i)
                    except ValueError:
                        if final:
                            raise
                        self._need = 2 * (end - i)
                        self.retries += 1
                        break
                    if j >= end and not final and not isinstance(value, (dict, list)):
                        break  # a number (or word) at the very end may go on in the next chunk
                    self._need = 0
                    self._take(value)
                    i, state = j, _AFTER
                elif state == _AFTER:
                    if text[i] == ",":
                        i, state = i + 1, _ITEM
                    elif text[i] == "]":
                        i, state = i + 1, _DONE
                    else:
                        raise ValueError("not a JSON list")
                else:
                    raise ValueError("not a JSON list: text after its closing bracket")
        finally:
            self._state = state
            if state != _WHOLE:
                self._text = text[i:] if i else text

    def _take(self, value: Any) -> None:
        try:
            self.records.append(self._validate(value))
        except (ValidationError, RecursionError):
            record, fields = read_record(self.kind, value)
            key = _record_id(value)
            self.problems.extend((key, name) for name in fields)
            if record is None:
                self.unreadable += 1
            else:
                self.records.append(record)


def read_listing(kind: type[BaseModel], data: bytes | bytearray | str) -> tuple[list[Any], list[tuple[str, str]], int]:
    """A whole listing's text read as :class:`ListingReader` reads one that arrives in pieces."""
    reader = ListingReader(kind)
    reader.feed(data)
    return reader.close()
