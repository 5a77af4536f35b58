"""``planwatch`` commands of the ingest part: push figures, write a template, manage keys.

``push`` reads CSV/Excel with the service's own parser, so a file gives the same rows whether it
is pushed or uploaded, and sends JSON batches. Each batch is all or nothing and carries an
Idempotency-Key derived from the file and the batch number, so a retry never counts twice.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["register"]

_FILE_HELP = "数据文件：CSV、Excel（.xlsx）或 JSON；- 从标准输入读取 (file; - reads stdin)"
_BATCH_HELP = "每批行数，每批全部接收或全部退回；0 为整个文件一批 (rows per request)"
_RETRIES_HELP = "服务不可用或无法连接时每批的尝试次数 (tries per batch)"
_OUTPUT_HELP = "输出文件 (file to write)"
_YEAR_HELP = "只生成这一年的报告期 (only this year's periods)"
keys_app = typer.Typer(help="API keys of the bureaus (admin): create, list, revoke.")
err = Console(stderr=True)


class _Retryable(Exception):
    """A 503 or a connection failure: worth another try."""


def _lang(choice: str | None) -> str:
    """``zh`` unless asked for English: ``--lang en``, or an English locale (LANG, LC_ALL)."""
    if choice:
        return "en" if choice.lower().startswith("en") else "zh"
    for name in ("PLANWATCH_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value and value not in ("C", "C.UTF-8", "POSIX"):
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"


Lang = Annotated[
    str | None,
    typer.Option("--lang", help="提示语言 zh（默认）或 en；默认按 LANG / LC_ALL"),
]


def _say(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _read_rows(data: bytes, name: str, lang: str) -> tuple[list[Any], list[int] | None, int]:
    from planwatch.domain.row_problems import explain
    from planwatch_ingest.parsing import BodyError, parse_csv, parse_json, parse_xlsx

    lowered = name.lower()
    try:
        if lowered.endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
            parsed = parse_xlsx(data, 10_000_000)
        elif lowered.endswith(".json") or data.lstrip()[:1] in (b"[", b"{"):
            parsed = parse_json(data)
        else:
            parsed = parse_csv(data, None, 10_000_000)
    except BodyError as exc:
        _, problem, fix = explain(exc.reason, exc.field)
        err.print(
            f"[red]{name}: {_say(lang, f'{problem}（{exc.problem}）：{fix}', exc.problem)}[/red]"
        )
        raise typer.Exit(2) from None
    if parsed.header_errors:
        for column, problem in parsed.header_errors:
            text = _say(lang, f"表头“{column}”：{_HEADER_ZH.get(problem, problem)}", problem)
            err.print(f"[red]{name}: {_say(lang, '表头', 'header')}: {text}[/red]")
        raise typer.Exit(2)
    return parsed.rows, parsed.lines, parsed.skipped


_HEADER_ZH = {"unknown column": "不认识的列", "missing column": "缺少这一列"}


def _send(client: Any, url: str, key: str, body: bytes, idempotency_key: str, tries: int) -> Any:
    import httpx
    from tenacity import (
        retry,
        retry_if_exception_type,
        stop_after_attempt,
        wait_exponential_jitter,
    )

    @retry(
        retry=retry_if_exception_type((_Retryable, httpx.TransportError)),
        stop=stop_after_attempt(tries),
        wait=wait_exponential_jitter(initial=0.5, max=20),
        reraise=True,
    )
    def attempt() -> Any:
        response = client.post(
            f"{url.rstrip('/')}/v1/submissions",
            content=body,
            headers={
                "Authorization": f"Bearer {key}",
                "Content-Type": "application/json",
                "Idempotency-Key": idempotency_key,
            },
        )
        if response.status_code == 503:
            raise _Retryable(response.text)
        return response

    return attempt()


def _problem_text(error: dict[str, Any], row: Any, lang: str) -> str:
    """A refused row's problem in the chosen language, with a suggestion for a mistyped id."""
    from planwatch.domain.row_problems import explain, suggest

    reason = str(error.get("reason") or "")
    english = str(error.get("problem") or "")
    _, problem, fix = explain(reason, error.get("field"))
    text = _say(lang, f"{problem}：{fix}（{english}）" if reason else english, english)
    if reason in ("unknown_indicator", "jurisdiction_not_covered") and isinstance(row, dict):
        from planwatch.catalog import default_catalog

        catalog = default_catalog()
        if reason == "unknown_indicator":
            word, choices = str(row.get("indicator_id", "")), [e.id for e in catalog]
        else:
            word, choices = str(row.get("jurisdiction", "")), list(catalog.jurisdictions)
        near = suggest(word, choices)
        if near:
            text += _say(
                lang, f"；是否要填：{'、'.join(near)}？", f"; did you mean {', '.join(near)}?"
            )
    return text


def push(
    file: Annotated[str, typer.Argument(help=_FILE_HELP)],
    url: Annotated[
        str, typer.Option(help="数据接收服务地址 (ingest service)")
    ] = "http://127.0.0.1:8080",
    key: Annotated[str, typer.Option(envvar="PLANWATCH_KEY", help="报送密钥 (API key)")] = "",
    batch_size: Annotated[int, typer.Option(help=_BATCH_HELP)] = 500,
    retries: Annotated[int, typer.Option(help=_RETRIES_HELP)] = 6,
    lang: Lang = None,
) -> None:
    """报送数据：把数据文件发送到 ingest 服务，并列出接收和退回的行。
    Send figures to the ingest service and print what was accepted and rejected."""
    import httpx
    import orjson
    from rich.progress import Progress

    language = _lang(lang)
    if not key:
        err.print(
            "[red]"
            + _say(
                language,
                "缺少密钥：请用 --key 或设置 PLANWATCH_KEY",
                "no key: pass --key or set PLANWATCH_KEY",
            )
            + "[/red]"
        )
        raise typer.Exit(2)
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        err.print(
            f"[red]{_say(language, f'无法读取文件 {file}', f'cannot read {file}')}: "
            f"{exc.strerror}[/red]"
        )
        raise typer.Exit(2) from None
    rows, lines, skipped = _read_rows(data, file, language)
    size = batch_size if batch_size > 0 else len(rows)
    file_id = hashlib.sha256(data).hexdigest()[:16]
    counts: Counter[str] = Counter()
    rejected: list[tuple[str, str, str]] = []
    with httpx.Client(timeout=120) as client, Progress(console=err, transient=True) as progress:
        task = progress.add_task(_say(language, "报送中", "pushing"), total=len(rows))
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            try:
                response = _send(
                    client, url, key, orjson.dumps(chunk), f"{file_id}-{start}-{size}", retries
                )
            except (httpx.TransportError, _Retryable) as exc:
                err.print(
                    "[red]"
                    + _say(
                        language,
                        f"尝试{retries}次后放弃（服务 {url} 无法连接或暂不可用）：{exc}",
                        f"gave up after {retries} tries: {exc}",
                    )
                    + "[/red]"
                )
                raise typer.Exit(3) from None
            if response.status_code == 202:
                for result in response.json()["results"]:
                    counts[result["status"]] += 1
            elif response.status_code == 401:
                err.print(
                    "[red]"
                    + _say(language, "密钥无效或已停用", "unknown or revoked key")
                    + "[/red]"
                )
                raise typer.Exit(2)
            else:
                problem = response.json()
                counts["rejected"] += len(chunk)
                for error in problem.get("errors") or [{"problem": problem.get("detail", "")}]:
                    row = error.get("row")
                    where = "—"
                    sent = None
                    if row:
                        index = start + row - 1
                        sent = rows[index] if 0 <= index < len(rows) else None
                        if lines:
                            where = _say(language, f"第{lines[index]}行", f"line {lines[index]}")
                        else:
                            where = _say(language, f"第{index + 1}条", f"row {index + 1}")
                    field = str(error.get("field") or "")
                    from planwatch.domain.row_problems import FIELD_ZH

                    field_text = _say(language, FIELD_ZH.get(field, field), field)
                    rejected.append((where, field_text, _problem_text(error, sent, language)))
            progress.advance(task, len(chunk))
    _summary(counts, skipped, rejected, language)
    if counts["rejected"]:
        raise typer.Exit(1)


def _summary(
    counts: Counter[str], skipped: int, rejected: list[tuple[str, str, str]], lang: str
) -> None:
    console = Console()
    if lang == "en":
        console.print(
            f"accepted {counts['accepted']} · revised {counts['revised']} · "
            f"duplicate {counts['duplicate']} · rejected {counts['rejected']}"
            + (f" · empty template rows {skipped}" if skipped else "")
        )
    else:
        console.print(
            f"接收 {counts['accepted']} · 修订 {counts['revised']} · "
            f"重复 {counts['duplicate']} · 退回 {counts['rejected']}"
            + (f" · 未填写的模板行 {skipped}" if skipped else "")
        )
    if rejected:
        if lang == "en":
            table = Table(
                "where", "field", "problem", title="rejected (nothing of those batches kept)"
            )
        else:
            table = Table("位置", "字段", "问题与修改方法", title="退回的行（所在批次均未保存）")
        for where, field, problem in rejected:
            table.add_row(where, field, problem)
        console.print(table)


def template(
    jurisdiction: Annotated[str, typer.Argument(help="地区 jurisdiction, e.g. 白银市")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help=_OUTPUT_HELP)] = None,
    fmt: Annotated[str, typer.Option("--format", help="xlsx 或 csv")] = "xlsx",
    year: Annotated[int | None, typer.Option(help=_YEAR_HELP)] = None,
    lang: Lang = None,
) -> None:
    """填报模板：写出一个地区应报送的数据模板（Excel 或 CSV）。
    Write the template of the figures a jurisdiction owes (Excel or CSV)."""
    from planwatch.catalog import default_catalog
    from planwatch.domain.row_problems import suggest
    from planwatch_ingest.templates import (
        covered_years,
        template_csv,
        template_rows,
        template_xlsx,
    )

    language = _lang(lang)
    if fmt not in ("xlsx", "csv"):
        err.print(f"[red]--format: {_say(language, 'xlsx 或 csv', 'xlsx or csv')}[/red]")
        raise typer.Exit(2)
    catalog = default_catalog()
    span = covered_years(catalog, jurisdiction)
    if span is None:
        near = suggest(jurisdiction, catalog.jurisdictions)
        hint = ""
        if near:
            hint = _say(
                language, f"；是否要填：{'、'.join(near)}？", f"; did you mean {', '.join(near)}?"
            )
        err.print(
            "[red]"
            + _say(
                language,
                f"目录中没有“{jurisdiction}”的指标",
                f"no indicator of the catalog is for {jurisdiction}",
            )
            + hint
            + "[/red]"
        )
        raise typer.Exit(2)
    rows = template_rows(catalog, jurisdiction, year)
    if not rows:
        err.print(
            "[red]"
            + _say(
                language,
                f"{jurisdiction}的规划覆盖{span[0]}—{span[1]}年，{year}年没有应报数据",
                f"the plans of {jurisdiction} cover {span[0]}–{span[1]}: "
                f"nothing is owed for {year}",
            )
            + "[/red]"
        )
        raise typer.Exit(2)
    target = output or Path(f"template-{jurisdiction}.{fmt}")
    target.write_bytes(template_csv(rows) if fmt == "csv" else template_xlsx(rows, jurisdiction))
    typer.echo(
        _say(language, f"{target}：共{len(rows)}行待填写", f"{target}: {len(rows)} rows to fill in")
    )


def _store() -> Any:
    from planwatch.security import KeyStore
    from planwatch.settings import CommonSettings

    return KeyStore(CommonSettings().keys_url())


@keys_app.command("create")
def keys_create(
    owner: Annotated[str, typer.Option(help="the bureau, e.g. 白银市统计局")],
    jurisdiction: Annotated[list[str], typer.Option(help="repeat for several; * for all")],
    role: Annotated[list[str], typer.Option(help="submit, read or admin; repeatable")] = [  # noqa: B006
        "submit"
    ],
) -> None:
    """Issue a key; the token is printed once and never stored."""
    from planwatch.security import Role

    try:
        roles = [Role(r) for r in role]
    except ValueError:
        err.print(f"[red]--role: one of {', '.join(r.value for r in Role)}[/red]")
        raise typer.Exit(2) from None
    store = _store()
    try:
        token, record = store.create(owner, jurisdiction, roles)
    finally:
        store.close()
    err.print(f"key {record.key_id} for {owner}: {', '.join(record.jurisdictions)}")
    typer.echo(token)


@keys_app.command("list")
def keys_list() -> None:
    """Every key: id, owner, scope, roles, created, revoked."""
    store = _store()
    try:
        records = store.list()
    finally:
        store.close()
    table = Table("key id", "owner", "jurisdictions", "roles", "created", "revoked")
    for r in records:
        table.add_row(
            r.key_id,
            r.owner,
            ", ".join(r.jurisdictions),
            ", ".join(r.roles),
            r.created_at.isoformat(timespec="seconds"),
            r.revoked_at.isoformat(timespec="seconds") if r.revoked_at else "",
        )
    Console().print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="the id shown by `keys list`")]) -> None:
    """Revoke a key; it stops working on the next request."""
    store = _store()
    try:
        done = store.revoke(key_id)
    finally:
        store.close()
    if not done:
        err.print(f"[red]no active key {key_id}[/red]")
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the planwatch command."""
    app.command("push")(push)
    app.command("template")(template)
    app.add_typer(keys_app, name="keys")
