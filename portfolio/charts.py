"""Bar charts drawn as SVG on the server: geometry here, markup in
templates/portfolio/_bar_chart.html."""

from decimal import Decimal

from portfolio.models import CostCategory

LABEL_WIDTH = 34  # percent of the chart's width given to the labels
BAR_SPACE = 52  # percent of the width the longest bar takes
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


def dashboard_charts(figures: dict) -> dict:
    """The dashboard's charts from `selectors.dashboard_figures`; bars link to pilots."""
    costs = figures["costs"]
    return {
        "funnel": bar_chart(
            [(stage.label, [n], f"?stage={stage.value}#pilots") for stage, n in figures["by_stage"]]
        ),
        "stall_ages": bar_chart(
            [(label, [n], "?state=stalled&sort=days#pilots") for label, n in figures["stall_ages"]]
        ),
        "costs": bar_chart(
            [
                (
                    category.label,
                    [costs[category]["pilot"], costs[category]["transition"]],
                    "#costs",
                )
                for category in CostCategory
            ],
            series=["pilot", "transition"],
        ),
    }
