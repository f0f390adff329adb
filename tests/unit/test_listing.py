"""A listing read as it arrives: in pieces of any size, the same records, problems and errors as the whole text;
the memory it holds is the records, never the body (20,000 real VM records are ~90 MB of JSON)."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator

import pytest
from kit.wire import HOST_A, HOST_B, host_record, vm_record

from tui.protocol.listing import ListingReader, read_listing
from tui.protocol.records import HostRecord, VMRecord, read_records


def pieces(data: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


def read_in(kind, data: bytes, size: int):
    reader = ListingReader(kind)
    for piece in pieces(data, size):
        reader.feed(piece)
    return reader.close()


def heavy_vm(i: int) -> dict:
    """A VM record with the weight of the real server's (every prlctl setting; hubtop reads a few fields)."""
    record = vm_record(f"vm-{i:05d}", HOST_A if i % 2 else HOST_B, f"ci-runner-{i:05d}")
    record["Settings"] = {f"setting_{k}": "value " * 8 for k in range(60)}
    return record


MIXED = [
    host_record(HOST_A, "mac-01.local", description="Ünïcödé ✔ 中文 ☃ — split anywhere"),
    dict(host_record(HOST_B, "mac-02.local", state="unhealthy"), architecture=None, tags=["ci", None]),
    {"state": "healthy"},  # no id: unreadable
    host_record("c0ffee00-0000-0000-0000-000000000003", "mac-03.local", description=" [/] ] , { \" \\ "),
]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 4096, 1 << 20])
def test_pieces_of_any_size_read_as_the_whole_text(size):
    data = json.dumps(MIXED, ensure_ascii=False, indent=1).encode()
    whole = read_listing(HostRecord, data)
    assert whole == read_records(HostRecord, MIXED)
    hosts, problems, unreadable = whole
    assert [h.host.split("/")[2] for h in hosts] == ["mac-01.local:80", "mac-02.local:80", "mac-03.local:80"]
    assert unreadable == 1 and (HOST_B, "tags[]") in problems
    assert read_in(HostRecord, data, size) == whole


@pytest.mark.parametrize("size", [1, 3, 1 << 20])
@pytest.mark.parametrize(("text", "error"), [
    ("", ValueError), ("nope", ValueError), ("[1, 2", ValueError), ("[{}] trailing", ValueError), ("[,]", ValueError),
    ('{"a": [1]', ValueError), ("[{}", ValueError), ('[{"id": "x"}', ValueError), ('{"hosts": []}', TypeError),
    ("[\"\\ud800\" , 7]", None), ("[12345, 6]", None), ("null", None), (" [ ] ", None),
])
def test_broken_and_odd_text_in_pieces_as_whole(text, error, size):
    data = text.encode()
    if error is None:
        assert read_in(HostRecord, data, size) == read_listing(HostRecord, data)
    else:
        with pytest.raises(error):
            read_in(HostRecord, data, size)


def test_a_character_cut_between_pieces_and_invalid_utf8():
    data = json.dumps([host_record(HOST_A, "mac-01.local", description="☃" * 50)], ensure_ascii=False).encode()
    assert read_in(HostRecord, data, 1)[0][0].description == "☃" * 50
    with pytest.raises(UnicodeDecodeError):
        read_in(HostRecord, b'[{"id": "\xff"}]', 4)


def test_the_read_holds_the_records_never_the_body():
    data = json.dumps([heavy_vm(i) for i in range(4000)]).encode()
    assert len(data) > 15_000_000
    tracemalloc.start()
    try:
        reader = ListingReader(VMRecord)
        held = 0
        for piece in pieces(data, 65_536):  # what httpx hands over
            reader.feed(piece)
            held = max(held, reader.pending)
        vms, problems, unreadable = reader.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(vms) == 4000 and not problems and not unreadable
    assert vms[1].host_id == HOST_A and vms[3999].name == "ci-runner-03999"
    # at most a piece and the record it cut off; the whole read a small share of the body (the old way held the
    # body, a copy and its text: three times its size; the records themselves are a third of it)
    assert held < 65_536 + 8_000, held
    assert peak < len(data) / 2, (peak, len(data))


def test_a_huge_single_record_is_not_parsed_again_for_every_piece():
    record = dict(host_record(HOST_A, "mac-01.local"), notes="n" * 4_000_000)
    data = json.dumps([record]).encode()
    reader = ListingReader(HostRecord)
    for piece in pieces(data, 4096):
        reader.feed(piece)
    assert reader.close()[0][0].host == "http://mac-01.local:80/api"
    assert 0 < reader.retries < 40, reader.retries  # ~1,000 pieces: a doubling wait, not a parse per piece


def test_abandon_lets_go_of_what_was_read():
    data = json.dumps([heavy_vm(i) for i in range(10)]).encode()
    reader = ListingReader(VMRecord)
    reader.feed(data[: len(data) - 100])
    assert len(reader.records) == 9 and reader.pending > 0
    reader.abandon()
    assert reader.records == [] and reader.pending == 0
