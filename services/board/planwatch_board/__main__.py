"""``python -m planwatch_board``: the built-in board, configured from the environment."""

from __future__ import annotations

import uvicorn

from planwatch_board.app import alerts_from, create_app, reader_from
from planwatch_board.settings import Settings


def main() -> None:
    settings = Settings()
    app = create_app(reader_from(settings), settings.common.catalog(), alerts_from(settings))
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
