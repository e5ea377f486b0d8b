"""The board report as a PDF, drawn with ReportLab (pure Python, from PyPI alone) from
the same report as the page (`selectors.period.board_period` and the trends' geometry
of `portfolio.trend_charts`): the same sections, figures and words."""

from decimal import Decimal
from io import BytesIO

from django.utils.formats import number_format
from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from portfolio.selectors.cohorts import OUTCOMES

SEGMENT_COLOURS = ["#b9c3cf", "#4a6fb5", "#e0a100", "#7fb37f", "#2e7d32", "#9e9e9e", "#8e6bb0"]
LINE_COLOURS = ["#2e4fa3", "#c77c02"]
STYLES = getSampleStyleSheet()
TABLE_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def shown(value) -> str:
    """A figure as the page shows it (`floatformat:"0g"`), "–" when unknown."""
    if value is None:
        return "–"
    if isinstance(value, Decimal | float):
        value = round(value)
    return number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True)


def _change(value) -> str:
    if value is None:
        return "–"
    return f"+{shown(value)}" if value > 0 else shown(value)


def _text(value: str) -> Paragraph:
    return Paragraph(str(value).replace("&", "&amp;").replace("<", "&lt;"), STYLES["BodyText"])


def _table(head: list[str], rows: list[list], widths: list[float]) -> Table:
    cells = [
        head,
        *[[_text(c) if isinstance(c, str) and len(c) > 30 else c for c in r] for r in rows],
    ]
    table = Table(cells, colWidths=[w * mm for w in widths], repeatRows=1, hAlign="LEFT")
    table.setStyle(TABLE_STYLE)
    return table


def _chart(chart: dict, scale: float = 0.8) -> Drawing:
    """The trend chart's SVG geometry drawn again (ReportLab's y grows upwards)."""
    height = chart["height"]
    drawing = Drawing(chart["width"] * scale, height * scale)

    def y(value: float) -> float:
        return (height - value) * scale

    drawing.add(
        Line(
            chart["left"] * scale,
            y(chart["baseline_y"]),
            chart["width"] * scale,
            y(chart["baseline_y"]),
            strokeColor=colors.grey,
        )
    )
    drawing.add(String(0, y(14), chart["top_label"], fontSize=7, fillColor=colors.grey))
    for month in chart["months"]:
        drawing.add(
            String(
                month["x"] * scale,
                2,
                month["label"],
                fontSize=7,
                textAnchor="middle",
                fillColor=colors.grey,
            )
        )
    if chart["kind"] == "stacked":
        for column in chart["columns"]:
            for seg in column:
                drawing.add(
                    Rect(
                        seg["x"] * scale,
                        y(seg["y"] + seg["height"]),
                        seg["width"] * scale,
                        seg["height"] * scale,
                        strokeWidth=0,
                        fillColor=colors.HexColor(SEGMENT_COLOURS[seg["index"] % 7]),
                    )
                )
    else:
        for line in chart["lines"]:
            colour = colors.HexColor(LINE_COLOURS[line["index"] % 2])
            points = [v for m in line["marks"] for v in (m["x"] * scale, y(m["y"]))]
            if len(points) >= 4:
                drawing.add(PolyLine(points, strokeColor=colour, strokeWidth=1.5))
    return drawing


def _legend(chart: dict) -> str:
    return "Key: " + ", ".join(label for _, label in chart["series"])


def _trends(trends: list[dict]) -> list[Flowable]:
    flowables = [Paragraph("Month by month", STYLES["Heading2"])]
    for trend in trends:
        flowables.append(
            KeepTogether(
                [
                    Paragraph(trend["title"], STYLES["Heading3"]),
                    _chart(trend["chart"]),
                    Paragraph(_legend(trend["chart"]), STYLES["BodyText"]),
                    Paragraph(trend["summary"], STYLES["BodyText"]),
                ]
            )
        )
    return flowables


def _day(day) -> str:
    return f"{day:%-d %b %Y}"


def _headlines(report: dict) -> list[Flowable]:
    figures = report["figures"]
    flowables = [
        Paragraph(
            f"The portfolio on {report['end']:%-d %B %Y}, against {report['start']:%-d %B %Y}",
            STYLES["Heading2"],
        )
    ]
    if figures.get("gates_recorded_on") and figures["counts"]["passed_all"] is not None:
        flowables.append(
            Paragraph(
                "Gate figures as recorded by the daily snapshot of "
                f"{figures['gates_recorded_on']:%-d %B %Y}.",
                STYLES["BodyText"],
            )
        )
    rows = [
        [row["label"].strip(), shown(row["start"]), shown(row["end"]), _change(row["change"])]
        for row in report["headlines"]
    ]
    flowables.append(
        _table(["Figure", "At the start", "At the end", "Change"], rows, [80, 30, 30, 25])
    )
    return flowables


def _cohorts(report: dict) -> list[Flowable]:
    title = f"Cohorts: what became of the pilots started each quarter, by {_day(report['end'])}"
    rows = [
        [
            cohort["quarter"],
            str(cohort["started"]),
            *[
                f"{o['count']}"
                + ("" if o["median_days"] is None else f" ({o['median_days']} days)")
                for o in cohort["outcomes"]
            ],
        ]
        for cohort in report["cohorts"]
    ] or [["No pilot had started by then.", "", "", "", "", ""]]
    head = ["Started in", "Pilots", *[label for _, label in OUTCOMES]]
    return [Paragraph(title, STYLES["Heading2"]), _table(head, rows, [22, 14, 36, 30, 30, 28])]


def _decisions(report: dict) -> list[Flowable]:
    decisions, total = report["decisions"], report["totals"]["decisions"]
    title = f"Decisions taken from {_day(report['start'])} to {_day(report['end'])} ({total})"
    rows = [
        [
            _day(d.decided_on),
            _text(f"{d.pilot.title} ({d.pilot.business_unit})"),
            d.get_outcome_display(),
            _text(str(d.decided_by)),
            _text(d.rationale + (f" Conditions: {d.conditions}" if d.conditions else "")),
        ]
        for d in decisions
    ] or [["No decision was taken in this period.", "", "", "", ""]]
    return [
        Paragraph(title, STYLES["Heading2"]),
        *_more(
            f"The latest {len(decisions)} of {total}; every decision is in the portfolio export.",
            len(decisions),
            total,
        ),
        _table(["Date", "Pilot", "Outcome", "Decided by", "Rationale"], rows, [22, 45, 18, 30, 60]),
    ]


def _more(text: str, shown: int, total: int) -> list[Flowable]:
    """The line saying a list shows only part of its rows, as the page says it."""
    return [Paragraph(text, STYLES["BodyText"])] if total > shown else []


CHANGES = [
    ("became_stalled", "Became stalled", "No pilot became stalled."),
    ("cleared", "Stall cleared", "No stall was cleared."),
    ("went_live", "Went live", "No pilot went live."),
]


def _changes(report: dict) -> list[Flowable]:
    flowables = [Paragraph("What changed in the period", STYLES["Heading2"])]
    for key, title, empty in CHANGES:
        rows, total = report["changes"][key], report["totals"][key]
        flowables.append(Paragraph(f"{title} ({total})", STYLES["Heading3"]))
        flowables += _more(f"The latest {len(rows)} of {total}.", len(rows), total)
        if not rows:
            flowables.append(Paragraph(empty, STYLES["BodyText"]))
            continue
        cells = [
            [
                _day(day),
                _text(p.title),
                _text(str(p.business_unit)),
                _text(str(p.deployment_owner or "No owner")),
            ]
            for day, p in rows
        ]
        flowables.append(_table(["Date", "Pilot", "Unit", "Owner"], cells, [22, 70, 40, 40]))
    return flowables


def _stalls(report: dict) -> list[Flowable]:
    rows = [
        [
            _text(row["pilot"].title),
            _text(str(row["pilot"].business_unit)),
            _text(str(row["pilot"].deployment_owner or "No owner")),
            f"{'Stalled' if row['pilot'].is_stalled else 'Drifting'} {row['days']} days",
            _text("; ".join(row["signals"])),
        ]
        for row in report["stalls"]
    ] or [["No pilot is stalled or drifting.", "", "", "", ""]]
    shown, total = len(report["stalls"]), report["totals"]["stalls"]
    return [
        Paragraph(
            f"Stalled and drifting pilots on {_day(report['end'])} ({total})", STYLES["Heading2"]
        ),
        *_more(
            f"The {shown} longest overdue of {total}; the dashboard lists them all.", shown, total
        ),
        _table(["Pilot", "Unit", "Owner", "For", "Signals"], rows, [50, 30, 30, 28, 37]),
    ]


def _waivers(report: dict) -> list[Flowable]:
    waivers, total = report["figures"]["open_waivers"], report["totals"]["waivers"]
    title = f"Open waivers ({total}) on {_day(report['end'])}"
    if not waivers:
        return [
            Paragraph(title, STYLES["Heading2"]),
            Paragraph("No waiver is open.", STYLES["BodyText"]),
        ]
    rows = [
        [
            _text(w.pilot.title),
            _text(str(w.gate)),
            _text(w.condition),
            _text(str(w.owner)),
            _day(w.due_on) + (" overdue" if w.due_on < report["end"] else ""),
        ]
        for w in waivers
    ]
    return [
        Paragraph(title, STYLES["Heading2"]),
        *_more(f"The {len(waivers)} soonest due of {total}.", len(waivers), total),
        _table(["Pilot", "Gate", "Condition", "Owner", "Due"], rows, [40, 30, 50, 30, 25]),
    ]


def board_report_pdf_bytes(report: dict) -> bytes:
    """The board report of `report` (from `board_period`, with its `trends`) on A4."""
    buffer = BytesIO()
    title = f"Board report {_day(report['start'])} to {_day(report['end'])}"
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author="Pilotgate",
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
    )
    story = [
        Paragraph(title, STYLES["Title"]),
        *_headlines(report),
        *_trends(report["trends"]),
        *_cohorts(report),
        *_decisions(report),
        *_changes(report),
        *_stalls(report),
        *_waivers(report),
        Spacer(1, 4 * mm),
    ]
    document.build(story)
    return buffer.getvalue()
