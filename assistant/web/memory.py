"""The web process's memory: few malloc arenas, and what requests freed given back once they are done.

glibc gives each thread that allocates concurrently an arena of its own (up to eight per core) and
keeps what a thread frees there for its next allocation. A forward pass allocates tens of MB of
activations, so under load every request thread's arena grows to hold one, and RSS stays at its peak
long after the load is gone. Two arenas bound that growth; trimming once the server has served
requests hands the freed pages back. Neither changes what any request computes.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
from collections.abc import Callable

log = logging.getLogger(__name__)

_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h
ARENAS = 2  # one per core of the machines this serves on; requests wait on the model's lock anyway


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (musl, macOS): its allocator is left as it is
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap the malloc arenas, unless ``MALLOC_ARENA_MAX`` says otherwise; call before threads start."""
    libc = _glibc()
    if libc is None or os.environ.get("MALLOC_ARENA_MAX"):
        return False
    return bool(libc.mallopt(_M_ARENA_MAX, arenas))


def give_back() -> bool:
    """Return the free pages of every arena to the system (``malloc_trim``); True if any went."""
    libc = _glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


async def give_back_when_served(served: Callable[[], float], interval: float) -> None:
    """Every ``interval`` seconds, give memory back if requests were served since the last time.

    Runs until cancelled; the trim itself runs in a thread, as it walks every arena.
    """
    last = served()
    while True:
        await asyncio.sleep(interval)
        now = served()
        if now != last:
            last = now
            try:
                await asyncio.to_thread(give_back)
            except Exception:  # memory hygiene must never take the service down
                log.exception("giving memory back failed")
