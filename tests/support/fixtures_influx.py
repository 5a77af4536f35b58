"""Real InfluxDB-protocol servers for the tests (helpers in ``support.influx``).

``influxdb_v1`` (session): a real InfluxDB 1.6 (Debian ``influxd``) on a loopback port, for
    InfluxQL. ``.write(db, lines)``, ``.query(influxql, db=...)``, ``.create_database(name)``,
    ``.fresh_database()``. Shared by the session: use a database name of your own.
``influxdb_v1_db`` (per test): a fresh database on that server (``InfluxDatabase``:
    ``.name``, ``.write(lines)``, ``.query(influxql)``), dropped afterwards.
``influx_v2_write`` (per test): a real server speaking the InfluxDB **v2 write API**
    (``V2WriteServer``: ``.url``, ``.token``, ``.org``, ``.bucket`` for ``influxdb-client``;
    ``.samples(measurement, field, **tags)`` to read back; ``.halt()`` / ``.resume()`` for
    outages). InfluxDB 2 through testcontainers where a Docker engine answers (set
    ``PLANWATCH_TEST_INFLUX=local`` to skip it), Debian ``victoria-metrics`` otherwise.

Each skips with the reason when its server cannot run here (``make servers`` installs them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from support.docker import docker_available
from support.influx import InfluxDatabase, InfluxDB2, InfluxV1, V2WriteServer, VictoriaMetrics


@pytest.fixture(scope="session")
def influxdb_v1() -> Iterator[InfluxV1]:
    if not InfluxV1.available():
        pytest.skip("influxd (Debian influxdb 1.6) is not installed; run `make servers`")
    server = InfluxV1().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def influxdb_v1_db(influxdb_v1: InfluxV1) -> Iterator[InfluxDatabase]:
    database = influxdb_v1.fresh_database()
    try:
        yield database
    finally:
        influxdb_v1.drop_database(database.name)


@pytest.fixture
def influx_v2_write() -> Iterator[V2WriteServer]:
    server: InfluxDB2 | VictoriaMetrics
    if docker_available() and os.environ.get("PLANWATCH_TEST_INFLUX") != "local":
        server = InfluxDB2().start()
    elif VictoriaMetrics.available():
        server = VictoriaMetrics().start()
    else:
        pytest.skip("no v2-write server: victoria-metrics is not installed (run `make servers`)")
    try:
        yield server
    finally:
        server.stop()
