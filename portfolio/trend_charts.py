"""The trends drawn as SVG on the server: geometry, links to the pilots behind each
point and a line saying what changed. Markup in templates/portfolio/_trends.html."""

from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse

from portfolio.models import Outcome, Stage

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 600, 170, 40, 10, 10, 22


def _pilots_link(day, **filters) -> str:
    query = urlencode({"as_of": day.isoformat(), **filters})
    return f"{reverse('dashboard')}?{query}#pilots"


def _decisions_link(point) -> str:
    query = urlencode({"start": point["first"].isoformat(), "end": point["last"].isoformat()})
    return f"{reverse('board_report')}?{query}#decisions-title"


def _columns(points: list[dict]) -> tuple[float, float]:
    step = (WIDTH - LEFT - RIGHT) / max(len(points), 1)
    return step, round(step * 0.7, 1)


def _scale(top: float):
    top = top or 1.0
    inner = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return round(TOP + inner - float(value) / top * inner, 1)

    return y


def _frame(points: list[dict], top: float) -> dict:
    step, _ = _columns(points)
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "baseline_y": HEIGHT - BOTTOM,
        "top_label": f"{top:,.0f}",
        "months": [
            {"x": round(LEFT + step * (i + 0.5), 1), "label": p["last"].strftime("%b")}
            for i, p in enumerate(points)
        ],
    }


def stacked_chart(points: list[dict], series: list[tuple[str, str]], values, link) -> dict:
    """A bar per month, one segment per series (key, label): `values(point)` gives
    {key: value}, `link(point, key)` the pilots behind a segment."""
    top = max((sum(values(p).values()) for p in points), default=0) or 1
    step, width = _columns(points)
    inner = HEIGHT - TOP - BOTTOM
    columns = []
    for i, point in enumerate(points):
        y, segments = HEIGHT - BOTTOM, []
        for index, (key, label) in enumerate(series):
            value = values(point)[key]
            height = round(value / top * inner, 1)
            y = round(y - height, 1)
            if value:
                segments.append(
                    {
                        "x": round(LEFT + step * i + (step - width) / 2, 1),
                        "y": y,
                        "width": width,
                        "height": height,
                        "index": index,
                        "href": link(point, key),
                        "text": f"{point['last']:%B %Y}: {value} {label}",
                    }
                )
        columns.append(segments)
    return {"kind": "stacked", **_frame(points, top), "columns": columns, "series": series}


def line_chart(points: list[dict], series: list[tuple[str, str]], link) -> dict:
    """A line per series (key, label) through the months; a month without a value
    leaves a gap. `link(point, key)` is where a point leads."""
    numbers = [float(p[key]) for p in points for key, _ in series if p[key] is not None]
    top = max(numbers, default=0) or 1
    y = _scale(top)
    step, _ = _columns(points)
    lines = []
    for index, (key, label) in enumerate(series):
        marks = [
            {
                "x": round(LEFT + step * (i + 0.5), 1),
                "y": y(point[key]),
                "href": link(point, key),
                "text": f"{point['last']:%B %Y}: {label} {_shown(point[key])}",
            }
            for i, point in enumerate(points)
            if point[key] is not None
        ]
        path = " ".join(f"{m['x']},{m['y']}" for m in marks)
        lines.append({"index": index, "label": label, "path": path, "marks": marks})
    return {"kind": "line", **_frame(points, top), "lines": lines, "series": series}


def _shown(value) -> str:
    if isinstance(value, Decimal | float):
        return f"{value:,.0f}"
    return str(value)


def change_line(label: str, points: list[dict], key: str, *, back: int = 3) -> str:
    """What changed: "median days awaiting decision: 69, down from 94 a quarter ago"."""
    values = [p[key] for p in points]
    if not values or values[-1] is None:
        return f"{label}: no figure for {points[-1]['last']:%B %Y}." if points else ""
    now = values[-1]
    earlier_index = max(len(values) - 1 - back, 0)
    before = values[earlier_index]
    when = {3: "a quarter ago", 1: "a month ago"}.get(len(values) - 1 - earlier_index)
    when = when or f"on {points[earlier_index]['last']:%-d %B %Y}"
    if before is None or earlier_index == len(values) - 1:
        return f"{label}: {_shown(now)}."
    if now == before:
        return f"{label}: {_shown(now)}, as {when}."
    direction = "up" if now > before else "down"
    return f"{label}: {_shown(now)}, {direction} from {_shown(before)} {when}."


def _at(key_filters):
    """A link to the pilots behind a point: the dashboard as of the point's day,
    filtered by `key_filters(key)`."""
    return lambda point, key: _pilots_link(point["last"], **key_filters(key))


def _stages_trend(points: list[dict]) -> dict:
    stages = [(s.value, s.label.lower()) for s in Stage]
    live = [{"last": p["last"], "v": p["stages"][Stage.IN_PRODUCTION]} for p in points]
    return {
        "id": "trend-stages",
        "title": "Pilots by stage",
        "chart": stacked_chart(
            points, stages, lambda p: p["stages"], _at(lambda key: {"stage": key})
        ),
        "summary": change_line("Pilots in production", live, "v"),
    }


def _decisions_trend(points: list[dict]) -> dict:
    outcomes = [(o.value, o.label.lower()) for o in Outcome]
    return {
        "id": "trend-decisions",
        "title": "Decisions taken, by outcome",
        "chart": stacked_chart(
            points, outcomes, lambda p: p["decisions"], lambda p, key: _decisions_link(p)
        ),
        "summary": change_line("Decisions taken in the month", points, "decisions_total"),
    }


# The line trends: id, title, series (key, label), the filters behind a point.
LINE_TRENDS = [
    (
        "trend-decision-rate",
        "Decision rate and median days awaiting decision",
        [
            ("decision_rate", "decision rate (%)"),
            ("median_days_awaiting", "median days awaiting decision"),
        ],
        lambda key: {"stage": Stage.AWAITING_DECISION, "sort": "days"},
    ),
    (
        "trend-stalls",
        "Stalled and drifting pilots",
        [("stalled", "stalled"), ("drifting", "drifting")],
        lambda key: {"state": key},
    ),
    (
        "trend-production",
        "Median days from pilot start to production, of the pilots gone live that month",
        [("median_days_to_production", "median days from start to production")],
        lambda key: {"stage": Stage.IN_PRODUCTION},
    ),
    (
        "trend-value",
        "In production with measured post-launch value",
        [("measured_value", "with measured value"), ("in_production", "in production")],
        lambda key: {"value": "measured"} if key == "measured_value" else {"stage": key},
    ),
    (
        "trend-costs",
        "Production-transition cost committed against pilot cost",
        [("cost_transition", "production-transition cost"), ("cost_pilot", "pilot cost")],
        None,
    ),
]


def _line_trend(points: list[dict], trend_id, title, series, key_filters) -> dict:
    if key_filters is None:  # the cost table of that day
        link = lambda p, key: f"{reverse('dashboard')}?as_of={p['last'].isoformat()}#costs"  # noqa: E731
    else:
        link = _at(key_filters)
    if trend_id == "trend-costs" and points:
        title += f" ({points[-1]['cost_currency']}"
        others = points[-1]["cost_other_currencies"]
        title += f"; {', '.join(others)} left out, never converted)" if others else ")"
    return {
        "id": trend_id,
        "title": title,
        "chart": line_chart(points, series, link),
        "summary": " ".join(
            change_line(label[0].upper() + label[1:], points, key) for key, label in series
        ),
    }


def trend_charts(points: list[dict]) -> list[dict]:
    """The trends the dashboard and the board report show, each with its summary."""
    if not points:
        return []
    return [
        _stages_trend(points),
        _decisions_trend(points),
        *(_line_trend(points, *spec) for spec in LINE_TRENDS),
    ]
