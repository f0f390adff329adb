"""The one-pass ``parse_frame`` checked against the two-pass ``parse_frame_slow``, frame for frame."""

from __future__ import annotations

import functools
import math
from typing import Any

from pydantic import BaseModel

from kit import wire as _wire
from tui.protocol.parse import Event, Malformed, body_model, known_event, parse_frame, parse_frame_slow

AT = 1234.5
TS = "2026-11-26T12:00:00.123456789Z"
HOST = "2582cc66c42fb2523232eb9e89ebcd3d0d87a35c701d4486e069b62e2a4ea73a"

#: an exact envelope (:func:`kit.wire.wire`) with this suite's id and nanosecond timestamp
wire = functools.partial(_wire.wire, id="7cbc843fd99e", timestamp=TS)


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (``1 == 1.0 == True`` is not enough), NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, BaseModel):  # a VM record in a VM event
        return (  # not a == b: that is False for NaN values, even in two parses of the same frame
            a.model_fields_set == b.model_fields_set
            and same(a.__dict__, b.__dict__)
            and same(a.__pydantic_extra__, b.__pydantic_extra__)
        )
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def fields(item: Event | Malformed) -> dict[str, Any]:
    return {name: getattr(item, name) for name in type(item).__slots__}


def check(text: str | bytes) -> Event | Malformed:
    """``text`` parsed both ways: the same kind, the same fields (:func:`same`); the fast path's item."""
    fast = parse_frame(text, received_at=AT)
    slow = parse_frame_slow(text, received_at=AT)
    assert type(fast) is type(slow), (text, fast, slow)
    assert same(fields(fast), fields(slow)), (text, fast, slow)
    # what tail relies on: a frame known_event() accepts is an event of a known hub message
    if known_event(text):
        assert isinstance(fast, Event) and not fast.generic and fast.event_type in ("orchestrator", "pdfm"), text
        assert body_model(fast.event_type, fast.message) is not None
    return fast
