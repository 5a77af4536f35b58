"""The ``planwatch`` command: one entry point, each command group in its own module.

Each module listed here exposes ``register(app)``; service packages are imported inside the
commands that need them, so ``planwatch catalog export`` never loads Kafka or FastAPI.
"""

from __future__ import annotations

import importlib

import typer

__all__ = ["app"]

app = typer.Typer(
    name="planwatch",
    help="Watch the quantified targets of science-and-technology plans.",
    no_args_is_help=True,
    add_completion=False,
)

COMMAND_MODULES = (
    "catalog",
    "calendar",
    "assess",
    "ingest",
    "evaluator",
    "alerts",
    "board",
    "report",
    "stack",
)

for _name in COMMAND_MODULES:
    importlib.import_module(f"planwatch.cli.{_name}").register(app)
