"""Structured logs: moved to ``planwatch.logs``, shared by every service."""

from __future__ import annotations

from planwatch.logs import JsonFormatter, configure_logging

__all__ = ["JsonFormatter", "configure_logging"]
