"""``python -m planwatch_alerts``: the alerts service, configured from the environment."""

from __future__ import annotations

import uvicorn

from planwatch.logs import configure_logging
from planwatch_alerts.app import create_app
from planwatch_alerts.settings import Settings


def main() -> None:
    configure_logging()
    settings = Settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)


if __name__ == "__main__":
    main()
