"""``python -m planwatch_ingest``: build the settings, then serve the app with uvicorn."""

from __future__ import annotations

import gc

import uvicorn

from planwatch_ingest.app import create_app
from planwatch_ingest.logs import configure_logging
from planwatch_ingest.server import header_deadline_protocol
from planwatch_ingest.settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level)
    # A batch of 500 rows makes tens of thousands of short-lived objects: collect the young
    # generation less often (measured: about 1.5x the records/s). Set here, not in create_app,
    # so an app embedded in another process leaves that process's collector alone.
    gc.set_threshold(200_000, 50, 100)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=False,  # one structured line per submission is logged by the app instead
        log_config=None,
        http=header_deadline_protocol(settings.header_timeout_s),
    )


if __name__ == "__main__":
    main()
