"""Every service logs one JSON object per line (planwatch.logs), its framework's lines too."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from planwatch.logs import JsonFormatter, logging_config
from support.net import free_port

ROOT = Path(__file__).resolve().parents[3]


def _json_lines(text: str) -> list[dict[str, object]]:
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, "the service logged nothing"
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON log line: {line!r}")
    return parsed


@pytest.mark.parametrize(
    ("module", "prefix"),
    [("planwatch_board", "PLANWATCH_BOARD_"), ("planwatch_alerts", "PLANWATCH_ALERTS_")],
)
def test_a_service_process_logs_json_lines(module: str, prefix: str, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLANWATCH_")},
        "PLANWATCH_DATA_DIR": str(tmp_path),
        f"{prefix}PORT": str(port),
        "PLANWATCH_ALERTS_CONSUME": "false",
        "PLANWATCH_ALERTS_ROUTES_FILE": str(ROOT / "deploy/alerts/routes.yml"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", module],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, f"{module} did not start"
            time.sleep(0.2)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    records = _json_lines(out)
    assert all({"ts", "level", "logger", "msg"} <= set(r) for r in records), records
    # uvicorn's own lines went through the same handler
    assert any(str(r["logger"]).startswith("uvicorn") for r in records), records


def test_the_worker_configuration_formats_faust_lines_as_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mode.utils.logging import setup_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        # what faust's Worker does with logging_config=logging_config()
        setup_logging(loglevel="info", logging_config=logging_config())
        logging.getLogger("faust.worker").info("ready", extra={"partitions": 4})
        (record,) = _json_lines(capsys.readouterr().err)
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    assert record["msg"] == "ready" and record["partitions"] == 4
    assert record["logger"] == "faust.worker" and record["level"] == "info"


def test_an_exception_is_one_line_with_its_traceback() -> None:
    try:
        raise ValueError("bad figure")
    except ValueError:
        record = logging.makeLogRecord(
            {"msg": "failed", "levelname": "ERROR", "name": "x", "exc_info": sys.exc_info()}
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: bad figure" in json.loads(line)["exc"]
