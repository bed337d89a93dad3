"""Exports of a plan: a cell like =HYPERLINK(...) arrives escaped (leading apostrophe) in CSV and XLSX;
numbers stay numbers."""

import csv
import io
import re
import zipfile
from decimal import Decimal

import pytest

from opencmo.budget import exports, selectors, services

pytestmark = pytest.mark.django_db
EVIL = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def evil(tree):
    services.line_allocate(
        actor=tree.team.marta, parent=tree.root, level="other", name=EVIL, amount=Decimal("1234.5")
    )
    services.line_allocate(
        actor=tree.team.marta, parent=tree.root, level="other", name="+SUM(A1:A9)", amount=1
    )
    services.phasing_spread_evenly(actor=tree.team.marta, line=tree.email_line)
    return tree


def test_csv_escapes_formula_cells(client_for, evil):
    response = client_for(evil.team.marta).get(f"/w/acme/budget/plans/{evil.plan.pk}/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    names = [row[0] for row in rows[1:]]
    assert "'" + EVIL in names and "'+SUM(A1:A9)" in names
    assert all(not cell.startswith(("=", "+", "@", "\t", "\r")) for row in rows for cell in row)
    evil_row = next(row for row in rows if row[0] == "'" + EVIL)
    header = rows[0]
    assert evil_row[header.index("Amount")] == "1234.50"  # a number, not escaped text
    email_row = next(row for row in rows if row[0] == "Email")
    assert email_row[header.index("Planned 2026-01")] == "8333.34"
    variance = email_row[header.index("Variance")]
    assert re.fullmatch(r"-?\d+\.\d\d", variance)


def _sheet(data: bytes, number: int) -> tuple[str, list[str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet = book.read(f"xl/worksheets/sheet{number}.xml").decode()
        shared = (
            book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in book.namelist() else ""
        )
    strings = [re.sub(r"<[^>]+>", "", s) for s in re.findall(r"<si>(.*?)</si>", shared, re.S)]
    return sheet, strings


def test_xlsx_escapes_formula_cells_and_keeps_numbers(client_for, evil):
    response = client_for(evil.team.marta).get(f"/w/acme/budget/plans/{evil.plan.pk}/export.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet, strings = _sheet(response.content, 1)
    unescape = [s.replace("&quot;", '"').replace("&amp;", "&") for s in strings]
    assert "'" + EVIL in unescape and "'+SUM(A1:A9)" in unescape
    assert EVIL not in unescape
    assert "<f>" not in sheet  # no formula anywhere
    # Column H is the amount: numeric cells (no t="s" string type) holding the values.
    numbers = [Decimal(v) for v in re.findall(r'<c r="H\d+"(?: s="\d+")?><v>([^<]+)</v></c>', sheet)]
    assert Decimal("1234.5") in numbers and Decimal("1000000") in numbers
    months, _ = _sheet(response.content, 2)
    assert "<f>" not in months and months.count("<row ") > 12


def test_xlsx_bytes_from_figures_directly(evil):
    data = exports.plan_xlsx_bytes(selectors.plan_figures(evil.plan))
    assert data[:2] == b"PK"
