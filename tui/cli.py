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


def _connection_options(parser: argparse.ArgumentParser, sub: bool = False) -> None:
    """The connection flags. On a subcommand their defaults are suppressed, so ``hubtop --url X status``
    keeps the X given before the subcommand."""
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
    p.add_argument("--count", type=_positive, metavar="N", help="stop after N events")

    p = sub.add_parser("simulate", help="run the embedded Events Hub simulator",
                       description="A local server speaking the Events Hub protocol over a believable world.")
    _sim_options(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=5680, help="port (default 5680; 0 picks a free one)")
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
    p.add_argument("--channels", help="comma-separated channels (default orchestrator,health)")
    return parser


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

            return tail(settings, count=args.count)
        from .commands.app import tui

        return tui(settings)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:] if len(sys.argv) > 1 else None))
