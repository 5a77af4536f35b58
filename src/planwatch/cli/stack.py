"""``planwatch run``: the whole pipeline on one machine (the embedded default)."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]


def run(
    demo: bool = typer.Option(False, "--demo", help="load demo submissions for every indicator"),
    data_dir: Path = typer.Option(
        Path(".planwatch"), envvar="PLANWATCH_DATA_DIR", help="local state of the embedded default"
    ),
    demo_key: str | None = typer.Option(
        None, envvar="PLANWATCH_DEMO_KEY", help="API key to print (valid for every jurisdiction)"
    ),
) -> None:
    """Run broker, ingest, evaluator, alerts, mailbox and board in the foreground."""
    from planwatch.stack.run import RunOptions, run_stack

    raise typer.Exit(run_stack(RunOptions(data_dir=data_dir, demo=demo, demo_key=demo_key)))


def register(app: typer.Typer) -> None:
    app.command("run")(run)
