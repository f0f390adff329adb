"""``python -m bench NAME [NAME ...] | all [--quick] [--record] [--profile]``"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback

from .common import Result, print_result, record

#: name -> module (one module per benchmark)
BENCHES = {
    "ingest": "bench.ingest",
    "tail": "bench.tail",
    "tui": "bench.tui_load",
    "burst": "bench.burst",
    "tree": "bench.tree",
    "memory": "bench.memory",
    "startup": "bench.startup",
    "ssh": "bench.ssh",
    "idflood": "bench.idflood",
    "replay": "bench.replay",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench", description="hubtop benchmarks (see bench/README.md)")
    parser.add_argument("names", nargs="+", metavar="NAME", help=f"one or more of: {', '.join(BENCHES)}, or all")
    parser.add_argument("--quick", action="store_true", help="a shorter smoke variant (figures less stable)")
    parser.add_argument("--record", action="store_true", help="append the results to bench/RESULTS.md")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the measured path (pyinstrument) and print the top functions")
    args = parser.parse_args(argv)
    names = list(BENCHES) if "all" in args.names else args.names
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHES)} or all")
    if len(names) > 1:
        return _each_in_own_process(names, args)
    results: list[Result] = []
    failed = False
    for name in names:
        module = importlib.import_module(BENCHES[name])
        print(f"-- running {name}: {module.TITLE}{' (quick)' if args.quick else ''}", flush=True)
        started = time.perf_counter()
        try:
            result = module.run(args)
        except Exception:
            traceback.print_exc()
            print(f"!! {name} crashed; nothing recorded for it", file=sys.stderr)
            failed = True
            continue
        result.seconds = time.perf_counter() - started
        if args.quick:
            result.params = ("QUICK (smoke) run; " + result.params).strip("; ")
        print_result(result)
        results.append(result)
    if args.record and results:
        record(results, argv, extra_machine=_extra_machine(results))
        print(f"\nrecorded {len(results)} result(s) in bench/RESULTS.md")
    return 1 if failed else 0


def _each_in_own_process(names: list[str], args: argparse.Namespace) -> int:
    """Several benchmarks: each in a fresh interpreter, so none inherits another's heap, threads or GC state
    (the memory figures would be meaningless otherwise). Each child prints and records its own result."""
    import subprocess

    flags = [f for f, on in (("--quick", args.quick), ("--record", args.record), ("--profile", args.profile)) if on]
    status = 0
    for name in names:
        rc = subprocess.run([sys.executable, "-m", "bench", name, *flags]).returncode
        status = status or rc
    return status


def _extra_machine(results: list[Result]) -> str:
    if any(r.bench == "tail" for r in results):
        from .tail import tool_versions

        return tool_versions()
    return ""


if __name__ == "__main__":
    sys.exit(main())
