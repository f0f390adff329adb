"""What every subcommand shares: one line on stderr (made safe), a stdout whose reader went away."""

from __future__ import annotations

import contextlib
import os
import sys

EXIT_UNKNOWN = 3


def tell(message: str) -> None:
    """One line on stderr; whatever the server put in it is shown, not obeyed."""
    from ..protocol.text import clean

    print(f"hubtop: {clean(message, 2000)}", file=sys.stderr, flush=True)


async def stop_client(client, task) -> None:
    """Close a command's hub client and wait for its run task to end (its cancellation or last error is the
    command's business no more)."""
    import asyncio

    from ..protocol.errors import HubError

    await client.aclose()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, HubError):
        await task


def quiet_stdout() -> None:
    """The reader of stdout went away (``| head``): point stdout at /dev/null so that nothing more we write,
    nor Python's final flush at exit, fails with a BrokenPipeError ("Exception ignored ...")."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
