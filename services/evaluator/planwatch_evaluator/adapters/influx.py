"""InfluxDB sink through influxdb-client's v2 write API, synchronous batches of line strings.

Joined line strings with SYNCHRONOUS writes are the fastest path of the client (no Point
objects, no background thread): the evaluator already batches.
"""

from __future__ import annotations

from collections.abc import Sequence

from influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.service.ping_service import PingService

from planwatch.tsstore import Point

__all__ = ["InfluxSink"]


class InfluxSink:
    def __init__(self, url: str, token: str | None, org: str, bucket: str) -> None:
        self.client = InfluxDBClient(url=url, token=token or "", org=org, timeout=10_000)
        self.writer = self.client.write_api(write_options=SYNCHRONOUS)
        self.bucket, self.org = bucket, org

    def write(self, points: Sequence[Point]) -> None:
        if points:
            body = "\n".join(p.to_line_protocol() for p in points)
            self.writer.write(bucket=self.bucket, org=self.org, record=body)

    def ping(self, timeout_ms: int = 2000) -> None:
        """``GET /ping`` answers (204), within ``timeout_ms``. The client's own ``ping()``
        says only True or False; this raises with the reason (refused, timed out, a status)."""
        PingService(self.client.api_client).get_ping(_request_timeout=timeout_ms)

    def close(self) -> None:
        self.client.close()
