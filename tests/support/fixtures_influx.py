"""``influxdb_v1`` (real InfluxDB 1.6 for InfluxQL) and ``influx_v2_write`` (a real server
speaking the InfluxDB v2 write API: VictoriaMetrics). Both skip, saying why, when the Debian
package is missing (``make servers`` installs them)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.influx import InfluxV1, VictoriaMetrics


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
def influx_v2_write() -> Iterator[VictoriaMetrics]:
    if not VictoriaMetrics.available():
        pytest.skip("victoria-metrics is not installed; run `make servers`")
    server = VictoriaMetrics().start()
    try:
        yield server
    finally:
        server.stop()
