"""Plan exports to CSV and XLSX: the tree with its figures and the months.

Text cells that a spreadsheet would run as a formula (starting with = + - @ tab or CR) get a leading
apostrophe (opencmo.core.exports.safe_cell) in both formats. Numbers stay numbers: in CSV they are
written as plain decimals (so a negative variance is not mistaken for a formula and escaped), in XLSX as
numeric cells with a money format.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse
from django.utils.text import slugify

from opencmo.budget.selectors import PlanFigures
from opencmo.core.exports import safe_cell

NUMBER = (Decimal, int)


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, NUMBER):
        return value
    return safe_cell(value)


def _path(figures: PlanFigures, row) -> str:
    names, line = [], row.line
    parents = {r.pk: r.line for r in figures.rows}
    while line is not None:
        names.append(line.name)
        line = parents.get(line.parent_id)
    return " / ".join(reversed(names))


def plan_table(figures: PlanFigures) -> tuple[list[str], list[list]]:
    """One row per line: the figures, then planned and actual per month."""
    months = figures.months
    header = [
        "Line",
        "Path",
        "Level",
        "Objective",
        "Channel",
        "Campaign",
        "Accountable",
        "Amount",
        "Reserve",
        "Committed",
        "Actual",
        "Forecast",
        "Variance",
        "% used",
        *[f"Planned {m:%Y-%m}" for m in months],
        *[f"Forecast {m:%Y-%m}" for m in months],
        *[f"Committed {m:%Y-%m}" for m in months],
        *[f"Actual {m:%Y-%m}" for m in months],
    ]
    rows = []
    for row in figures.rows:
        line, p = row.line, row.pacing
        rows.append(
            [
                line.name,
                _path(figures, row),
                line.get_level_display(),
                line.objective.title if line.objective_id else "",
                line.channel.name if line.channel_id else "",
                line.campaign.name if line.campaign_id else "",
                line.accountable.name if line.accountable_id else "",
                row.amount,
                row.reserve,
                row.committed,
                row.actual,
                row.landing,
                row.variance,
                row.pct_used_percent,
                *[m.planned for m in p.months],
                *[m.expected for m in p.months],
                *[m.committed for m in p.months],
                *[m.actual for m in p.months],
            ]
        )
    return header, rows


def csv_download(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # BOM: Excel then reads UTF-8 (Nordic letters) correctly
    writer = csv.writer(response)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return response


def filename(figures: PlanFigures, ext: str) -> str:
    return f"budget-{slugify(figures.plan.name) or figures.plan.pk}.{ext}"


def plan_csv(figures: PlanFigures) -> HttpResponse:
    header, rows = plan_table(figures)
    return csv_download(filename(figures, "csv"), header, rows)


def plan_xlsx_bytes(figures: PlanFigures) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    money = book.add_format({"num_format": "#,##0.00"})
    bold = book.add_format({"bold": True, "bg_color": "#E8F0F8", "border": 1})
    header, rows = plan_table(figures)
    sheet = book.add_worksheet("Plan")
    sheet.freeze_panes(1, 1)
    sheet.write_row(0, 0, [safe_cell(h) for h in header], bold)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            _write(sheet, r, c, value, money)
    sheet.set_column(0, 0, 32)
    sheet.set_column(1, 1, 48)
    sheet.set_column(2, 6, 16)
    sheet.set_column(7, len(header) - 1, 14)

    months = book.add_worksheet("Months")
    months.freeze_panes(1, 0)
    cols = ["Line", "Month", "Planned", "Forecast", "Committed", "Actual", "Variance"]
    months.write_row(0, 0, cols, bold)
    r = 1
    for row in figures.rows:
        for m in row.pacing.months:
            values = [
                row.line.name,
                f"{m.month:%Y-%m}",
                m.planned,
                m.expected,
                m.committed,
                m.actual,
                m.variance,
            ]
            for c, value in enumerate(values):
                _write(months, r, c, value, money)
            r += 1
    months.set_column(0, 0, 32)
    months.set_column(1, 6, 14)
    book.set_properties(
        {"title": safe_cell(f"Budget {figures.plan.name}"), "comments": "Exported from OpenCMO"}
    )
    book.close()
    return buffer.getvalue()


def _write(sheet, r: int, c: int, value, money) -> None:
    if value is None or value == "":
        sheet.write_blank(r, c, None)
    elif isinstance(value, NUMBER) and not isinstance(value, bool):
        sheet.write_number(r, c, value, money)  # xlsx stores numbers as IEEE doubles
    else:
        sheet.write_string(r, c, safe_cell(value))


def plan_xlsx(figures: PlanFigures) -> HttpResponse:
    response = HttpResponse(
        plan_xlsx_bytes(figures),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename(figures, "xlsx")}"'
    return response
