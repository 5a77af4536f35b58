"""Faust's own floor: what one faust worker does per event with nothing of planwatch in it.

``python -m bench.faust_floor BOOTSTRAP N APP_ID DATADIR`` runs a faust app configured as the
evaluator's worker is for throughput (uvloop, raw serializers, the producer's linger, batch
size and acknowledgements, ``take_events`` with the evaluator's batch size and wait) whose
agent reads ``submissions`` and, for each event, sends its value to ``assessments`` with the
app's producer, then flushes and waits for the acknowledgements once per batch: the evaluator's
path without the assessment, the state table or the time-series store. When it has read ``N``
events it prints one JSON line (events per second and per CPU second of the process, counted
from its first batch, as the evaluator's rate is) and exits.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

import mode.loop

from planwatch.domain.events import Topics
from planwatch_evaluator.settings import Settings

__all__ = ["main"]


def main(bootstrap: str, n: int, app_id: str, datadir: str) -> None:
    mode.loop.use("uvloop")  # as the evaluator's __main__
    import faust
    from faust.worker import Worker

    defaults = Settings.model_construct()  # the evaluator's defaults, no environment read
    raw: dict[str, Any] = {"key_type": bytes, "value_type": bytes}
    raw.update(key_serializer="raw", value_serializer="raw")
    app = faust.App(
        app_id,
        broker=f"kafka://{bootstrap}",
        store="memory://",
        datadir=datadir,
        autodiscover=False,
        consumer_auto_offset_reset="earliest",
        producer_linger_ms=5,
        producer_max_batch_size=defaults.producer_batch_bytes,
        producer_max_request_size=max(defaults.producer_batch_bytes * 4, 1 << 20),
        producer_acks=-1,
        web_enabled=False,
        key_serializer="raw",
        value_serializer="raw",
    )
    submissions = app.topic(str(Topics.SUBMISSIONS), **raw)
    out = str(Topics.ASSESSMENTS)
    app.topic(out, **raw)
    seen = 0  # events read
    start: tuple[float, float, int] | None = None  # wall and CPU time of the first batch, its size

    async def republish(stream: Any) -> None:
        nonlocal seen, start
        async for events in stream.take_events(defaults.batch_size, within=defaults.batch_within_s):
            if start is None:
                start = (time.perf_counter(), time.process_time(), len(events))
            sent = [
                await app.producer.send(out, ev.key, ev.value, None, None, None) for ev in events
            ]
            await app.producer.flush()
            await asyncio.gather(*sent)
            seen += len(events)
            if seen >= n:
                counted = seen - start[2]
                wall = time.perf_counter() - start[0]
                cpu = time.process_time() - start[1]
                print(
                    json.dumps({"events_per_s": counted / wall, "events_per_cpu_s": counted / cpu}),
                    flush=True,
                )
                os._exit(0)

    app.agent(submissions, name="republish")(republish)
    Worker(app, loglevel="warning", quiet=True, redirect_stdouts=False).execute_from_commandline()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
