"""Reading an inventory file: its encoding, its header and its rows, and the report of
what was found."""

import csv
import io
import re
from dataclasses import dataclass, field

COLUMNS = [
    "reference",
    "title",
    "business_unit",
    "stage",
    "stage_entered_on",
    "deployment_owner_email",
    "sponsor_email",
    "delivery_owner_email",
    "decision_maker_email",
    "risk_owner_email",
    "risk_tier",
    "pilot_start",
    "pilot_end_planned",
    "success_metric",
    "metric_unit",
    "baseline",
    "target",
    "direction",
    "summary",
]


REQUIRED = ["title", "business_unit", "stage"]


EMAIL_COLUMNS = {
    "deployment_owner_email": "deployment_owner",
    "sponsor_email": "sponsor",
    "delivery_owner_email": "delivery_owner",
    "decision_maker_email": "decision_maker",
    "risk_owner_email": "risk_owner",
}


DATE_COLUMNS = ["stage_entered_on", "pilot_start", "pilot_end_planned"]


XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # the binary Excel 97-2003 format (an OLE file)


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.column}: {self.problem}"


@dataclass
class ImportReport:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    read_from: str = ""  # a workbook's sheet
    date_order: str = ""  # the order slash and dot dates were read in, if any
    date_note: str = ""  # that order, and why, for the person

    @property
    def flagged(self) -> list[Problem]:
        """The pilots imported with an incomplete charter."""
        return [warning for warning in self.warnings if warning.column == "charter"]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Row:
    line: int
    values: dict = field(default_factory=dict)


def column_key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


# A UTF-8 multibyte character: a lead byte and its continuation bytes. A file that has
# one was written as UTF-8, even if another of its bytes is broken.
UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def decode(data: bytes, report: ImportReport) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark) when it decodes as
    UTF-8; the Windows code page, which spreadsheet programs on Windows save "CSV" in,
    only when it does not AND holds no UTF-8 character; otherwise refused, naming the
    line of the first broken byte, never decoded into garbled letters."""
    if data.startswith(XLS_MAGIC):
        report.problems.append(
            Problem(
                1,
                "file",
                "is an Excel 97-2003 workbook (.xls): save it as an Excel workbook (.xlsx) "
                "or as CSV, then import that",
            )
        )
        return ""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if not UTF8_MULTIBYTE.search(data):
            return data.decode("cp1252", errors="replace")
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start]
        report.problems.append(
            Problem(
                line,
                "file",
                f"the file is not valid UTF-8 (byte 0x{byte:02X}); save it as UTF-8 (CSV UTF-8)",
            )
        )
        return ""


def check_header(header: list[str], report: ImportReport, line: int = 1) -> None:
    """The required columns are there, none twice; unknown ones are warned about."""
    for name in REQUIRED:
        if name not in header:
            report.problems.append(Problem(line, name, "required column is missing"))
    for name in sorted({h for h in header if header.count(h) > 1 and h}):
        report.problems.append(Problem(line, name, "column appears more than once"))
    for name in header:
        if name and name not in COLUMNS:
            report.warnings.append(Problem(line, name, "unknown column, ignored"))


def read_rows(text: str, report: ImportReport) -> tuple[list[str], list[Row]]:
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        report.problems.append(Problem(1, "header", "the file is empty or has no header row"))
        return [], []
    first = lines[0]
    delimiter = max([",", ";", "\t"], key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [column_key(name) for name in next(reader)]
    check_header(header, report)
    rows = []
    previous_end = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a cell longer than the csv module reads
            report.problems.append(Problem(previous_end + 1, "row", f"cannot be read: {exc}"))
            break
        line, previous_end = previous_end + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            report.problems.append(
                Problem(line, "row", f"has {len(cells)} cells, the header has {len(header)}")
            )
            continue
        values = {
            name: cell.strip() for name, cell in zip(header, cells, strict=False) if name in COLUMNS
        }
        rows.append(Row(line=line, values=values))
    return header, rows
