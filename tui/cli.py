"""``hubtop``: the TUI, and the scriptable commands ``status``, ``tail``, ``simulate`` and ``demo``.

Imports are lazy per subcommand so ``hubtop --help``, ``status`` and ``tail`` never import Textual.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .commands.common import EXIT_UNKNOWN, tell

EPILOG = """\
environment: HUBTOP_URL, HUBTOP_TOKEN, HUBTOP_API_KEY, HUBTOP_USER, HUBTOP_PASSWORD, HUBTOP_CHANNELS,
HUBTOP_CA_FILE, HUBTOP_INSECURE, HUBTOP_TIMEOUT, HUBTOP_MAX_BODY (largest REST answer read, default 256MiB),
HUBTOP_CONFIG (config file, default ~/.config/hubtop/config.toml).
Flags win over the environment, which wins over the config file.

examples:
  hubtop demo                                  simulator + TUI in one command
  hubtop --url https://hub.example:8443        the TUI against a real server (token from HUBTOP_TOKEN)
  hubtop status --json --wait 5 | jq .totals   a cluster check for scripts (exit 0/1/2/3)
  hubtop tail --channels orchestrator | jq .   every event as one JSON line
"""


def _number(kind: type, least: float, what: str):
    """An argparse type: a number of ``kind`` not below ``least`` (a usage error, never a traceback later)."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value != value or value < least:  # NaN too
            raise argparse.ArgumentTypeError(f"must be {what}: {text!r}")
        return value

    parse.__name__ = kind.__name__
    return parse


_count = _number(int, 0, "0 or more")
_positive = _number(int, 1, "1 or more")
_seconds = _number(float, 0.0, "0 or more seconds")


def _port(text: str) -> int:
    """An argparse type: a TCP port, 0 to 65535 (a usage error, never a traceback when binding)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, not {value}")
    return value


def _screen_options(parser: argparse.ArgumentParser) -> None:
    """How the TUI draws (also for ``demo``)."""
    g = parser.add_argument_group("screen")
    g.add_argument("--ascii", action="store_true", default=None,
                   help="ASCII symbols and borders (automatic on a Linux console or a locale that is not UTF-8)")
    g.add_argument("--utc", action="store_true", default=None, help="times in UTC (default: local time; u switches)")
    g.add_argument("--refresh", type=_number(float, 0.2, "0.2 or more refreshes a second"), metavar="HZ",
                   help="refresh the screen at most HZ times a second (default 10; HUBTOP_REFRESH, refresh)")
    g.add_argument("--export-dir", dest="export_dir", metavar="DIR",
                   help="where e writes exports (default: the current directory; HUBTOP_EXPORT_DIR, export_dir)")


def _connection_options(parser: argparse.ArgumentParser, sub: bool = False, timeout: bool = True) -> None:
    """The connection flags. On a subcommand their defaults are suppressed, so ``hubtop --url X status``
    keeps the X given before the subcommand. ``timeout=False`` leaves ``--timeout`` to the subcommand (``wait``:
    the server's answer time is then given before it, ``hubtop --timeout 5 wait ...``, or HUBTOP_TIMEOUT)."""
    g = parser.add_argument_group("connection")
    if sub:
        g.argument_default = argparse.SUPPRESS
    g.add_argument("--url", help="the server: http(s)://host[:port][/prefix] (default http://127.0.0.1:5680, prefix /api)")
    g.add_argument("--token", help="a bearer token (prefer HUBTOP_TOKEN: a flag is visible in the process list)")
    g.add_argument("--api-key", dest="api_key", help="an API key: the encoded key the server hands out, or KEY:SECRET "
                   "(prefer HUBTOP_API_KEY)")
    g.add_argument("--user", help="log in as this email or username; the password comes from HUBTOP_PASSWORD or a prompt")
    g.add_argument("--channels", help="comma-separated channels (default orchestrator,health)")
    g.add_argument("--insecure", action="store_true", help="do not verify the server's TLS certificate")
    g.add_argument("--ca-file", dest="ca_file", help="trust this CA bundle (PEM) for the server's certificate")
    if timeout:
        g.add_argument("--timeout", type=_number(float, 0.001, "a positive number of seconds"),
                       help="seconds to wait for the server to answer, and for a whole REST answer (default 10)")
    g.add_argument("--profile", help="a profile of the config file")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="hubtop",
        description="Watch a Parallels DevOps orchestrator's Events Hub live: a host -> VM tree, the event log, "
        "host details and channel toggles. Without a command, opens the TUI.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hubtop {__version__}")
    _connection_options(parser)
    _screen_options(parser)
    parser.set_defaults(insecure=None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("status", help="print the cluster's state and exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN",
                       description="Take the snapshot (and the live stream for --wait seconds), print a table or "
                       "JSON, exit 0 OK (all healthy), 1 WARNING (health unknown, link down or degraded), "
                       "2 CRITICAL (a host unhealthy), 3 UNKNOWN (could not connect or understand the server).")
    _connection_options(p, sub=True)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--wait", type=_seconds, default=0.0, metavar="SECONDS",
                   help="also follow the live stream this long (staying through reconnects)")

    p = sub.add_parser("tail", help="print every event as one JSON line (jq-ready)",
                       description="Every received event as one compact JSON line on stdout; malformed frames and "
                       "reconnect gaps as one-line notes on stderr.")
    _connection_options(p, sub=True)
    _tail_options(p)
    _wait_parser(sub)
    _exporter_parser(sub)
    _record_parser(sub)
    _replay_parser(sub)

    p = sub.add_parser("simulate", help="run the embedded Events Hub simulator",
                       description="A local server speaking the Events Hub protocol over a believable world.")
    _sim_options(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=5680, help="port (default 5680; 0 picks a free one)")
    p.add_argument("--token", help="the token clients must present (default: a random one, printed)")
    p.add_argument("--one-connection-per-ip", action="store_true", help="answer 409 to a second connection from an IP")
    p.add_argument("--api-key", dest="sim_api_key", metavar="KEY:SECRET",
                   help="also accept this API key; clients send it as base64(KEY:SECRET), as the real server wants")
    p.add_argument("--no-reorder", dest="reorder", action="store_false",
                   help="deliver orchestrator events in the order they are built (the real server does not promise it)")
    p.add_argument("--frozen", action="store_true",
                   help="nothing happens by itself: only what is asked through the API (e.g. a VM start) makes events")

    p = sub.add_parser("demo", help="start the simulator on a free loopback port and open the TUI against it")
    _sim_options(p)
    _screen_options(p)
    p.add_argument("--channels", help="comma-separated channels (default orchestrator,health)")
    return parser


def _tail_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--count", type=_positive, metavar="N", help="stop after N events")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--enrich", action="store_true",
                      help="add host_name and vm_name to each line, as the live model knows them (takes the snapshot)")
    mode.add_argument("--raw", action="store_true",
                      help="every frame as received that is a JSON object, even one hubtop cannot read as an event "
                      "(a frame that is not a JSON object is a note on stderr)")


def _wait_parser(sub) -> None:
    p = sub.add_parser(
        "wait", help="wait until a VM or host reaches a state or is gone (for scripts and CI)",
        description="Wait until a VM has a state (or is gone) or a host is healthy, as the live model reconciled "
        "from the hub's events (by their timestamps, resyncing on doubt) says, riding through reconnects. "
        "Exit 0 reached (at once if already so), 1 timed out (the last state seen on stderr), 2 a name that "
        "matches several (listed) or a usage error, 3 could not connect or authenticate.",
        epilog="examples:\n  hubtop wait vm ci-runner-1 --state running --timeout 300\n"
        "  hubtop wait host mac-mini-01.local --healthy\n  hubtop wait vm ci-runner-1 --gone --json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=("vm", "host"), help="what to wait for")
    p.add_argument("ref", metavar="NAME|ID", help="a VM by id or name; a host by id, hostname or description")
    want = p.add_mutually_exclusive_group(required=True)
    want.add_argument("--state", help="the state to reach: a VM state (running, stopped, ...) or a host's health")
    want.add_argument("--healthy", action="store_true", help="(host) wait until it is healthy")
    want.add_argument("--gone", action="store_true", help="wait until it is no longer there")
    p.add_argument("--host", dest="on_host", metavar="HOST", help="(vm) only VMs of this host (id or hostname)")
    p.add_argument("--timeout", dest="deadline", type=_seconds, default=300.0, metavar="SECONDS",
                   help="give up after this long, exit 1 (default 300)")
    p.add_argument("--json", action="store_true", help="print the final record as JSON on stdout")
    _connection_options(p, sub=True, timeout=False)


def _exporter_parser(sub) -> None:
    p = sub.add_parser(
        "exporter", help="a Prometheus exporter of the hub and its hosts (long-running)",
        description="Serve Prometheus metrics of the hub, its hosts and VMs and hubtop's own feed on --listen, "
        "and/or write them to --textfile for node_exporter's textfile collector (atomic rename). Keeps "
        "running through hub outages (hubtop_up 0); exit 3 when the server refuses the credentials, 2 when it "
        "cannot listen or write.")
    _exporter_options(p)
    _connection_options(p, sub=True)


def _exporter_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--listen", metavar="ADDR:PORT", help="serve /metrics here (e.g. 127.0.0.1:9464)")
    p.add_argument("--textfile", metavar="PATH", help="write the metrics to PATH (a .prom file) every --interval")
    p.add_argument("--interval", type=_number(float, 0.1, "at least 0.1 seconds"), default=15.0, metavar="SECONDS",
                   help="how often --textfile is written, and the hub's queue depth asked for (default 15)")
    p.add_argument("--once", action="store_true", help="with --textfile: write once, after the snapshot, and exit")
    p.add_argument("--max-hosts", type=_positive, default=500, metavar="N",
                   help="hosts with series of their own; the rest are summed as host_id=\"other\" (default 500)")


def _record_parser(sub) -> None:
    p = sub.add_parser(
        "record", help="record the snapshot and every frame with its arrival time, for replay",
        description="Write the REST snapshot (and every resync's), every frame as received with its arrival time, "
        "and the connection's states to FILE as JSON lines (gzip when FILE ends in .gz), until Ctrl-C, "
        "--duration or --count. FILE must not exist. Exit 0 done, 130 Ctrl-C (the file is complete either "
        "way), 2 FILE cannot be written, 3 could not connect or authenticate.")
    p.add_argument("file", metavar="FILE", help="the recording to write (.jsonl, or .jsonl.gz compressed)")
    p.add_argument("--rotate-mb", dest="rotate_mb", type=_number(float, 0.01, "a positive size"), metavar="N",
                   help="start a new part (FILE.1.jsonl.gz, ...) when one reaches N MB on disk; each part replays alone")
    p.add_argument("--duration", type=_seconds, metavar="SECONDS", help="stop after this long")
    p.add_argument("--count", type=_positive, metavar="N", help="stop after N frames")
    _connection_options(p, sub=True)


def _replay_parser(sub) -> None:
    p = sub.add_parser(
        "replay", help="play a recording into the TUI, status, tail or the exporter",
        description="Feed a recording (hubtop record, or the TUI's e export) through the same model as live: the "
        "TUI by default, or status, tail or exporter. Exit codes as the view's own; 2 when FILE is not a "
        "recording.",
        epilog="times (--from, --to): +SECONDS after the recording's start, HH:MM[:SS] on its first day, or ISO "
        "8601.\nexamples:\n  hubtop replay incident.jsonl.gz --speed 10\n  hubtop replay incident.jsonl.gz "
        "status --to 10:02\n  hubtop replay incident.jsonl.gz tail --speed max --enrich | jq .",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE", help="the recording")
    p.add_argument("view", nargs="?", choices=("tui", "status", "tail", "exporter"), default="tui",
                   help="what to feed (default: the TUI)")
    p.add_argument("--speed", type=_speed, metavar="N|max",
                   help="recorded seconds per second, or max (default 1; max for status)")
    p.add_argument("--from", dest="start", metavar="TIME", help="begin here: what came before is applied at once")
    p.add_argument("--to", dest="end", metavar="TIME", help="end here")
    p.add_argument("--json", action="store_true", help="(status) JSON instead of a table")
    _tail_options(p)
    _exporter_options(p)


def _speed(text: str) -> float | str:
    if text.strip().lower() == "max":
        return "max"
    value = _number(float, 0.0, "a positive number or max")(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number or max: {text!r}")
    return value


def _sim_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hosts", type=_count, default=12, help="number of hosts (default 12)")
    p.add_argument("--vms", type=_count, default=8, help="VMs per host (default 8)")
    p.add_argument("--rate", type=_number(float, 0.0, "0 or more"), default=0.0,
                   help="extra events per second for load (default 0)")
    p.add_argument("--seed", type=int, help="seed of the world; the same seed gives the same stream")


#: the options before a subcommand that take a value (the word after them is not a subcommand)
_VALUED = frozenset(("--url", "--token", "--api-key", "--user", "--channels", "--ca-file", "--timeout", "--profile"))


def _subcommand(argv: Sequence[str]) -> str | None:
    """The subcommand a command line names (its first word that is not an option or an option's value)."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in _VALUED:
            skip = True
        elif not word.startswith("-"):
            return word
    return None


def _settings(args: argparse.Namespace):
    from .settings import build_settings

    def prompt(user: str) -> str | None:
        if not sys.stdin.isatty():
            return None
        import getpass

        return getpass.getpass(f"password for {user}: ")

    settings, warnings = build_settings(
        url=args.url,
        token=args.token,
        api_key=args.api_key,
        user=args.user,
        channels=args.channels,
        insecure=args.insecure,
        ca_file=args.ca_file,
        timeout=args.timeout,
        profile=args.profile,
        token_from_flag=args.token is not None,
        api_key_from_flag=args.api_key is not None,
        password_prompt=prompt,
        refresh=getattr(args, "refresh", None),
        export_dir=getattr(args, "export_dir", None),
        ascii=getattr(args, "ascii", None),
        utc=getattr(args, "utc", None),
    )
    for warning in warnings:
        tell(warning)
    if settings.user and not settings.password:
        from .protocol.errors import HubError

        raise HubError(f"--user {settings.user} needs a password: set HUBTOP_PASSWORD or run on a terminal", "config")
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        # a usage error of `status` is UNKNOWN (3), as for any monitoring plugin, never 2 (CRITICAL)
        if exc.code == 2 and _subcommand(argv) == "status":
            return EXIT_UNKNOWN
        raise
    command = args.command
    try:
        if command == "simulate":
            from .commands.simulate import simulate

            return simulate(args)
        if command == "demo":
            from .commands.simulate import demo

            return demo(args)
        if command == "replay":
            from .commands.replay import replay

            return replay(args)
        from .protocol.errors import HubError

        try:
            settings = _settings(args)
        except HubError as err:
            tell(str(err))
            return EXIT_UNKNOWN if command == "status" else 2
        if command == "status":
            from .commands.status import status

            return status(settings, as_json=args.json, wait=args.wait)
        if command == "tail":
            from .commands.tail import tail

            return tail(settings, count=args.count, mode="raw" if args.raw else "enrich" if args.enrich else "events")
        if command == "wait":
            from .commands.wait import Target, wait

            if args.kind == "vm" and args.healthy or args.kind == "host" and args.on_host:
                tell("--healthy is for a host (a VM waits for --state)" if args.healthy else "--host is for a VM")
                return 2
            state = "healthy" if args.healthy else (args.state or "").strip().lower() or None
            target = Target(args.kind, args.ref, state=state, gone=args.gone, host=args.on_host)
            return wait(settings, target, timeout=args.deadline, as_json=args.json)
        if command == "exporter":
            from .commands.exporter import exporter

            return exporter(settings, args)
        if command == "record":
            from .commands.record import record

            return record(settings, args)
        from .commands.app import tui

        return tui(settings)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:] if len(sys.argv) > 1 else None))
