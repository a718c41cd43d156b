"""Fixed one-minute request windows in Django's cache: the API's limit per token and the
survey pages' limit per address.

The cache is Django's default, local memory, so a count is kept per server process. When
``solidground serve --workers N`` runs N processes on one port, each allows its share of the
limit (rounded up), so that together they allow about the configured number; requests are
spread over the processes by the kernel, so the effective limit lies between a share and the
whole limit, never above it (docs/decisions/0007-server-processes.md).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.core.cache import cache

WINDOW_SECONDS = 60
# Server processes sharing the limit; `serve --workers` sets it before it starts them.
_processes = 1


def share_among(processes: int) -> None:
    global _processes  # set once per process, before any request
    _processes = max(1, processes)


@dataclass(frozen=True)
class Window:
    over: bool
    retry_after: int  # seconds until the window ends


def count(name: str, limit: int) -> Window:
    """Count one request under ``name`` (a token, an address) in the current window; ``over``
    once the count passes this process's share of ``limit``. A limit of 0 or less is off."""
    if limit <= 0:
        return Window(over=False, retry_after=0)
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"solidground:rate:{name}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        seen = cache.incr(key)
    except ValueError:  # evicted between add and incr: start the window again
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        seen = 1
    share = math.ceil(limit / _processes)
    return Window(over=seen > share, retry_after=int((window + 1) * WINDOW_SECONDS - now) + 1)
