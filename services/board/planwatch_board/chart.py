"""Server-side SVG chart: observed values, the planned path, targets and the projection."""

from __future__ import annotations

from datetime import datetime
from html import escape

from planwatch.domain.model import CatalogEntry

__all__ = ["trajectory_svg"]

W, H, PAD = 720, 320, 48


def trajectory_svg(
    entry: CatalogEntry,
    observations: list[tuple[datetime, float]],
    projected: float | None,
    projected_year: int | None,
) -> str:
    years_obs = [
        (t.year + (t.timetuple().tm_yday / 366) if t.month != 12 else float(t.year), v)
        for t, v in observations
    ]
    targets = [(float(t.year), t.value, t.tier.value if t.tier else "none") for t in entry.targets]
    base = [(float(entry.baseline.year), entry.baseline.value)] if entry.baseline else []
    start = base[0] if base else (years_obs[0] if years_obs else None)
    xs = [x for x, _ in years_obs] + [x for x, _, _ in targets] + [x for x, _ in base]
    ys = [y for _, y in years_obs] + [y for _, y, _ in targets] + [y for _, y in base]
    if projected is not None and projected_year is not None:
        xs.append(float(projected_year))
        ys.append(projected)
    if not xs:
        return "<svg></svg>"
    x0, x1 = min(xs) - 0.5, max(xs) + 0.5
    y0, y1 = min(0.0, min(ys)), max(ys) * 1.1 or 1.0

    def px(x: float) -> float:
        return PAD + (x - x0) / (x1 - x0) * (W - 2 * PAD)

    def py(y: float) -> float:
        return H - PAD - (y - y0) / (y1 - y0) * (H - 2 * PAD)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" '
        f'height="{H}" role="img" aria-label="{escape(entry.indicator_simplified)}">',
        f'<rect width="{W}" height="{H}" fill="#ffffff"/>',
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#57606a"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="#57606a"/>',
    ]
    for year in range(int(x0 + 0.5), int(x1) + 1):
        parts.append(
            f'<text x="{px(year):.1f}" y="{H - PAD + 18}" font-size="12" '
            f'text-anchor="middle" fill="#57606a">{year}</text>'
        )
    for frac in (0, 0.5, 1):
        value = y0 + (y1 - y0) * frac
        parts.append(
            f'<text x="{PAD - 6}" y="{py(value) + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="#57606a">{value:,.4g}</text>'
        )
    colours = {"binding": "#cf222e", "expected": "#0969da", "none": "#cf222e"}
    for x, y, tier in targets:
        if start is not None:  # the planned path from the baseline to each target
            parts.append(
                f'<line class="planned" x1="{px(start[0]):.1f}" y1="{py(start[1]):.1f}" '
                f'x2="{px(x):.1f}" y2="{py(y):.1f}" stroke="{colours[tier]}" '
                f'stroke-dasharray="6 4" stroke-width="2"/>'
            )
        parts.append(
            f'<circle class="target" cx="{px(x):.1f}" cy="{py(y):.1f}" r="7" '
            f'fill="none" stroke="{colours[tier]}" stroke-width="3"/>'
        )
    if len(years_obs) > 1:
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in years_obs)
        parts.append(
            f'<polyline class="observed" points="{path}" fill="none" stroke="#24292f" '
            f'stroke-width="3"/>'
        )
    for x, y in years_obs:
        parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="4" fill="#24292f"/>')
    if projected is not None and projected_year is not None and years_obs:
        lx, ly = years_obs[-1]
        parts.append(
            f'<line class="projected" x1="{px(lx):.1f}" y1="{py(ly):.1f}" '
            f'x2="{px(projected_year):.1f}" y2="{py(projected):.1f}" stroke="#8250df" '
            f'stroke-dasharray="2 4" stroke-width="3"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
