"""The 督查通报 as files: ``planwatch report`` over the evaluator's own points, the PDF turned
into PNG pages (pdftoppm) and read back (pdftotext), the XLSX read with openpyxl, the e-mail
to the leadership list through a real SMTP server."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from planwatch.catalog import default_catalog
from planwatch.cli.main import app
from planwatch.domain.events import SubmissionEvent
from planwatch.reports.model import build_report, report_period
from planwatch.reports.render import write_pdf
from planwatch.tsstore import EmbeddedSeriesStore
from planwatch_evaluator.core import evaluate, new_state
from support.smtp import SmtpServer

pytestmark = pytest.mark.integration
CATALOG = default_catalog()
PLAN = CATALOG.plans["gsbase"]
DOCS = os.environ.get("PLANWATCH_SCREENSHOTS")  # set to a folder to keep the sample pages
FIGURES = [  # gsbase: R&D expenditure behind, the contribution rate on track
    ("gsbase-rd-expenditure", "2023", 130.0),
    ("gsbase-rd-expenditure", "2024", 136.0),
    ("gsbase-tech-progress-contribution", "2023", 60.0),
    ("gsbase-tech-progress-contribution", "2024", 61.5),
]
ANSWERED = {
    "id": 1,
    "indicator_id": "gsbase-rd-expenditure",
    "jurisdiction": "甘肃省",
    "agencies": ["省科技厅"],
    "opened_at": "2025-01-06T09:00:00Z",
    "responses": [
        {
            "at": "2025-01-08T10:00:00Z",
            "agency": "省科技厅",
            "kind": "acknowledge",
            "text": "追加省级研发投入后补助资金，督促重点企业加大研发投入",
            "expected_recovery": "2025-12-31",
        }
    ],
}


def load(data: Path) -> None:
    store = EmbeddedSeriesStore(data / "timeseries.db")
    states: dict[str, dict] = {}
    for indicator_id, period, value in FIGURES:
        entry = CATALOG.get(indicator_id)
        event = SubmissionEvent(
            catalog_version=CATALOG.version,
            submission_id=f"{indicator_id}-{period}",
            indicator_id=indicator_id,
            jurisdiction=entry.jurisdiction,
            period=period,
            value=value,
            unit=entry.unit,
            submitted_by="t",
            received_at=datetime(2025, 1, 10, tzinfo=UTC),
        )
        out = evaluate(entry, states.get(indicator_id, new_state()), event, CATALOG.version)
        states[indicator_id] = out.state
        store.write(out.points)
    store.close()


def poppler() -> None:
    if not shutil.which("pdftoppm") or not shutil.which("pdftotext"):
        pytest.skip("poppler-utils is not installed (make servers installs it)")


def test_the_pdf_pages_show_the_plan_the_counts_and_the_agencies(tmp_path: Path) -> None:
    poppler()
    load(tmp_path)
    from planwatch_board.adapters.embedded import EmbeddedReader

    reader = EmbeddedReader(tmp_path / "timeseries.db")
    report = build_report(
        CATALOG,
        report_period("2024-Q4"),
        reader.observations,
        [ANSWERED],
        datetime(2025, 1, 20, tzinfo=UTC),
        plan="gsbase",
    )
    out = Path(DOCS) if DOCS else tmp_path
    pdf = out / "report-sample.pdf"
    write_pdf(report, pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-png", "-r", "80", str(pdf), str(out / "report-page")], check=True)
    pages = sorted(out.glob("report-page*.png"))
    assert pages and all(p.stat().st_size > 10_000 for p in pages)  # drawn, not blank
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    cjk = [line for line in fonts.splitlines() if "Noto-Sans-CJK-SC" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk)  # embedded (emb column)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "督查通报" in text and PLAN.title in text and str(PLAN.document_no) in text
    total = len([e for e in CATALOG if e.plan_code == "gsbase"])
    assert f"纳入督查的规划指标共 {total} 项" in text
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip()}
    assert rows["进度滞后"][:2] == ["1", f"{100 / total:.0f}%"]
    assert rows["进度正常"][0] == "1" and rows["暂无数据"][0] == str(total - 2)
    reading = subprocess.run(  # in reading order: a table cell's wrapped lines stay together
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = "".join(reading.split())
    assert (
        "牵头单位：省科技厅" in flat
        and "省科技厅（确认并整改）：追加省级研发投入后补助资金" in flat
    )
    assert "全社会研究与试验发展(R&D)经费投入（甘肃省）—进展有限" in flat


def test_the_command_writes_pdf_and_xlsx_and_mails_the_leadership(
    tmp_path: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    poppler()
    load(tmp_path)
    monkeypatch.setenv("PLANWATCH_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PLANWATCH_BOARD_INFLUX_URL", raising=False)
    runner = CliRunner()
    xlsx = tmp_path / "out" / "gsbase-2024-Q4.xlsx"
    result = runner.invoke(
        app, ["report", "--plan", "gsbase", "--period", "2024-Q4", "-o", str(xlsx)]
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(xlsx)
    summary = {r[0]: r[1:] for r in book["概况"].iter_rows(values_only=True) if r and r[0]}
    assert summary["督查通报：" + PLAN.title] is not None
    assert summary["进度滞后"][0] == 1 and summary["进度正常"][0] == 1
    behind = list(book["进度滞后指标"].iter_rows(values_only=True))
    assert behind[1][0] == "全社会研究与试验发展(R&D)经费投入" and behind[1][8] == "省科技厅"

    pdf = tmp_path / "gsbase.pdf"
    result = runner.invoke(
        app,
        [
            "report", "--plan", "gsbase", "--period", "2024-Q4", "-o", str(pdf),
            "--mail-to", "lingdao@gansu.invalid,duchashi@gansu.invalid",
            "--smtp-port", str(smtp_server.port),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [mail] = smtp_server.wait_for(1)
    assert sorted(mail.rcpt_tos) == ["duchashi@gansu.invalid", "lingdao@gansu.invalid"]
    assert PLAN.title in mail.subject and "2024年第四季度" in mail.subject
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_filename() == "gsbase.pdf"
    assert attachment.get_content().startswith(b"%PDF")


def test_the_command_refuses_a_bad_file_name_and_period(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["report", "--plan", "gsbase", "--period", "2024-Q4", "-o", "r.doc"])
    assert bad.exit_code == 2 and "must end in .pdf or .xlsx" in bad.output
    worse = runner.invoke(
        app, ["report", "--plan", "gsbase", "--period", "2024-Q9", "-o", str(tmp_path / "r.pdf")]
    )
    assert worse.exit_code == 2 and "period: '2024-Q9'" in worse.output
