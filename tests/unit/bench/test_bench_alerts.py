"""The alert-latency benchmark finds its e-mails and has enough indicators to probe."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from bench.bench_stack import _alert_probes, _mail_for

LINK = "http://board.invalid/indicators/baiyin-rd-intensity"


def _digest(plain: str, html: str | None) -> bytes:
    """An e-mail as the alerts service writes it: UTF-8 text, and an HTML alternative when the
    digest has one (a multipart message, whose payload is its parts, not the text)."""
    message = EmailMessage()
    message["Subject"] = "【计划监测】白银市科技局：1项指标进度滞后"
    message.set_content(plain, charset="utf-8")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8")
    return bytes(message)


def test_a_digest_is_found_by_the_link_in_its_plain_text(tmp_path: Path) -> None:
    body = f"研发投入强度 进度滞后\n查看：{LINK}\n"
    for name, raw in {
        "both": _digest(body, f"<p>研发投入强度 <a href='{LINK}'>查看</a></p>"),
        "plain": _digest(body, None),
    }.items():
        path = tmp_path / name
        path.write_bytes(raw)
        assert _mail_for(path, "baiyin-rd-intensity"), name
        assert not _mail_for(path, "baiyin-rd")  # another indicator's link is not this one


def test_the_probes_cover_the_indicators_asked_for_across_agencies() -> None:
    probes = _alert_probes(25)
    assert len(probes) == 25
    assert len({p.entry.lead_agencies[0] for p in probes}) >= 5
    assert all(p.low != p.good for p in probes)
