"""Make the import's spreadsheet fixtures with a real spreadsheet program.

    python tests/portfolio/importer_fixtures/make_fixtures.py

needs LibreOffice (`soffice`; on Debian `apt-get install libreoffice-calc-nogui`) and
openpyxl. The generated files are committed: the tests read them and never run
LibreOffice.

For each of two inventories, `proven` (some day over 12, so its slash dates read one
way only) and `ambiguous` (every day 12 or less), it writes:

- `iso-<set>.csv`: the ISO-dated twin, written here as text;
- for each of three date styles, United States (`us`: 06/01/2026, en-US), United
  Kingdom (`uk`: 01/06/2026, en-GB) and Germany (`de`: 01.06.2026, de-DE):
  - `<style>-<set>.xlsx`: a workbook saved by LibreOffice Calc, its dates typed and
    shown in that style, its `target` a formula whose value Calc computed and saved;
  - `<style>-<set>.csv`: that workbook saved as CSV by Calc (dates as shown);
  - `<style>-<set>-from-csv.xlsx`: that CSV opened by Calc in the style's language
    (so Calc itself reads its dates) and saved as a workbook again.
"""

import csv
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

HERE = Path(__file__).resolve().parent

HEADER = [
    "reference",
    "title",
    "business_unit",
    "stage",
    "stage_entered_on",
    "deployment_owner_email",
    "sponsor_email",
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
DATES = {"stage_entered_on", "pilot_start", "pilot_end_planned"}


def pilot(reference, title, unit, stage, entered, owner, tier, start, end, metric, baseline):
    return {
        "reference": reference,
        "title": title,
        "business_unit": unit,
        "stage": stage,
        "stage_entered_on": entered,
        "deployment_owner_email": owner,
        "sponsor_email": "sam.sponsor@example.com",
        "risk_tier": tier,
        "pilot_start": start,
        "pilot_end_planned": end,
        "success_metric": metric,
        "metric_unit": "per week",
        "baseline": baseline,
        "target": baseline // 2,  # a formula in the workbooks: half the baseline
        "direction": "decrease",
        "summary": f"{title}: imported from a spreadsheet",
    }


INVENTORIES = {
    # 2026-09-30 and 2026-10-21: a day over 12 proves the order.
    "proven": [
        pilot(
            "CC-1",
            "Contact-centre assistant",
            "Customer service",
            "awaiting_decision",
            date(2026, 3, 1),
            "dana@example.com",
            "medium",
            date(2026, 1, 5),
            date(2026, 2, 28),
            "Hours of manual review",
            120,
        ),
        pilot(
            "FIN-7",
            "Finance cost-anomaly model",
            "Finance",
            "piloting",
            date(2026, 5, 1),
            "frank@example.com",
            "high",
            date(2026, 5, 1),
            date(2026, 9, 30),
            "Missed anomalies",
            40,
        ),
        pilot(
            "OPS-3",
            "Claims triage",
            "Operations",
            "proposed",
            date(2026, 10, 21),
            "olga@example.com",
            "low",
            date(2026, 11, 2),
            date(2027, 1, 15),
            "Claims waiting a day",
            300,
        ),
    ],
    # Every day is 12 or less (and never equal to its month): each date reads two ways.
    "ambiguous": [
        pilot(
            "CC-1",
            "Contact-centre assistant",
            "Customer service",
            "piloting",
            date(2026, 3, 1),
            "dana@example.com",
            "medium",
            date(2026, 1, 5),
            date(2026, 6, 1),
            "Hours of manual review",
            120,
        ),
        pilot(
            "FIN-7",
            "Finance cost-anomaly model",
            "Finance",
            "piloting",
            date(2026, 5, 2),
            "frank@example.com",
            "high",
            date(2026, 5, 2),
            date(2026, 9, 10),
            "Missed anomalies",
            40,
        ),
    ],
}

# style: (number format of the dates, LibreOffice's language id for reading the CSV)
STYLES = {"us": ("mm/dd/yyyy", 1033), "uk": ("dd/mm/yyyy", 2057), "de": ("dd.mm.yyyy", 1031)}


def write_iso_twin(name: str, rows: list[dict]) -> None:
    with open(HERE / f"iso-{name}.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        for row in rows:
            writer.writerow([row[c].isoformat() if c in DATES else row[c] for c in HEADER])


def write_source_workbook(path: Path, rows: list[dict], date_format: str) -> None:
    """The workbook as a person would type it, before Calc computes and saves it."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Pilots"
    sheet.append(HEADER)
    baseline = get_column_letter(HEADER.index("baseline") + 1)
    for line, row in enumerate(rows, start=2):
        sheet.append([f"={baseline}{line}/2" if c == "target" else row[c] for c in HEADER])
        for column in DATES:
            sheet.cell(row=line, column=HEADER.index(column) + 1).number_format = date_format
    book.save(path)


def soffice(profile: Path, outdir: Path, target: str, *files: Path, infilter: str = "") -> None:
    command = [
        "soffice",
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        *([f"--infilter={infilter}"] if infilter else []),
        "--convert-to",
        target,
        "--outdir",
        str(outdir),
        *map(str, files),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=300)


def main() -> None:
    if not shutil.which("soffice"):
        sys.exit("LibreOffice (soffice) is needed: apt-get install libreoffice-calc-nogui")
    with tempfile.TemporaryDirectory() as temp:
        work, profile = Path(temp) / "work", Path(temp) / "profile"
        work.mkdir()
        for name, rows in INVENTORIES.items():
            write_iso_twin(name, rows)
            for style, (date_format, language) in STYLES.items():
                stem = f"{style}-{name}"
                write_source_workbook(work / f"{stem}.xlsx", rows, date_format)
                # 1. Calc opens the workbook, computes its formulas, saves it.
                soffice(profile, HERE, "xlsx:Calc MS Excel 2007 XML", work / f"{stem}.xlsx")
                # 2. Calc saves that workbook as CSV, dates as they are shown.
                soffice(
                    profile, HERE, "csv:Text - txt - csv (StarCalc):44,34,76", HERE / f"{stem}.xlsx"
                )
                # 3. Calc opens the CSV in the style's language and saves a workbook.
                shutil.copy(HERE / f"{stem}.csv", work / f"{stem}-from-csv.csv")
                soffice(
                    profile,
                    HERE,
                    "xlsx:Calc MS Excel 2007 XML",
                    work / f"{stem}-from-csv.csv",
                    infilter=f"CSV:44,34,76,1,,{language}",
                )
    print("\n".join(sorted(path.name for path in HERE.glob("*.*") if path.suffix != ".py")))


if __name__ == "__main__":
    main()
