"""The evaluator: every submission assessed in the stream, stored as time series, published.

Run one worker with ``python -m planwatch_evaluator`` (settings: ``PLANWATCH_EVALUATOR_*``, see
``settings.py``; broker and data dir: ``PLANWATCH_KAFKA_BOOTSTRAP``, ``PLANWATCH_DATA_DIR``).

- ``core``: what one submission does to the state of its (indicator, jurisdiction), as plain
  functions: points, the ``assessments`` event, a ``status-changes`` event, overdue checks.
- ``state``: the per-key state, a typed, versioned record, and its codec.
- ``app``: the faust app: batched agent over ``submissions``, the state table, the overdue
  timer, ``/healthz``, ``/readyz`` and ``/metrics``.
- ``ports`` / ``adapters``: where points go (InfluxDB v2 write API, embedded SQLite store),
  where records go (the app's producer) and where states are kept (a faust table).
"""
