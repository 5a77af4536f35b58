"""``python -m planwatch_alerts``: the alerts service, configured from the environment."""

from __future__ import annotations

import logging

import uvicorn

from planwatch_alerts.app import create_app
from planwatch_alerts.settings import Settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
