"""faust's aiokafka transport with a configurable consumer fetch wait.

faust 0.15 builds its worker consumer with ``fetch_max_wait_ms=1500`` hard-coded and offers no
setting for it. A Kafka-protocol broker may answer a fetch only when that wait expires even
when data is there (Tansu does), so 1.5 s would become the floor of our latency. This transport
lowers it; it registers itself under the URL scheme ``pwkafka://``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import aiokafka
from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers import aiokafka as faust_aiokafka

__all__ = ["SCHEME", "Transport"]

SCHEME = "pwkafka"


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = Transport.fetch_max_wait_ms  # read at consumer start
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    Consumer: ClassVar[Any] = _Consumer
    fetch_max_wait_ms: ClassVar[int] = 10


TRANSPORTS.aliases[SCHEME] = f"{__name__}:Transport"
