"""Server-side SVG chart of one indicator: observed, planned per tier, targets, projection."""

from __future__ import annotations

from html import escape

from planwatch_board.views import IndicatorPage

__all__ = ["COLOURS", "trajectory_svg"]

W, H, LEFT, RIGHT, TOP, BOTTOM = 760, 340, 64, 24, 40, 40
COLOURS = {
    "observed": "#24292f",
    "binding": "#cf222e",
    "expected": "#0969da",
    "none": "#bf3989",
    "projection": "#8250df",
    "axis": "#57606a",
    "grid": "#eaeef2",
}
TIER_ZH = {"binding": "约束值", "expected": "预期值", "none": "目标"}


def _nice_top(value: float) -> float:
    """A round upper bound for the value axis (1, 1.5, 2 … 8 × 10^n)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** len(str(int(value))) / 10 if value >= 1 else 1.0
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * magnitude >= value:
            return step * magnitude
    return value


def trajectory_svg(page: IndicatorPage) -> str:
    entry = page.entry
    targets = [(float(t.year), t.value, t.tier.value if t.tier else "none") for t in entry.targets]
    points = [*page.observed, *(p for path in page.planned.values() for p in path)]
    points += [(x, y) for x, y, _ in targets]
    if page.projection:
        points.append(page.projection[1])
    xs, ys = [x for x, _ in points], [y for _, y in points]
    x0, x1 = min(xs) - 0.5, max(xs) + 0.5
    y0 = min(0.0, min(ys))
    y1 = _nice_top(max(ys) * 1.05)

    def px(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * (W - LEFT - RIGHT)

    def py(y: float) -> float:
        return H - BOTTOM - (y - y0) / (y1 - y0) * (H - TOP - BOTTOM)

    label = escape(f"{entry.indicator_simplified} ({entry.unit})")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" '
        f'height="{H}" role="img" aria-label="{label}">',
        f'<rect width="{W}" height="{H}" fill="#ffffff"/>',
    ]
    for i in range(5):  # value grid and labels
        value = y0 + (y1 - y0) * i / 4
        out.append(
            f'<line x1="{LEFT}" y1="{py(value):.1f}" x2="{W - RIGHT}" y2="{py(value):.1f}" '
            f'stroke="{COLOURS["grid"]}"/>'
            f'<text x="{LEFT - 6}" y="{py(value) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="{COLOURS["axis"]}">{value:,.4g}</text>'
        )
    for year in range(int(x0 + 0.5), int(x1) + 1):
        out.append(
            f'<text x="{px(year):.1f}" y="{H - BOTTOM + 18}" font-size="12" '
            f'text-anchor="middle" fill="{COLOURS["axis"]}">{year}</text>'
        )
    out.append(
        f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" '
        f'stroke="{COLOURS["axis"]}"/>'
    )
    for tier, path in page.planned.items():
        line = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in path)
        out.append(
            f'<polyline class="planned {tier}" points="{line}" fill="none" '
            f'stroke="{COLOURS[tier]}" stroke-dasharray="6 4" stroke-width="2"/>'
        )
    for x, y, tier in targets:
        out.append(
            f'<circle class="target {tier}" cx="{px(x):.1f}" cy="{py(y):.1f}" r="7" fill="none" '
            f'stroke="{COLOURS[tier]}" stroke-width="3"><title>{x:.0f} {TIER_ZH[tier]} '
            f"{y:g}</title></circle>"
        )
    if page.projection:
        (ax, ay), (bx, by) = page.projection
        out.append(
            f'<line class="projection" x1="{px(ax):.1f}" y1="{py(ay):.1f}" x2="{px(bx):.1f}" '
            f'y2="{py(by):.1f}" stroke="{COLOURS["projection"]}" stroke-dasharray="2 4" '
            f'stroke-width="3"/>'
        )
    if len(page.observed) > 1:
        line = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in page.observed)
        out.append(
            f'<polyline class="observed" points="{line}" fill="none" '
            f'stroke="{COLOURS["observed"]}" stroke-width="3"/>'
        )
    for x, y in page.observed:
        out.append(
            f'<circle class="observation" cx="{px(x):.1f}" cy="{py(y):.1f}" r="4.5" '
            f'fill="{COLOURS["observed"]}"><title>{y:g}</title></circle>'
        )
    legend = [("observed", "实际值", "")]
    legend += [(tier, f"规划路径（{TIER_ZH[tier]}）", "6 4") for tier in page.planned]
    if page.projection:
        legend.append(("projection", "趋势预测", "2 4"))
    for i, (key, text, dash) in enumerate(legend):
        x = LEFT + i * 150
        out.append(
            f'<line x1="{x}" y1="18" x2="{x + 24}" y2="18" stroke="{COLOURS[key]}" '
            f'stroke-width="3" stroke-dasharray="{dash}"/>'
            f'<text x="{x + 30}" y="22" font-size="12" fill="{COLOURS["axis"]}">{text}</text>'
        )
    out.append("</svg>")
    return "".join(out)
