"""``planwatch`` commands of the ingest part: push figures, write a template, manage keys.

``push`` reads CSV/Excel with the service's own parser, so a file gives the same rows whether it
is pushed or uploaded, and sends JSON batches. Each batch is all or nothing and carries an
Idempotency-Key derived from the file and the batch number, so a retry never counts twice.
"""

from __future__ import annotations

import hashlib
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["register"]

keys_app = typer.Typer(help="API keys of the bureaus (admin): create, list, revoke.")
err = Console(stderr=True)


class _Retryable(Exception):
    """A 503 or a connection failure: worth another try."""


def _read_rows(data: bytes, name: str) -> tuple[list[Any], list[int] | None, int]:
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
        err.print(f"[red]{name}: {exc.problem}[/red]")
        raise typer.Exit(2) from None
    if parsed.header_errors:
        for column, problem in parsed.header_errors:
            err.print(f"[red]{name}: header: {column}: {problem}[/red]")
        raise typer.Exit(2)
    return parsed.rows, parsed.lines, parsed.skipped


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


def push(
    file: Annotated[str, typer.Argument(help="CSV, Excel (.xlsx) or JSON file; - reads stdin")],
    url: Annotated[str, typer.Option(help="ingest service")] = "http://127.0.0.1:8080",
    key: Annotated[str, typer.Option(envvar="PLANWATCH_KEY", help="API key")] = "",
    batch_size: Annotated[
        int, typer.Option(help="rows per request, each all or nothing; 0: the whole file")
    ] = 500,
    retries: Annotated[int, typer.Option(help="tries per batch on 503 or no connection")] = 6,
) -> None:
    """Send figures to the ingest service and print what was accepted and rejected."""
    import httpx
    import orjson
    from rich.progress import Progress

    if not key:
        err.print("[red]no key: pass --key or set PLANWATCH_KEY[/red]")
        raise typer.Exit(2)
    data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    rows, lines, skipped = _read_rows(data, file)
    size = batch_size if batch_size > 0 else len(rows)
    file_id = hashlib.sha256(data).hexdigest()[:16]
    counts: Counter[str] = Counter()
    rejected: list[tuple[str, str, str]] = []
    with httpx.Client(timeout=120) as client, Progress(console=err, transient=True) as progress:
        task = progress.add_task("pushing", total=len(rows))
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            try:
                response = _send(
                    client, url, key, orjson.dumps(chunk), f"{file_id}-{start}-{size}", retries
                )
            except (httpx.TransportError, _Retryable) as exc:
                err.print(f"[red]gave up after {retries} tries: {exc}[/red]")
                raise typer.Exit(3) from None
            if response.status_code == 202:
                for result in response.json()["results"]:
                    counts[result["status"]] += 1
            else:
                problem = response.json()
                counts["rejected"] += len(chunk)
                for error in problem.get("errors") or [{"problem": problem.get("detail", "")}]:
                    row = error.get("row")
                    where = "—"
                    if row:
                        index = start + row - 1
                        where = f"line {lines[index]}" if lines else f"row {index + 1}"
                    rejected.append((where, str(error.get("field") or ""), error["problem"]))
            progress.advance(task, len(chunk))
    _summary(counts, skipped, rejected)
    if counts["rejected"]:
        raise typer.Exit(1)


def _summary(counts: Counter[str], skipped: int, rejected: list[tuple[str, str, str]]) -> None:
    console = Console()
    console.print(
        f"accepted {counts['accepted']} · revised {counts['revised']} · "
        f"duplicate {counts['duplicate']} · rejected {counts['rejected']}"
        + (f" · empty template rows {skipped}" if skipped else "")
    )
    if rejected:
        table = Table("where", "field", "problem", title="rejected (nothing of those batches kept)")
        for where, field, problem in rejected:
            table.add_row(where, field, problem)
        console.print(table)


def template(
    jurisdiction: Annotated[str, typer.Argument(help="e.g. 白银市")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file to write")] = None,
    fmt: Annotated[str, typer.Option("--format", help="xlsx or csv")] = "xlsx",
    year: Annotated[int | None, typer.Option(help="only this year's periods")] = None,
) -> None:
    """Write the template of the figures a jurisdiction owes (Excel or CSV)."""
    from planwatch.catalog import default_catalog
    from planwatch_ingest.templates import template_csv, template_rows, template_xlsx

    if fmt not in ("xlsx", "csv"):
        err.print("[red]--format: xlsx or csv[/red]")
        raise typer.Exit(2)
    rows = template_rows(default_catalog(), jurisdiction, year)
    if len(rows) == 1:
        err.print(f"[red]no indicator of the catalog is for {jurisdiction}[/red]")
        raise typer.Exit(2)
    target = output or Path(f"template-{jurisdiction}.{fmt}")
    target.write_bytes(template_csv(rows) if fmt == "csv" else template_xlsx(rows))
    typer.echo(f"{target}: {len(rows) - 1} rows to fill in")


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
