"""``planwatch assess``: one assessment from a JSON object on standard input."""

from __future__ import annotations

import json
import math
import sys
from datetime import date
from typing import Any

import typer
from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["AssessRequest", "register", "run_assess"]


class AssessRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target: dict[str, Any]
    observations: list[dict[str, Any]]
    as_of: date


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _non_finite(target: Any) -> list[str]:
    """Numbers JSON lets through (NaN, Infinity) that no target can hold."""
    bad = [
        f"target.targets[{i}].{name}: must be a finite number"
        for i, t in enumerate(target.targets)
        for name in ("value", "value_max")
        if getattr(t, name) is not None and not math.isfinite(getattr(t, name))
    ]
    if target.baseline is not None and not math.isfinite(target.baseline.value):
        bad.append("target.baseline.value: must be a finite number")
    return bad


def run_assess(payload: Any) -> dict[str, Any]:
    """Validate the request and return the assessment as JSON-ready data.

    Raises ValueError with ``field: problem`` lines naming every bad field.
    """
    from planwatch.domain.assessment import TargetSpec, assess
    from planwatch.domain.assessment_model import Observation
    from planwatch.domain.periods import PeriodError, parse_period

    problems: list[str] = []
    try:
        request = AssessRequest.model_validate(payload)
    except ValidationError as exc:
        raise ValueError(
            "\n".join(f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors())
        ) from exc
    try:
        target = TargetSpec.model_validate(request.target)
    except ValidationError as exc:
        problems += [f"target.{_where(e['loc'])}: {e['msg']}" for e in exc.errors()]
    else:
        problems += _non_finite(target)
    observations = []
    for i, raw in enumerate(request.observations):
        try:
            obs = Observation.model_validate(raw)
            parse_period(obs.period)
            if not math.isfinite(obs.value):
                raise ValueError("must be a finite number")
            observations.append(obs)
        except ValidationError as exc:
            problems += [f"observations[{i}].{_where(e['loc'])}: {e['msg']}" for e in exc.errors()]
        except PeriodError as exc:
            problems.append(f"observations[{i}].period: {exc}")
        except ValueError as exc:
            problems.append(f"observations[{i}].value: {exc}")
    if problems:
        raise ValueError("\n".join(problems))
    return assess(target, observations, request.as_of).to_dict()


def assess_command() -> None:
    """Read {"target", "observations", "as_of"} as JSON on stdin; print the assessment as JSON."""
    try:
        payload = json.loads(sys.stdin.read())
    except json.JSONDecodeError as exc:
        typer.echo(f"input: not valid JSON ({exc})", err=True)
        raise typer.Exit(2) from exc
    try:
        result = run_assess(payload)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def register(app: typer.Typer) -> None:
    app.command("assess")(assess_command)
