"""Time series of planwatch: the point model and the embedded on-disk store.

The evaluator writes points through a sink port: to InfluxDB in production, to this embedded
store where no InfluxDB is configured. The built-in board and the benchmarks read the store.
"""

from planwatch.tsstore.embedded import EmbeddedSeriesStore
from planwatch.tsstore.point import Point

__all__ = ["EmbeddedSeriesStore", "Point"]
