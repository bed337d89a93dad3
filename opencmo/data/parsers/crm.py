"""CRM contacts / leads (HubSpot or Salesforce exports, or any CSV/XLSX with an email column).

This parser only reads the table safely (encoding, delimiter, header, cell sizes) and hands rows keyed by
header to the CRM's importer (``opencmo.crm``), which understands HubSpot lifecycle stage names,
Salesforce lead statuses, consent columns and custom fields, and validates each value.
"""

from __future__ import annotations

from opencmo.data.parsers.common import (
    FileRejected,
    Parsed,
    TooManyProblems,
    check_cells,
    check_header,
    read_rows,
    sniff_delimiter,
    text_of,
)

KNOWN = ("email", "e-mail", "email address", "first name", "last name", "firstname", "lastname", "name")


def parse(data: bytes, *, default_currency: str = "") -> Parsed:
    parsed = Parsed(kind="crm_contacts")
    try:
        text = text_of(data)
        lines = text.splitlines()
        delimiter = sniff_delimiter(lines[:50])
        rows = read_rows(text, delimiter)
        while rows and not any(c.strip() for c in rows[0]):
            rows.pop(0)
        if not rows:
            raise FileRejected("The file has no header row.")
        header = [c.strip() for c in rows[0]]
        from opencmo.data.parsers.common import Table

        table = Table(header, 1, list(enumerate(rows[1:], start=2)), [], delimiter)
        positions = check_header(table, parsed)
        if not any(k in positions for k in KNOWN):
            parsed.problem(
                1, "", "No email or name column in the header (expected e.g. “Email”, “First Name”)."
            )
        out = []
        for line, cells in table.rows:
            if not any(c.strip() for c in cells):
                continue
            parsed.rows_read += 1
            if not check_cells(line, cells, header, parsed):
                continue
            out.append(
                {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header) if name}
            )
        if not out and not parsed.problems:
            parsed.problem(2, "", "The file has a header but no contacts.")
        parsed.tables["contacts"] = out
    except FileRejected as rejected:
        parsed.problems.append(rejected.problem)
    except TooManyProblems:
        parsed.notes.append("Stopped after 500 problems.")
    if parsed.problems:
        parsed.tables = {}
    return parsed
