"""Polling until something holds, for tests that watch separate processes catch up."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_until(
    predicate: Callable[[], Any],
    timeout: float = 60.0,
    what: str | Callable[[], str] = "",
    interval: float = 0.2,
) -> Any:
    """Call ``predicate`` until it returns something true, and return that.

    ``what`` names what is awaited in the error; a callable is called only at the timeout, so
    a description that reads the processes' logs shows them as they were when the wait gave up.
    """
    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found:
            return found
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    described = what() if callable(what) else what
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {described}")
