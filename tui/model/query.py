"""The filter grammar of the ``/`` box: what a person types, turned into the hosts and VMs to show.

Plain words match as the tree always has (hostname, description, host-id prefix, VM name, VM-id prefix;
case-insensitive). ``key:value`` terms narrow by what an SRE looks for: ``state:`` and ``os:`` (a VM's),
``health:``, ``link:``, ``tag:``, ``arch:`` (a host's, which its VMs share); ``host:`` and ``vm:`` restrict a
word to one side. Values match by prefix (``state:run``), ``link:down`` means disconnected or degraded, ``-``
before a term negates it, terms are ANDed, and ``!`` shows problems only (the same "problem" as the
problems-first sort). Quotes make a phrase (``tag:"rack a"``) or keep a word with a colon plain (``"a:b"``).

Typing is not programming: whatever the text, :func:`parse_query` raises :class:`QueryError` with a short
message that is safe for a terminal, and nothing else; :meth:`Query.match` never raises.

Matching runs on every keystroke over 1,000 hosts x 20 VMs, so host terms are decided once per host, a host
that matches a word keeps all its VMs without looking at them, and only what is left is checked per VM,
against fields the model keeps in lower case (:attr:`VM.search`, :attr:`VM.os_search`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum

from ..protocol.text import FIELD_LIMIT, clean
from .entities import VM, Host, Link
from .sorting import OK_RANK, host_trouble, vm_trouble

__all__ = ["KEYS", "FilterResult", "Query", "QueryError", "Term", "parse_query"]

#: the most terms a query holds (more is a paste, not a filter)
MAX_TERMS = 32
#: the longest text parsed
MAX_TEXT = 1000


class QueryError(ValueError):
    """The filter text cannot be read. ``message`` is one short line, safe for a terminal."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Scope(Enum):
    HOST = "host"  # decided by the host; its VMs share the answer
    VM = "vm"  # decided by each VM
    BOTH = "both"  # the host, or else each VM (a plain word, problems)


#: key -> (scope, what it matches, an example)
KEYS: dict[str, tuple[Scope, str, str]] = {
    "state": (Scope.VM, "a VM's state", "state:running"),
    "os": (Scope.VM, "a VM's OS", "os:ubuntu"),
    "health": (Scope.HOST, "a host's health", "health:unhealthy"),
    "link": (Scope.HOST, "a host's live link (down: disconnected or degraded)", "link:down"),
    "tag": (Scope.HOST, "a host's tags", "tag:ci"),
    "arch": (Scope.HOST, "a host's architecture", "arch:arm64"),
    "host": (Scope.HOST, "a host's name, description or id prefix", "host:studio"),
    "vm": (Scope.VM, "a VM's name or id prefix", "vm:win11"),
}
_KEY_LIST = ", ".join(f"{k}:" for k in KEYS)

#: more names for a host's link and architecture, so ``link:up`` and ``arch:amd64`` work
_LINK_WORDS = {
    Link.CONNECTED: ("connected", "up"),
    Link.DISCONNECTED: ("disconnected", "down"),
    Link.DEGRADED: ("degraded", "down"),
    Link.UNKNOWN: ("unknown",),
}
_ARCH_WORDS = {"x86_64": ("x86_64", "amd64"), "amd64": ("amd64", "x86_64"), "arm64": ("arm64", "aarch64"),
               "aarch64": ("aarch64", "arm64")}


@dataclass(frozen=True, slots=True)
class Term:
    """One term: ``key`` is "" for a plain word, ``value`` is in lower case."""

    key: str
    value: str
    negate: bool = False

    @property
    def text(self) -> str:
        """The term as it can be typed again (for a title), safe for a terminal."""
        value = self.value if self.value and " " not in self.value and '"' not in self.value else f'"{self.value}"'
        return clean(("-" if self.negate else "") + (f"{self.key}:" if self.key else "") + value, 80)


@dataclass(slots=True)
class FilterResult:
    """What a query shows: host id -> ``None`` (the host matches: all its VMs) or the ids of its VMs that
    match (possibly none: the host matches, none of its VMs do); and how many hosts and VMs that is."""

    shown: dict[str, set[str] | None] = field(default_factory=dict)
    hosts: int = 0
    vms: int = 0


def _words(host: Host) -> tuple[str, str, str]:
    return host.hostname.lower(), host.description[:FIELD_LIMIT].lower(), host.id.lower()


def _host_word(needle: str) -> Callable[[Host], bool]:
    def match(host: Host) -> bool:
        name, description, ident = _words(host)
        return needle in name or needle in description or ident.startswith(needle)
    return match


#: a VM term as a filter over a host's VMs: (VMs, negate) -> the VMs that pass (one comprehension per host
#: and term, no call per VM: 20,000 VMs are looked at on a keystroke)
VMFilter = Callable[[list[VM], bool], list[VM]]


def _vm_word(needle: str) -> VMFilter:
    def keep(vms: list[VM], negate: bool) -> list[VM]:
        if negate:
            return [vm for vm in vms if not (needle in vm.search or vm.id.lower().startswith(needle))]
        return [vm for vm in vms if needle in vm.search or vm.id.lower().startswith(needle)]
    return keep


def _vm_state(value: str) -> VMFilter:
    def keep(vms: list[VM], negate: bool) -> list[VM]:
        return [vm for vm in vms if vm.state.lower().startswith(value) != negate]
    return keep


def _vm_os(value: str) -> VMFilter:
    def keep(vms: list[VM], negate: bool) -> list[VM]:
        return [vm for vm in vms if vm.os_search.startswith(value) != negate]
    return keep


def _vm_trouble(vms: list[VM], negate: bool) -> list[VM]:
    return [vm for vm in vms if vm_trouble(vm) != negate]


def _host_pred(key: str, value: str) -> Callable[[Host], bool]:
    if key == "health":
        return lambda h: ("unknown" if h.health_unreadable else h.health.lower()).startswith(value)
    if key == "link":
        return lambda h: any(w.startswith(value) for w in _LINK_WORDS.get(h.link, (str(h.link).lower(),)))
    if key == "tag":
        return lambda h: h.record is not None and any(t.lower().startswith(value) for t in h.record.tags)

    if key == "arch":
        def arch(h: Host) -> bool:
            if h.record is None:
                return False
            own = h.record.architecture.lower()
            return any(w.startswith(value) for w in _ARCH_WORDS.get(own, (own,)))
        return arch
    return _host_word(value)  # host:


def _vm_filter(key: str, value: str) -> VMFilter:
    if key == "state":
        return _vm_state(value)
    if key == "os":
        return _vm_os(value)
    return _vm_word(value)  # vm:


def _host_problem(host: Host) -> bool:
    """A problem in itself (unhealthy, link down, health unknown): shown with all its VMs under ``!``."""
    return host_trouble(host) < OK_RANK


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed filter. Falsy when it filters nothing (then every host and VM is shown)."""

    terms: tuple[Term, ...] = ()
    problems: bool = False
    text: str = ""

    def __bool__(self) -> bool:
        return bool(self.terms) or self.problems

    def with_problems(self, on: bool) -> Query:
        """The same query with the problems-only view on or off (the ``!`` key toggles it)."""
        return replace(self, problems=on)

    def describe(self) -> str:
        """The terms as a person reads them, for a title: ``state:running -os:win !`` (safe for a terminal)."""
        return " ".join([t.text for t in self.terms] + (["!"] if self.problems else []))

    def match(self, hosts) -> FilterResult:
        """The hosts and VMs this query shows out of ``hosts`` (a mapping id -> :class:`Host`, or a cluster).
        Never raises."""
        hosts = getattr(hosts, "hosts", hosts)
        result = FilterResult()
        shown = result.shown
        host_terms: list[tuple[Callable[[Host], bool], bool]] = []
        both_terms: list[tuple[Callable[[Host], bool], VMFilter, bool]] = []
        vm_terms: list[tuple[VMFilter, bool]] = []
        for term in self.terms:
            if not term.key:
                both_terms.append((_host_word(term.value), _vm_word(term.value), term.negate))
            elif KEYS[term.key][0] is Scope.HOST:
                host_terms.append((_host_pred(term.key, term.value), term.negate))
            else:
                vm_terms.append((_vm_filter(term.key, term.value), term.negate))
        if self.problems:
            both_terms.append((_host_problem, _vm_trouble, False))
        if not host_terms and not both_terms and not vm_terms:
            result.shown = {hid: None for hid in hosts}
            result.hosts, result.vms = len(hosts), sum(len(h.vms) for h in hosts.values())
            return result
        n_vms = 0
        for hid, host in hosts.items():
            if any(pred(host) == negate for pred, negate in host_terms):
                continue
            whole = not vm_terms  # the host passes on its own (then all its VMs that pass too show it whole)
            checks = list(vm_terms)
            excluded = False
            for host_pred, vm_filter, negate in both_terms:
                if host_pred(host):
                    if negate:  # every row of this host carries the host's match
                        excluded = True
                        break
                else:
                    whole = whole and negate
                    checks.append((vm_filter, negate))
            if excluded:
                continue
            if not checks:
                shown[hid] = None
                n_vms += len(host.vms)
                continue
            vms = list(host.vms.values())
            for vm_filter, negate in checks:
                vms = vm_filter(vms, negate)
                if not vms:
                    break
            if whole and len(vms) == len(host.vms):
                shown[hid] = None
            elif vms or whole:
                shown[hid] = {vm.id for vm in vms}
            else:
                continue
            n_vms += len(vms)
        result.hosts, result.vms = len(shown), n_vms
        return result


Piece = tuple[str, bool]  # text, and whether it was inside quotes


def _tokens(text: str) -> list[list[Piece]]:
    """Split on whitespace; double quotes group a phrase. A token is its pieces, quoted or not
    (``tag:"rack a"`` is ``[("tag:", False), ("rack a", True)]``)."""
    out: list[list[Piece]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        pieces: list[Piece] = []
        start = i
        while i < n and not text[i].isspace():
            if text[i] == '"':
                if i > start:
                    pieces.append((text[start:i], False))
                end = text.find('"', i + 1)
                if end < 0:
                    raise QueryError('a quote (") is not closed')
                pieces.append((text[i + 1:end], True))
                i = start = end + 1
            else:
                i += 1
        if i > start:
            pieces.append((text[start:i], False))
        out.append(pieces)
    return out


def _shown(text: str) -> str:
    return clean(text, 40)


def parse_query(text: str, problems: bool = False) -> Query:
    """The query ``text`` says (``problems``: the problems-only view is on whatever the text). Raises
    :class:`QueryError`, only, for text that cannot be read."""
    try:
        return _parse(text, problems)
    except QueryError:
        raise
    except Exception as exc:  # pragma: no cover - a guard: typing never crashes the app
        raise QueryError(f"cannot read the filter ({exc.__class__.__name__})") from None


def _parse(text: str, problems: bool) -> Query:
    if not isinstance(text, str):
        raise QueryError("the filter is not text")
    if len(text) > MAX_TEXT:
        raise QueryError(f"the filter is too long (at most {MAX_TEXT:,} characters)")
    terms: list[Term] = []
    for pieces in _tokens(text):
        if pieces == [("!", False)]:
            problems = True
            continue
        term = _term(pieces)
        if term is not None:
            terms.append(term)
        if len(terms) > MAX_TERMS:
            raise QueryError(f"too many terms (at most {MAX_TERMS})")
    return Query(tuple(terms), problems, clean(text, 200))


def _term(pieces: list[Piece]) -> Term | None:
    """One token as a term (``None`` for ``""``, which filters nothing)."""
    first, quoted = pieces[0]
    negate = False
    if not quoted and first.startswith("-"):
        negate, first = True, first[1:]
        if not first and len(pieces) == 1:
            raise QueryError("'-' needs a term after it (e.g. -state:stopped)")
    rest = "".join(p for p, _ in pieces[1:])
    if not quoted and ":" in first:  # a key, unless the colon was typed inside quotes
        key, _, value = first.partition(":")
        name = key.strip().lower()
        if not name:
            raise QueryError(f"{_shown(first)!r}: a name is missing before ':' (one of {_KEY_LIST})")
        if name not in KEYS:
            raise QueryError(f"unknown filter {_shown(name + ':')!r}: use one of {_KEY_LIST} (or quote the text)")
        value = (value + rest).strip().lower()
        if not value:
            raise QueryError(f"'{name}:' needs a value (e.g. {KEYS[name][2]})")
        return Term(name, value[:FIELD_LIMIT], negate)
    value = (first + rest).strip().lower()
    if not value:
        if any(q for _, q in pieces):
            return None
        raise QueryError("an empty term")  # pragma: no cover - whitespace splits tokens: never empty
    return Term("", value[:FIELD_LIMIT], negate)
