"""One reader of a service's Prometheus page (``/metrics``), parsed by prometheus_client."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from prometheus_client.parser import text_string_to_metric_families

__all__ = ["sample"]


def sample(
    base_url: str,
    name: str,
    labels: Mapping[str, str] | None = None,
    default: float | None = None,
) -> float:
    """The value of sample ``name`` (``…_total`` for a counter) at ``base_url``/metrics, summed
    over the label sets that hold ``labels``; ``default`` when there is none (else an error)."""
    text = httpx.get(f"{base_url.rstrip('/')}/metrics", timeout=5).text
    wanted = dict(labels or {})
    values = [
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in wanted.items())
    ]
    if values:
        return float(sum(values))
    if default is None:
        raise AssertionError(f"no sample {name}{wanted or ''} at {base_url}/metrics")
    return default
