"""Small helpers for servers the tests start: free ports, waiting for a port to listen."""

from __future__ import annotations

import socket

__all__ = ["free_port", "wait_for_port"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, host: str = "127.0.0.1", timeout: float = 30.0) -> None:
    from planwatch.stack.broker import wait_for_port as wait

    wait(host, port, timeout)
