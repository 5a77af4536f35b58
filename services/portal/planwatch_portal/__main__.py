"""``python -m planwatch_portal``: the bureau portal, configured from the environment."""

from __future__ import annotations

import uvicorn

from planwatch_portal.app import create_app
from planwatch_portal.settings import Settings


def main() -> None:
    settings = Settings()
    app = create_app(settings, settings.common.catalog())
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
