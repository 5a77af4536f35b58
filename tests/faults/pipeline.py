"""The whole pipeline as separate real processes, for tests that break one part of it.

``Pipeline`` starts, on loopback ports of its own: the Apache Kafka broker, ``planwatch_ingest``,
``planwatch_evaluator``, ``planwatch_alerts`` and an aiosmtpd server, sharing one data dir (the
key store, the ingest ledger, the alerts database and, unless ``store`` is a v2-write server, the
embedded time-series store). Each part can be killed, stopped and restarted on its own.

``workload()`` is the known set of figures a test pushes: many figures at their target, each
with a unique submission id and a (indicator, period) of its own, that put their indicator on
plan (no alert), and one figure far behind plan for each of a few indicators led by different
agencies (one alert each, one e-mail to each lead agency). ``assert_*`` read back what
arrived, so a test can say: every accepted figure assessed once, every alert mailed once.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
import yaml

from planwatch.catalog import Catalog, load_catalog
from planwatch.catalog.loader import DATA_DIR
from planwatch.domain.assessment import assess
from planwatch.domain.assessment_model import Observation
from planwatch.domain.events import Status
from planwatch.domain.model import CatalogEntry
from planwatch.domain.periods import parse_period
from planwatch.stack.run import TOPIC_PARTITIONS
from planwatch.tsstore import EmbeddedSeriesStore
from planwatch_evaluator.watchdog import EXIT_STALLED
from support.alert_events import write_routes
from support.influx import V2WriteServer
from support.kafka import KafkaNode, create_topics, new_broker
from support.net import free_port
from support.services import ServiceProcess
from support.smtp import SmtpServer
from support.waiting import wait_until

__all__ = [
    "KEY",
    "Figure",
    "Pipeline",
    "assert_assessed_once",
    "assert_mailed_once",
    "wait_until",
    "workload",
]

KEY = "faults-key"


def monthly_catalog(folder: Path) -> Catalog:
    """The shipped catalog with every indicator owed monthly, written to ``folder``.

    An annual level indicator takes one figure a year (a month's figure of it is refused as a
    year-to-date period); owed monthly, every indicator has a figure of its own for each month,
    which gives the fault tests thousands of distinct first figures. Every service of a fault
    test loads this folder (``PLANWATCH_CATALOG_DIR``), so ingest and the evaluator agree.
    """
    shutil.copytree(DATA_DIR, folder, dirs_exist_ok=True)
    for path in sorted((folder / "plans").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in doc["entries"]:
            entry["frequency"] = "monthly"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return load_catalog(folder)


CATALOG_DIR = Path(tempfile.mkdtemp(prefix="planwatch-faults-catalog-"))
CATALOG = monthly_catalog(CATALOG_DIR)


@dataclass(frozen=True)
class Figure:
    submission_id: str
    indicator_id: str
    period: str
    value: float

    def row(self) -> dict[str, Any]:
        return {
            "submission_id": self.submission_id,
            "indicator_id": self.indicator_id,
            "period": self.period,
            "value": self.value,
        }


ALERTING = {Status.LIMITED_PROGRESS, Status.DETERIORATION, Status.NOT_ACHIEVED}


def _lagging_figure(entry: CatalogEntry) -> tuple[str, float]:
    """A figure of the plan's second year (or its last) at a hundredth of the target."""
    period = str(min(entry.start_year + 2, entry.last_year))
    return period, min(t.value for t in entry.targets) * 0.01


def _alert_entries(count: int) -> list[CatalogEntry]:
    """Level indicators (higher is better) with a baseline, so that one figure can be judged,
    and with distinct lead agencies: one digest each."""
    chosen: list[CatalogEntry] = []
    leads: set[str] = set()
    shared = Counter(e.series for e in CATALOG)
    for entry in CATALOG:
        if entry.kind.value != "level" or entry.direction.value != "higher":
            continue
        if shared[entry.series] > 1:  # a shared statistic would alert each of its targets
            continue
        period, low = _lagging_figure(entry)
        verdict = assess(entry, [Observation(period=period, value=low)], date.today()).status
        if verdict not in ALERTING:  # e.g. a target year already final without its figure
            continue
        if entry.baseline is None or not entry.lead_agencies or entry.lead_agencies[0] in leads:
            continue
        chosen.append(entry)
        leads.add(entry.lead_agencies[0])
        if len(chosen) == count:
            break
    return chosen


def workload(figures: int, alerts: int = 3, tag: str = "f") -> tuple[list[Figure], list[str]]:
    """``figures`` on-plan monthly figures, then one far-behind figure per alert indicator.

    Returns the figures in push order and the ids of the indicators that must alert.
    """
    lagging = _alert_entries(alerts)
    # one target per statistic: a figure sent for one target of a shared series is the figure
    # of each of its targets (ingest fans it out), so two of them would be one period twice
    taken = {e.series for e in lagging}
    quiet = []
    for e in CATALOG:
        if e.kind.value == "level" and e.direction.value == "higher" and e.series not in taken:
            quiet.append(e)
            taken.add(e.series)
    # periods that have ended: a figure is only assessed as of the day it is received
    today = date.today()
    slots = [
        (entry, f"{year}-{month:02d}")
        for entry in quiet
        for year in range(entry.start_year + 1, entry.last_year + 1)
        for month in range(1, 13)
        if parse_period(f"{year}-{month:02d}").end_date < today
    ]
    if figures > len(slots):
        raise ValueError(f"at most {len(slots)} distinct on-plan figures")
    # interleave indicators so that every partition and many keys are busy at once
    slots.sort(key=lambda s: (s[1], s[0].id))
    out = [
        Figure(f"{tag}-{i}", entry.id, period, max(t.value for t in entry.targets))
        for i, (entry, period) in enumerate(slots[:figures])
    ]
    for j, entry in enumerate(lagging):
        period, low = _lagging_figure(entry)
        out.append(Figure(f"{tag}-alert-{j}", entry.id, period, low))
    return out, [e.id for e in lagging]


@dataclass
class Pipeline:
    root: Path
    store: V2WriteServer | None = None  # None: the embedded store in the data dir
    broker: KafkaNode = field(default_factory=new_broker)
    smtp: SmtpServer = field(default_factory=SmtpServer)
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)  # extra environment, every service
    # ingest replicas behind the push ("ingest", "ingest-2", ...) and their extra environment
    # (several need a shared ledger: PLANWATCH_INGEST_LEDGER_URL of one PostgreSQL)
    ingest_replicas: int = 1
    ingest_settings: dict[str, str] = field(default_factory=dict)

    def start(self) -> Pipeline:
        self.broker.start()
        self.create_topics()
        self.smtp.start()
        self.ports = {name: free_port() for name in (*self.ingests, "evaluator", "alerts")}
        common = {
            "PLANWATCH_KAFKA_BOOTSTRAP": self.broker.bootstrap,
            "PLANWATCH_DATA_DIR": str(self.root),
            "PLANWATCH_DEMO_KEY": KEY,
            "PLANWATCH_BOARD_URL": "http://board.invalid",
            "PLANWATCH_CATALOG_DIR": str(CATALOG_DIR),
            **self.settings,
        }
        routes = write_routes(
            self.root / "routes.yml",
            route={
                "receiver": "lead-agency",
                "group_by": ["agency"],
                "group_wait": "0s",
                "group_interval": "2s",
                "repeat_interval": "24h",
            },
        )
        sink: dict[str, str] = {}
        if self.store is not None:
            sink = {
                "PLANWATCH_EVALUATOR_INFLUX_URL": self.store.url,
                "PLANWATCH_EVALUATOR_INFLUX_TOKEN": self.store.token,
                "PLANWATCH_EVALUATOR_INFLUX_ORG": self.store.org,
                "PLANWATCH_EVALUATOR_INFLUX_BUCKET": self.store.bucket,
            }
        url = "http://127.0.0.1:{}/healthz".format
        self.evaluator_env = {
            **common,
            **sink,
            "PLANWATCH_EVALUATOR_SESSION_TIMEOUT_S": "6",
            "PLANWATCH_EVALUATOR_RETRY_MAX_S": "1",
            # no overdue notices: the figures of this workload stop in the past
            "PLANWATCH_EVALUATOR_OVERDUE_CHECK_S": "3600",
            # a worker that stopped reading (faust, after a rebalance) exits after 20 s and is
            # started again, as its supervisor would (restart_on below)
            "PLANWATCH_EVALUATOR_STALL_S": "20",
        }
        self.services = {
            **{
                name: ServiceProcess(
                    "ingest",
                    {
                        **common,
                        "PLANWATCH_INGEST_PORT": str(self.ports[name]),
                        "PLANWATCH_INGEST_BROKER_CHECK_S": "0.2",
                        "PLANWATCH_INGEST_RETRY_MAX_S": "1",
                        **self.ingest_settings,
                    },
                    health_url=url(self.ports[name]),
                )
                for name in self.ingests
            },
            "evaluator": ServiceProcess(
                "evaluator",
                {
                    **self.evaluator_env,
                    "PLANWATCH_EVALUATOR_WEB_PORT": str(self.ports["evaluator"]),
                },
                health_url=url(self.ports["evaluator"]),
                restart_on=(EXIT_STALLED,),
            ),
            "alerts": ServiceProcess(
                "alerts",
                {
                    **common,
                    "PLANWATCH_ALERTS_PORT": str(self.ports["alerts"]),
                    "PLANWATCH_ALERTS_SMTP_HOST": "127.0.0.1",
                    "PLANWATCH_ALERTS_SMTP_PORT": str(self.smtp.port),
                    "PLANWATCH_ALERTS_ROUTES_FILE": str(routes),
                    "PLANWATCH_ALERTS_SESSION_TIMEOUT_S": "6",
                    "PLANWATCH_ALERTS_RETRY_BASE_S": "0.2",
                    "PLANWATCH_ALERTS_RETRY_MAX_S": "1",
                    "PLANWATCH_ALERTS_MAX_ATTEMPTS": "1000",
                    **self.settings,
                },
                health_url=url(self.ports["alerts"]),
            ),
        }
        for service in self.services.values():
            service.start()
        self.wait_evaluator_assigned()
        return self

    def wait_evaluator_assigned(self, timeout: float = 60, name: str = "evaluator") -> None:
        """Until the evaluator has joined its group and holds partitions (it answers /healthz
        before that): a push that starts earlier would be read in one batch at the join."""
        url = f"{self.url(name)}/healthz"
        wait_until(
            lambda: httpx.get(url, timeout=5).json().get("assigned"),
            timeout,
            f"the partitions of {name}",
        )

    def add_evaluator(self, name: str) -> ServiceProcess:
        """Start one more evaluator worker of the same group (``name`` for its port and log)."""
        self.ports[name] = free_port()
        worker = ServiceProcess(
            "evaluator",
            {**self.evaluator_env, "PLANWATCH_EVALUATOR_WEB_PORT": str(self.ports[name])},
            health_url=f"{self.url(name)}/healthz",
            restart_on=(EXIT_STALLED,),
        )
        self.services[name] = worker
        return worker.start()

    @property
    def ingests(self) -> list[str]:
        """The names of the ingest replicas: "ingest", then "ingest-2", ..."""
        return ["ingest"] + [f"ingest-{n}" for n in range(2, self.ingest_replicas + 1)]

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def create_topics(self) -> None:
        for topic, partitions in TOPIC_PARTITIONS.items():
            create_topics(self.broker.bootstrap, [str(topic)], partitions=partitions)

    def restart_broker(self, down_s: float = 0.0) -> None:
        """SIGKILL the broker (a crash: nothing flushed or handed over), wait, start it again on
        its log; the topics, records, offsets and groups on disk come back with it."""
        self.broker.kill()
        time.sleep(down_s)
        self.broker.start()

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()
        self.broker.stop()
        self.smtp.stop()

    def logs(self, last: str = "evaluator", lines: int = 30) -> str:
        """The end of each service's log, ``last`` at the end (where a long message is cut,
        its end is what stays)."""
        names = sorted(self.services, key=lambda name: name == last)
        return "\n".join(f"--- {n}\n{self.services[n].tail(lines)}" for n in names)

    # ---- pushing ----

    def push(
        self,
        figures: list[Figure],
        batch: int = 200,
        pause_s: float = 0.0,
        accepted: list[Figure] | None = None,
    ) -> list[Figure]:
        """POST the figures in batches, ``pause_s`` apart; return those answered 202, also
        appended to ``accepted`` as they are (a batch is retried on a connection error or 5xx,
        as a bureau's client does, with the same submission ids). With several ingest replicas
        the batches go to each in turn, and a retry to the next one, as a load balancer sends
        them."""
        accepted = [] if accepted is None else accepted
        replicas = self.ingests
        with httpx.Client(timeout=30) as client:
            for number, start in enumerate(range(0, len(figures), batch)):
                chunk = figures[start : start + batch]
                for attempt in range(60):
                    replica = replicas[(number + attempt) % len(replicas)]
                    try:
                        answer = client.post(
                            f"{self.url(replica)}/v1/submissions",
                            json=[f.row() for f in chunk],
                            headers={"Authorization": f"Bearer {KEY}"},
                        )
                    except httpx.TransportError:
                        time.sleep(0.5)
                        continue
                    if answer.status_code >= 500:
                        time.sleep(0.5)
                        continue
                    assert answer.status_code == 202, answer.text
                    accepted.extend(chunk)
                    break
                time.sleep(pause_s)
        return accepted

    def push_in_background(
        self, figures: list[Figure], batch: int = 200, pause_s: float = 0.0
    ) -> PushThread:
        thread = PushThread(self, figures, batch, pause_s)
        thread.start()
        return thread

    # ---- reading back ----

    def stored(
        self, measurement: str, field: str, indicators: set[str]
    ) -> list[tuple[str, int, Any]]:
        """``(indicator id, time in ns, value of field)`` of every stored sample.

        The embedded store holds one point per series and time (a rewrite replaces, as in
        InfluxDB). A v2-write server is read per indicator with every write it kept
        (VictoriaMetrics keeps them all): a rewrite of the same value at the same time is one
        point, as InfluxDB would keep it (an event assessed again after a worker was lost, at
        least once), while a second value or vintage at that time still shows as two.
        """
        if self.store is not None:
            return sorted(
                {
                    (indicator, ms * 1_000_000, value)
                    for indicator in sorted(indicators)
                    for ms, value in self.store.samples(measurement, field, indicator_id=indicator)
                }
            )
        store = EmbeddedSeriesStore(self.root / "timeseries.db")
        try:
            return [
                (p.tag_dict["indicator_id"], p.time_ns, p.fields[field])
                for p in store.points(measurement)
                if p.tag_dict["indicator_id"] in indicators and field in p.fields
            ]
        finally:
            store.close()

    def alerts(self) -> list[dict[str, Any]]:
        return alerts_on(self.ports["alerts"])


def alerts_on(port: int, key: str = KEY) -> list[dict[str, Any]]:
    """Every alert the alerts service on ``port`` holds (``GET /v1/alerts`` with ``key``)."""
    answer = httpx.get(
        f"http://127.0.0.1:{port}/v1/alerts",
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    answer.raise_for_status()
    return list(answer.json())


class PushThread(threading.Thread):
    def __init__(
        self, pipeline: Pipeline, figures: list[Figure], batch: int, pause_s: float
    ) -> None:
        super().__init__(daemon=True)
        self.pipeline, self.figures, self.batch, self.pause_s = pipeline, figures, batch, pause_s
        self.accepted: list[Figure] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.pipeline.push(self.figures, self.batch, self.pause_s, self.accepted)
        except BaseException as exc:  # surfaced by result()
            self.error = exc

    def result(self, timeout: float = 180) -> list[Figure]:
        self.join(timeout)
        assert not self.is_alive(), "the push did not finish"
        if self.error:
            raise self.error
        return self.accepted


# ---- the counts every fault test ends with ----


def period_ns(period: str) -> int:
    """The time the evaluator stores a figure of ``period`` at: the period's last day."""
    end = parse_period(period).end_date
    return int(datetime(end.year, end.month, end.day, tzinfo=UTC).timestamp()) * 1_000_000_000


class Readable(Protocol):
    """What the counts read: a ``Pipeline``, or ``planwatch run`` in test_stack.py."""

    def stored(
        self, measurement: str, field: str, indicators: set[str]
    ) -> list[tuple[str, int, Any]]: ...

    def logs(self, last: str = "evaluator", lines: int = 30) -> str: ...


def assert_assessed_once(pipeline: Readable, accepted: list[Figure], timeout: float = 120) -> None:
    """Every accepted figure stored once, as sent and as its first vintage, and assessed once."""
    expected = {(f.indicator_id, period_ns(f.period)): f for f in accepted}
    assert len(expected) == len(accepted), "the workload repeats a figure"
    indicators = {f.indicator_id for f in accepted}

    def read(measurement: str, field: str) -> Counter[tuple[str, int]]:
        rows = pipeline.stored(measurement, field, indicators)
        return Counter((indicator, ns) for indicator, ns, _ in rows)

    wait_until(
        lambda: len(read("observation", "value")) >= len(expected),
        timeout,
        lambda: (
            f"{len(expected)} observations in the store, {len(read('observation', 'value'))} "
            f"there ({pipeline.logs()})"
        ),
    )
    time.sleep(2)  # anything late or doubled would land now
    values = pipeline.stored("observation", "value", indicators)
    assert Counter((i, ns) for i, ns, _ in values) == Counter(expected.keys())
    # InfluxDB and VictoriaMetrics keep a float to about 15 significant digits
    wrong = [(i, ns, v) for i, ns, v in values if not math.isclose(v, expected[(i, ns)].value)]
    assert wrong == []
    # a figure taken in twice would be stored as its second vintage
    vintages = pipeline.stored("observation", "vintage", indicators)
    assert sorted(v for _, _, v in vintages) == [1] * len(expected)
    # one assessment point per figure (each figure here is its indicator's newest period)
    assessed = read("assessment", "status_code")
    missing = sorted(expected.keys() - assessed.keys())
    assert missing == [], f"{len(missing)} figures not assessed"
    assert assessed == Counter(expected.keys())


def assert_mailed_once(pipeline: Pipeline, lagging: list[str], timeout: float = 90) -> None:
    """One digest per lagging indicator (their lead agencies differ), none twice, all recorded
    as sent by the alerts service."""

    def mailed() -> dict[str, int]:
        return {
            i: sum(f"/indicators/{i}" in m.body for m in pipeline.smtp.messages) for i in lagging
        }

    wait_until(
        lambda: all(mailed().values()),
        timeout,
        lambda: f"a mail for each of {lagging} ({pipeline.logs(last='alerts')})",
    )
    time.sleep(3)  # longer than the group interval: a second digest would have gone out
    assert mailed() == dict.fromkeys(lagging, 1)
    assert pipeline.smtp.duplicates() == []
    assert len(pipeline.smtp.messages) == len(lagging)
    alerts = [a for a in pipeline.alerts() if a["indicator_id"] in lagging]
    assert sorted(a["indicator_id"] for a in alerts) == sorted(lagging)
    assert [n["state"] for a in alerts for n in a["notifications"]] == ["sent"] * len(lagging)
