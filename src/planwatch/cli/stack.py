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
    broker_port: int = typer.Option(19092, help="Kafka-protocol broker port"),
    controller_port: int = typer.Option(19093, help="the broker's KRaft controller port"),
    ingest_port: int = typer.Option(8080, help="ingest service port"),
    alerts_port: int = typer.Option(8082, help="alerts service port"),
    evaluator_port: int = typer.Option(8083, help="evaluator health and metrics port"),
    board_port: int = typer.Option(8084, help="built-in board port"),
    portal_port: int = typer.Option(8086, help="bureaus' submission portal port"),
    smtp_port: int = typer.Option(2525, help="local mailbox (SMTP) port"),
) -> None:
    """Run broker, ingest, evaluator, alerts, board, portal and mailbox in the foreground.

    A part that dies is restarted with back-off; one that keeps dying stops the stack. Any
    number of SIGINT, SIGTERM or SIGHUP stops every part, in reverse order, and waits for it.
    """
    from planwatch.stack.run import RunOptions, run_stack

    options = RunOptions(
        data_dir=data_dir,
        demo=demo,
        demo_key=demo_key,
        broker_port=broker_port,
        controller_port=controller_port,
        ingest_port=ingest_port,
        alerts_port=alerts_port,
        evaluator_port=evaluator_port,
        board_port=board_port,
        portal_port=portal_port,
        smtp_port=smtp_port,
    )
    raise typer.Exit(run_stack(options))


def register(app: typer.Typer) -> None:
    app.command("run")(run)
