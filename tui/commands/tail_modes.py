"""``hubtop tail --raw`` and ``--enrich``: the other two ways to print the stream.

- ``--raw``: every frame the server sent that is a JSON object, as received (one per line: the whitespace that
  would break the line dropped, control and format characters escaped, as for every line of ``tail``), even one
  hubtop cannot read as an event (an envelope with a field missing or of the wrong type). A frame that is not a
  JSON object (not JSON, an array, binary, ``NaN``) is a note on stderr, never a line.
- ``--enrich``: every event's line with ``host_name`` and ``vm_name`` added (``null`` where none applies or the
  model does not know it), from a live model that runs beside (the snapshot is taken first): the names the
  model has after the event is applied (a VM's removal still names it). Still one valid JSON object a line.
"""

from __future__ import annotations

import json
from typing import Any

from ..live.feed import Feed
from ..model.cluster import Cluster
from ..model.entities import LOCAL_HOST_ID
from ..protocol.text import json_line
from ..transport.frames import BadFrame
from .tail import _TailSink


def _refuse(constant: str) -> Any:
    raise ValueError(constant)


def json_object(text: str) -> bool:
    """``text`` is one JSON object, as strict JSON has it (no ``NaN``, no raw control character in a string)."""
    try:
        return isinstance(json.loads(text, parse_constant=_refuse), dict)
    except (ValueError, RecursionError):
        return False


class RawSink(_TailSink):
    takes_text = True
    takes_bad_frames = True

    def __call__(self, item: Any) -> None:
        if self.broken:
            return
        if item.__class__ is BadFrame:
            data = item.data
            if data.__class__ is str and json_object(data):
                self.emit_line(json_line(data))
                return
            item = item.malformed
        super().__call__(item)


class EnrichSink(_TailSink):
    takes_text = False

    def __init__(self, *args: Any, feed: Feed | None = None) -> None:
        super().__init__(*args)
        self.feed = feed or Feed(Cluster())

    def deliver(self, items) -> None:
        self.feed.deliver(items)  # applied first: the names are the model's after the event
        self.many(items)

    def resync_due(self) -> str | None:
        return self.feed.resync_due()

    def names(self, host_id: str | None, vm_id: str | None, local: bool = False) -> tuple[str | None, str | None]:
        """The model's names of a host and a VM (``local``: a pdfm event, about the server itself)."""
        cluster = self.feed.cluster
        host = cluster.hosts.get(host_id) if host_id else cluster.hosts.get(LOCAL_HOST_ID) if local else None
        host_name = (host.hostname or host.description or None) if host is not None else \
            cluster.gone_labels.get(host_id) if host_id else None
        vm_name = None
        if vm_id:
            vm = host.vms.get(vm_id) if host is not None else None
            if vm is None and host_id is None:
                vm = cluster.find_vm(vm_id)
            vm_name = (vm.name or None) if vm is not None else cluster.gone_labels.get(vm_id)
        return host_name, vm_name

    def line(self, item: Any) -> str:
        text = json_line(item.raw).rstrip()
        host_name, vm_name = self.names(item.host_id, item.vm_id, item.event_type == "pdfm")
        extra = f',"host_name":{json.dumps(host_name, ensure_ascii=True)},"vm_name":{json.dumps(vm_name, ensure_ascii=True)}}}'
        return text[:-1] + extra if text.endswith("}") and text != "{}" else text
