"""Bar charts drawn as SVG on the server: geometry here, markup in
templates/portfolio/_bar_chart.html."""

from datetime import date
from decimal import Decimal

from portfolio.models import CostCategory

LABEL_WIDTH = 34  # percent of the chart's width given to the labels
BAR_SPACE = 44  # percent of the width the longest bar takes: room is left for its value
BAR_HEIGHT = 18
GAP = 8


def bar_chart(
    items: list[tuple[str, list[int | Decimal], str]], *, series: list[str] | None = None
) -> dict:
    """Geometry of a bar chart: one row per item, one bar per series in a row.

    `items` are (label, values, link); every bar's length is relative to the
    largest value of the chart.
    """
    series = series or [""]
    top = max((value for _, values, _ in items for value in values), default=0) or 1
    rows, y = [], 0
    for label, values, href in items:
        bars = []
        for index, value in enumerate(values):
            width = round(float(value) / float(top) * BAR_SPACE, 2)
            bars.append(
                {
                    "series": series[index],
                    "index": index,
                    "value": value,
                    "y": y + index * BAR_HEIGHT,
                    "text_y": y + index * BAR_HEIGHT + BAR_HEIGHT - 5,
                    "width": width,
                    "value_x": round(LABEL_WIDTH + width + 1, 2),
                }
            )
        rows.append({"label": label, "href": href, "label_y": y + BAR_HEIGHT - 5, "bars": bars})
        y += len(values) * BAR_HEIGHT + GAP
    return {"rows": rows, "height": max(y - GAP, 0), "bar_x": LABEL_WIDTH, "series": series}


def dashboard_charts(figures: dict, *, query: str = "") -> dict:
    """The dashboard's charts from `selectors.dashboard_figures`; bars link to pilots
    (`query` leads each link, e.g. "as_of=2026-03-31&"); one cost chart per currency."""
    return {
        "funnel": bar_chart(
            [
                (stage.label, [n], f"?{query}stage={stage.value}#pilots")
                for stage, n in figures["by_stage"]
            ]
        ),
        "stall_ages": bar_chart(
            [
                (label, [n], f"?{query}state=stalled&sort=days#pilots")
                for label, n in figures["stall_ages"]
            ]
        ),
        "costs": [
            {"currency": entry["currency"], "chart": _cost_chart(entry["by_category"])}
            for entry in figures["costs"]
        ],
    }


def _cost_chart(costs: dict[str, dict]) -> dict:
    """Pilot against transition cost per category, in one currency."""
    return bar_chart(
        [
            (
                category.label,
                [costs[category]["pilot"], costs[category]["transition"]],
                "#costs",
            )
            for category in CostCategory
        ],
        series=["pilot", "transition"],
    )


LINE_WIDTH, LINE_HEIGHT, LINE_PAD = 300, 120, 12


def metric_chart(
    readings: list[tuple[date, Decimal]], *, baseline: Decimal | None, target: Decimal | None
) -> dict | None:
    """Geometry of a small line chart of a metric's readings, with its baseline and
    target as horizontal lines (coordinates in a 300 x 120 viewBox); None without
    readings. The markup (templates/portfolio/pilot/brief.html) states it in words too."""
    if not readings:
        return None
    values = [float(value) for _, value in readings]
    marks = [float(v) for v in (baseline, target) if v is not None]
    low, high = min(values + marks), max(values + marks)
    span = (high - low) or 1.0

    def y(value: float) -> float:
        share = (value - low) / span
        return round(LINE_HEIGHT - LINE_PAD - share * (LINE_HEIGHT - 2 * LINE_PAD), 1)

    step = (LINE_WIDTH - 2 * LINE_PAD) / max(len(values) - 1, 1)
    points = [
        {"x": round(LINE_PAD + index * step, 1), "y": y(value), "on": on, "value": raw}
        for index, ((on, raw), value) in enumerate(zip(readings, values, strict=True))
    ]
    return {
        "width": LINE_WIDTH,
        "height": LINE_HEIGHT,
        "points": points,
        "path": " ".join(f"{p['x']},{p['y']}" for p in points),
        "baseline_y": None if baseline is None else y(float(baseline)),
        "target_y": None if target is None else y(float(target)),
    }
