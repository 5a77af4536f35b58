"""``planwatch run``: the broker, the services, a mailbox and the board on one machine."""

from __future__ import annotations

import os
import secrets
import signal
import socket
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx
from rich.console import Console

from planwatch.domain.events import Topics
from planwatch.stack.broker import (
    KafkaNode,
    KafkaUnavailable,
    broker_ready,
    create_topics,
    ensure_jars,
    kafka_version,
)
from planwatch.stack.mailbox import LocalMailbox
from planwatch.stack.supervisor import (
    ChildFailing,
    Policy,
    ServiceSpec,
    Supervisor,
    orphan_guard,
)

__all__ = ["RunOptions", "StopSignals", "run_stack"]

# Partitions of the embedded default; docs/scaling.md says how to choose them in production.
TOPIC_PARTITIONS = {
    Topics.SUBMISSIONS: 4,
    Topics.ASSESSMENTS: 4,
    Topics.STATUS_CHANGES: 4,
    Topics.DEAD_LETTER: 1,
}


@dataclass(frozen=True)
class RunOptions:
    data_dir: Path
    host: str = "127.0.0.1"
    broker_port: int = 19092
    controller_port: int = 19093
    ingest_port: int = 8080
    alerts_port: int = 8082
    evaluator_port: int = 8083
    board_port: int = 8084
    portal_port: int = 8086
    smtp_port: int = 2525
    demo: bool = False
    demo_key: str | None = None


class StopSignals:
    """Records SIGINT, SIGTERM and SIGHUP; raises nothing, so a second signal during the
    shutdown cannot interrupt the cleanup (the loops ask ``requested``)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.received: list[int] = []

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)

    def install(self) -> None:
        # explicitly: a shell script starts background commands with SIGINT ignored, and
        # Python then keeps it ignored (no KeyboardInterrupt); we want it anyway
        for signum in self.SIGNALS:
            signal.signal(signum, self)

    def requested(self) -> bool:
        return bool(self.received)

    @property
    def first(self) -> str:
        return signal.Signals(self.received[0]).name if self.received else ""


def _ports(o: RunOptions) -> list[int]:
    return [
        o.broker_port,
        o.controller_port,
        o.ingest_port,
        o.alerts_port,
        o.evaluator_port,
        o.board_port,
        o.portal_port,
        o.smtp_port,
    ]


def _in_use(host: str, port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((host, port)) == 0


def _broker_spec(broker: KafkaNode) -> ServiceSpec:
    def on_ready() -> None:
        # topics live in the broker's log and come back with it; creating them again is a no-op
        # that also covers a log that was wiped
        create_topics(broker.bootstrap, [(str(t), n) for t, n in TOPIC_PARTITIONS.items()])

    return ServiceSpec(
        "broker",
        launch=broker.launch,
        ready=lambda: broker_ready(broker.bootstrap),
        on_ready=on_ready,
        log_path=broker.log_path,
    )


def _specs(o: RunOptions) -> list[ServiceSpec]:
    url = f"http://{o.host}"
    on_broker = ("broker",)
    return [
        ServiceSpec(
            "ingest",
            "planwatch_ingest",
            f"{url}:{o.ingest_port}/readyz",  # 503 while the broker is away: waited for
            {"PLANWATCH_INGEST_HOST": o.host, "PLANWATCH_INGEST_PORT": str(o.ingest_port)},
            depends_on=on_broker,
        ),
        ServiceSpec(
            "evaluator",
            "planwatch_evaluator",
            # 503 until the worker holds its partitions with the state restored, and while the
            # broker or the store does not answer: ready means assessing
            f"{url}:{o.evaluator_port}/readyz",
            {"PLANWATCH_EVALUATOR_WEB_PORT": str(o.evaluator_port)},
            depends_on=on_broker,
        ),
        ServiceSpec(
            "alerts",
            "planwatch_alerts",
            f"{url}:{o.alerts_port}/healthz",
            {
                "PLANWATCH_ALERTS_HOST": o.host,
                "PLANWATCH_ALERTS_PORT": str(o.alerts_port),
                "PLANWATCH_ALERTS_SMTP_HOST": o.host,
                "PLANWATCH_ALERTS_SMTP_PORT": str(o.smtp_port),
                # the answer links of the e-mails, and the board's reading of the answers
                "PLANWATCH_ALERTS_PUBLIC_URL": f"{url}:{o.alerts_port}",
            },
            depends_on=on_broker,
        ),
        ServiceSpec(
            "board",
            "planwatch_board",
            f"{url}:{o.board_port}/healthz",
            {
                "PLANWATCH_BOARD_HOST": o.host,
                "PLANWATCH_BOARD_PORT": str(o.board_port),
                "PLANWATCH_BOARD_ALERTS_URL": f"{url}:{o.alerts_port}",
            },
        ),
        ServiceSpec(
            "portal",
            "planwatch_portal",
            f"{url}:{o.portal_port}/healthz",
            {
                "PLANWATCH_PORTAL_HOST": o.host,
                "PLANWATCH_PORTAL_PORT": str(o.portal_port),
                "PLANWATCH_PORTAL_INGEST_URL": f"{url}:{o.ingest_port}",
            },
        ),
    ]


def run_stack(options: RunOptions, console: Console | None = None) -> int:
    """Run until SIGINT, SIGTERM or SIGHUP (any number of them); return the exit code."""
    console = console or Console()
    stop = StopSignals()
    stop.install()
    o = options
    data_dir = o.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = o.demo_key or os.environ.get("PLANWATCH_DEMO_KEY") or secrets.token_urlsafe(24)
    board_url = f"http://{o.host}:{o.board_port}"
    env = {
        "PLANWATCH_KAFKA_BOOTSTRAP": f"{o.host}:{o.broker_port}",
        "PLANWATCH_DATA_DIR": str(data_dir),
        "PLANWATCH_DEMO_KEY": key,
        "PLANWATCH_BOARD_URL": board_url,
    }
    busy = [p for p in _ports(o) if _in_use(o.host, p)]
    if busy:
        console.print(
            f"[red]port(s) {', '.join(map(str, busy))} on {o.host} are in use "
            "(is planwatch already running?)[/red]"
        )
        return 1
    try:
        policy = Policy.from_env()
        ensure_jars()
    except (ValueError, KafkaUnavailable) as exc:
        console.print(f"[red]cannot start: {exc}[/red]")
        return 1
    broker = KafkaNode(
        data_dir / "kafka",
        port=o.broker_port,
        controller_port=o.controller_port,
        host=o.host,
        log_path=data_dir / "logs" / "broker.log",
        command_prefix=orphan_guard(),
    )
    mailbox = LocalMailbox(data_dir / "mailbox", o.smtp_port, o.host)
    supervisor = Supervisor(
        data_dir / "logs",
        env,
        policy,
        say=lambda text: console.print(text, markup=False, highlight=False),
        stop_requested=stop.requested,
        status_path=data_dir / "stack.json",
    )
    supervisor.add(_broker_spec(broker))
    for spec in _specs(o):
        supervisor.add(spec)

    def all_ready() -> None:
        _banner(console, o, key, data_dir, board_url)
        if o.demo:
            from planwatch.stack.demo import load_demo

            try:
                summary = load_demo(f"http://{o.host}:{o.ingest_port}", key)
            except httpx.HTTPError as exc:
                console.print(f"[red]the demo data could not be loaded: {exc}[/red]")
            else:
                console.print(f"[green]demo loaded:[/green] {summary}")

    code = 0
    mailbox_started = False
    try:
        mailbox.start()
        mailbox_started = True
        console.print("starting the broker (Apache Kafka), ingest, evaluator, alerts and board …")
        supervisor.run(on_all_ready=all_ready)
        console.print(f"\nstopping ({stop.first}) …")
    except ChildFailing as exc:
        console.print(str(exc), style="red", markup=False, highlight=False)
        code = 1
    except (KafkaUnavailable, RuntimeError, TimeoutError, OSError) as exc:
        console.print(f"cannot run the stack: {exc}", style="red", markup=False)
        code = 1
    finally:
        # any further signal is recorded, not raised: the cleanup always runs to its end
        supervisor.stop_all()
        if mailbox_started:
            mailbox.stop()
        console.print("stopped.")
    return code


def _banner(console: Console, o: RunOptions, key: str, data_dir: Path, board_url: str) -> None:
    console.print("[bold green]planwatch is running[/bold green] (Ctrl-C stops everything)")
    console.print(f"  ingest     http://{o.host}:{o.ingest_port}  (API docs: /docs)")
    console.print(f"  alerts     http://{o.host}:{o.alerts_port}/v1/alerts")
    console.print(f"  board      {board_url}/")
    console.print(f"  portal     http://{o.host}:{o.portal_port}/  (bureaus sign in with the key)")
    console.print(f"  indicator  {board_url}/indicators/<id>  (ids: planwatch catalog list)")
    console.print(
        f"  broker     {o.host}:{o.broker_port} (Apache Kafka {kafka_version()}, log in "
        f"{data_dir / 'kafka'})"
    )
    console.print(f"  mailbox    {data_dir / 'mailbox' / 'new'}  (alert e-mail, one file each)")
    console.print(
        f"  logs       {data_dir / 'logs'}  (restarts in stack.log; parts now in "
        f"{data_dir / 'stack.json'})"
    )
    console.print(f"  API key    {key}")
    console.print(
        f"  try        planwatch push FILE --key {key}   |   "
        f"curl -H 'Authorization: Bearer {key}' http://{o.host}:{o.alerts_port}/v1/alerts"
    )
