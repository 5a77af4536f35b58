"""The Apache Kafka broker of the embedded default, the tests and the benchmarks.

One node is broker and KRaft controller, run with ``java -cp`` from the jars that
``deploy/kafka/pom.xml`` names (fetched once from Maven Central by Maven into a cache outside the
repository) and the settings of ``deploy/kafka/server.properties.template``, which the compose
image uses too. Its log is on disk under the data folder, so stopping and starting keeps topics,
records, committed offsets and groups. Several nodes with one quorum make a cluster
(``KafkaNode.cluster``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "KafkaNode",
    "KafkaUnavailable",
    "create_topics",
    "deploy_dir",
    "ensure_jars",
    "kafka_version",
    "wait_for_port",
]

HOST = "127.0.0.1"
# one fixed id for every local cluster: nodes formatted apart can still form one quorum
CLUSTER_ID = "cGxhbndhdGNoLWthZmthMQ"


class KafkaUnavailable(RuntimeError):
    """Java, Maven or the broker's jars are missing; the message says how to get them."""


def wait_for_port(host: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f}s")


def deploy_dir() -> Path:
    """``deploy/kafka`` of the source tree (or ``PLANWATCH_KAFKA_DEPLOY``)."""
    configured = os.environ.get("PLANWATCH_KAFKA_DEPLOY")
    folder = (
        Path(configured) if configured else Path(__file__).resolve().parents[3] / "deploy/kafka"
    )
    if not (folder / "pom.xml").is_file():
        raise KafkaUnavailable(
            f"{folder}/pom.xml not found: run planwatch from its source tree "
            "or set PLANWATCH_KAFKA_DEPLOY to the deploy/kafka folder"
        )
    return folder


def kafka_version(folder: Path | None = None) -> str:
    pom = ((folder or deploy_dir()) / "pom.xml").read_text(encoding="utf-8")
    found = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom)
    if not found:
        raise KafkaUnavailable("deploy/kafka/pom.xml names no <kafka.version>")
    return found.group(1)


def _java_major() -> int | None:
    if not shutil.which("java"):
        return None
    out = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def ensure_jars(folder: Path | None = None, cache: Path | None = None) -> Path:
    """The folder of the broker's jars, copied there by Maven on first use."""
    folder = folder or deploy_dir()
    version = kafka_version(folder)
    root = cache or Path(
        os.environ.get("PLANWATCH_KAFKA_CACHE", Path.home() / ".cache" / "planwatch")
    )
    libs = root / f"kafka-{version}" / "libs"
    done = libs / ".complete"
    if done.is_file():
        return libs
    major = _java_major()
    if major is None or major < 17:
        raise KafkaUnavailable(
            "Apache Kafka needs Java 17 or later "
            f"({'none found' if major is None else f'found Java {major}'}): "
            "on Debian/Ubuntu `sudo apt-get install openjdk-17-jre-headless maven`"
        )
    if not shutil.which("mvn"):
        raise KafkaUnavailable(
            "Maven fetches Apache Kafka from Maven Central once: "
            "on Debian/Ubuntu `sudo apt-get install maven`"
        )
    shutil.rmtree(libs, ignore_errors=True)
    libs.mkdir(parents=True)
    result = subprocess.run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(folder / "pom.xml"),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={libs}",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise KafkaUnavailable(
            f"Maven could not fetch Apache Kafka {version}:\n{result.stdout[-2000:]}"
            f"{result.stderr[-2000:]}"
        )
    done.write_text(version, encoding="utf-8")
    return libs


def _free_port(host: str = HOST) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class KafkaNode:
    """One Kafka process (broker and controller) with its log under ``data_dir``."""

    data_dir: Path
    port: int = 0  # 0: a free port, chosen once
    controller_port: int = 0
    node_id: int = 1
    host: str = HOST
    voters: str | None = None  # id@host:port,… of the quorum; this node alone when None
    replication: int = 1
    min_isr: int = 1
    partitions: int = 4
    offsets_partitions: int = 4  # small and quick to create on one machine
    heap: str = "512m"
    log_path: Path | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    command_prefix: Sequence[str] = ()  # e.g. the supervisor's orphan guard
    proc: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.port = self.port or _free_port(self.host)
        self.controller_port = self.controller_port or _free_port(self.host)
        self.log_path = self.log_path or self.data_dir / "broker.log"

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def cluster(cls, root: Path, size: int = 3, **options: object) -> list[KafkaNode]:
        """``size`` nodes forming one KRaft quorum, replication ``size``, min ISR ``size - 1``."""
        nodes = [
            cls(
                root / f"node-{i}",
                node_id=i,
                replication=size,
                min_isr=max(size - 1, 1),
                **options,  # type: ignore[arg-type]
            )
            for i in range(1, size + 1)
        ]
        voters = ",".join(f"{n.node_id}@{n.host}:{n.controller_port}" for n in nodes)
        for node in nodes:
            node.voters = voters
        return nodes

    def environment(self, libs: Path) -> dict[str, str]:
        env = {
            "KAFKA_LIBS": str(libs),
            "KAFKA_DATA": str(self.data_dir),
            "KAFKA_NODE_ID": str(self.node_id),
            "KAFKA_HOST": self.host,
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "KAFKA_CLUSTER_ID": CLUSTER_ID,
            "KAFKA_REPLICATION": str(self.replication),
            "KAFKA_MIN_ISR": str(self.min_isr),
            "KAFKA_PARTITIONS": str(self.partitions),
            "KAFKA_OFFSETS_PARTITIONS": str(self.offsets_partitions),
            "KAFKA_HEAP": self.heap,
            **self.extra_env,
        }
        if self.voters:
            env["KAFKA_VOTERS"] = self.voters
        return env

    def launch(self) -> subprocess.Popen[bytes]:
        """Start the process and return at once (``start`` also waits for it to serve)."""
        folder = deploy_dir()
        libs = ensure_jars(folder)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        assert self.log_path is not None
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [*self.command_prefix, "bash", str(folder / "run-broker.sh")],
            env={**os.environ, **self.environment(libs)},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the supervisor, which stops us in order
        )
        log.close()
        return self.proc

    def start(self, timeout: float = 90.0) -> KafkaNode:
        self.launch()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Wait until the node answers metadata requests as a broker of its cluster."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"the Kafka broker exited with code {self.proc.returncode}; see {self.log_path}"
                )
            if broker_ready(self.bootstrap):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the Kafka broker on {self.bootstrap} is not ready after {timeout:.0f}s; "
                    f"see {self.log_path}"
                )
            time.sleep(0.25)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing is flushed or handed over."""
        if self.alive():
            assert self.proc is not None
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 30.0) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.terminate()  # a controlled shutdown: leadership handed over, log closed
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def restart(self, timeout: float = 90.0) -> None:
        self.stop()
        self.start(timeout)


def broker_ready(bootstrap: str) -> bool:
    """True once the broker answers a metadata request (its port alone opens earlier)."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    host, _, port = bootstrap.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            pass
    except OSError:
        return False
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            client_id="planwatch-ready",
            request_timeout_ms=3000,
        )
    except (KafkaError, OSError, ValueError):
        return False
    try:
        admin.describe_cluster()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()


def create_topics(
    bootstrap: str,
    topics: Iterable[tuple[str, int]],
    replication: int = 1,
    configs: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> None:
    """Create each (name, partitions) topic and wait until every one has a leader.

    An existing topic is left as it is; a broker that is still starting is retried.
    """
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import KafkaError, TopicAlreadyExistsError

    wanted = list(topics)
    deadline = time.monotonic() + timeout
    while True:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="planwatch-topics")
            try:
                for name, partitions in wanted:
                    try:
                        admin.create_topics(
                            [NewTopic(name, partitions, replication, dict(configs or {}))]
                        )
                    except TopicAlreadyExistsError:
                        pass
                _wait_for_leaders(admin, [name for name, _ in wanted], deadline)
                return
            finally:
                admin.close()
        except (KafkaError, OSError) as exc:
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not create topics on {bootstrap}: {exc}") from exc
            time.sleep(0.5)


def _wait_for_leaders(admin: object, names: Sequence[str], deadline: float) -> None:
    from kafka.admin import KafkaAdminClient

    assert isinstance(admin, KafkaAdminClient)
    while True:
        described = admin.describe_topics(list(names))
        if all(
            t.get("error_code", 0) == 0
            and t.get("partitions")
            and all(p.get("leader_id", -1) >= 0 for p in t["partitions"])
            for t in described
        ):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics without a leader: {', '.join(names)}")
        time.sleep(0.2)


def main() -> int:
    """``python -m planwatch.stack.broker``: fetch the broker's jars (``make kafka``)."""
    import sys

    try:
        print(f"Apache Kafka {kafka_version()}: {ensure_jars()}")
    except KafkaUnavailable as exc:
        print(f"cannot get Apache Kafka: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
