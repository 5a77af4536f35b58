"""``planwatch`` commands of the ingest part (registered by planwatch.cli.main)."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the planwatch command."""
