"""Shared parsing: bytes → text → a table of cells, with every problem named by row and column.

Everything here is pure (no Django, no database): a parser takes the file's bytes and returns a
:class:`Parsed` — validated rows ready for the store, or the list of problems. Row numbers are the
line numbers a user sees when opening the file in a spreadsheet (1-based, preamble and header counted).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

MAX_CELL = 10_000  # characters; longer cells are refused (a broken export or an attack)
MAX_PROBLEMS = 500  # stop collecting after this many: the file is clearly wrong
DELIMITERS = ",\t;"
MONEY_PLACES = Decimal("0.0001")
MONEY_LIMIT = Decimal("99999999999999.9999")  # DECIMAL(18,4)


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: ``row`` 0 means the file as a whole; ``column`` may be empty."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = "File" if not self.row else f"Row {self.row}"
        if self.column:
            where += f", column “{self.column}”"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


class TooManyProblems(Exception):
    pass


@dataclass
class Parsed:
    """A parser's answer: rows per store table (``ad_performance``, ``events``…), problems, notes."""

    kind: str
    tables: dict[str, list[dict]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0
    notes: list[str] = field(default_factory=list)
    currency: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, row: int, column: str, message: str) -> None:
        self.problems.append(Problem(row, column, message))
        if len(self.problems) >= MAX_PROBLEMS:
            raise TooManyProblems


class FileRejected(Exception):
    """The file as a whole cannot be read (encoding, format); carries one :class:`Problem`."""

    def __init__(self, message: str, row: int = 0, column: str = "") -> None:
        super().__init__(message)
        self.problem = Problem(row, column, message)


# --- text ---


def _encoding(data: bytes) -> tuple[bytes, str]:
    """The text's encoding, and the data without a UTF-8 BOM."""
    if not data:
        raise FileRejected("The file is empty.")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:], "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data, "utf-16"
    if len(data) >= 4 and data[1] == 0 and data[3] == 0 and data[0] != 0:
        return data, "utf-16-le"
    if len(data) >= 4 and data[0] == 0 and data[2] == 0 and data[1] != 0:
        return data, "utf-16-be"
    return data, "utf-8"


def _not_utf8(line: int, byte: int, position: int) -> FileRejected:
    return FileRejected(
        f"Line {line} is not UTF-8 text (byte 0x{byte:02X} at position {position}); "
        "the file looks like Windows-1252/Latin-1 — export it again as UTF-8 or UTF-16.",
        row=line,
    )


def _nul(line: int) -> FileRejected:
    return FileRejected(f"Line {line} contains a NUL byte (the file is binary or damaged).", row=line)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 (with BOM, or without BOM when it plainly is UTF-16)."""
    data, encoding = _encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        if encoding == "utf-8":
            line = data[: error.start].count(b"\n") + 1
            raise _not_utf8(line, data[error.start], error.start) from None
        raise FileRejected(
            f"The file claims to be {encoding.upper()} but is not valid {encoding.upper()}."
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        raise _nul(text[: text.index("\x00")].count("\n") + 1)
    if not text.strip():
        raise FileRejected("The file has no content.")
    return text


def text_lines(data: bytes) -> Iterator[tuple[int, str]]:
    """The numbered non-blank lines of a text file, with :func:`decode`'s checks. UTF-8 is read line by
    line, so a multi-GB export costs no second copy of itself in memory (UTF-16 is decoded whole)."""
    data, encoding = _encoding(data)
    if encoding != "utf-8":
        for number, line in enumerate(decode(data).split("\n"), start=1):
            if line.strip():
                yield number, line
        return
    offset, seen = 0, False
    for number, raw in enumerate(io.BytesIO(data), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _not_utf8(number, raw[error.start], offset + error.start) from None
        if "\x00" in line:
            raise _nul(number)
        offset += len(raw)
        if line.strip():
            seen = True
            yield number, line
    if not seen:
        raise FileRejected("The file has no content.")


def sniff_delimiter(sample_lines: Sequence[str]) -> str:
    """The delimiter of the table (comma, tab or semicolon), judged on lines that look like a table."""
    lines = [line for line in sample_lines if line.strip()]
    sample = "\n".join(lines[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {d: sum(line.count(d) for line in lines[:50]) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        if not counts[best]:
            raise FileRejected(
                "No column delimiter found: the file is not a comma, tab or semicolon table."
            ) from None
        return best


def read_rows(text: str, delimiter: str) -> list[list[str]]:
    """Cells per line (CSV quoting honoured); line numbers are list index + 1 for unquoted newlines."""
    csv.field_size_limit(max(MAX_CELL * 10, 1_000_000))
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as error:
        raise FileRejected(f"Broken quoting: {error}.") from None


def normalise_header(name: str) -> str:
    return re.sub(r"\s+", " ", name.replace("\ufeff", "").strip()).casefold()


@dataclass
class Table:
    """A located table: header names, its line number, and data rows with their line numbers."""

    header: list[str]
    header_row: int
    rows: list[tuple[int, list[str]]]
    preamble: list[str]
    delimiter: str


def locate_table(text: str, *, required: Iterable[Iterable[str]], hint: str, max_preamble: int = 15) -> Table:
    """Find the header line among the first lines (after a title/date preamble) and split the rest.

    ``required`` lists, per required column, the accepted (normalised) header names. The delimiter is
    sniffed on the lines after the header candidate.
    """
    lines = text.splitlines()
    required = [{n if n.startswith("re:") else normalise_header(n) for n in names} for names in required]
    for delimiter in _delimiter_order(lines):
        for index, line in enumerate(lines[: max_preamble + 1]):
            cells = next(csv.reader([line], delimiter=delimiter), [])
            names = {normalise_header(c) for c in cells}
            if all(_matches(names, options) for options in required):
                rows = read_rows("\n".join(lines[index:]), delimiter)
                numbered, line_no = [], index + 1
                for cells_ in rows[1:]:
                    line_no += 1
                    numbered.append((line_no, cells_))
                return Table(
                    header=[c.replace("\ufeff", "").strip() for c in rows[0]],
                    header_row=index + 1,
                    rows=numbered,
                    preamble=lines[:index],
                    delimiter=delimiter,
                )
    first = lines[0][:120] if lines else ""
    missing = [sorted(options)[0].removeprefix("re:") for options in required]
    raise FileRejected(
        f"No header row with the columns this {hint} needs ({', '.join(repr(m) for m in missing)}) "
        f"in the first {max_preamble + 1} lines; the file starts with “{first}”.",
        row=1,
    )


def _matches(names: set[str], options: set[str]) -> bool:
    if names & options:
        return True
    patterns = [o[3:] for o in options if o.startswith("re:")]
    return any(re.fullmatch(p, n, flags=re.IGNORECASE) for p in patterns for n in names)


def _delimiter_order(lines: list[str]) -> list[str]:
    try:
        first = sniff_delimiter(lines[:60])
    except FileRejected:
        first = ","
    return [first] + [d for d in DELIMITERS if d != first]


def check_header(table: Table, parsed: Parsed) -> dict[str, int]:
    """Position of each header; empty or duplicated names are problems."""
    positions: dict[str, int] = {}
    for position, name in enumerate(table.header):
        key = normalise_header(name)
        if not key:
            if any(position < len(cells) and cells[position].strip() for _, cells in table.rows[:50]):
                parsed.problem(
                    table.header_row, f"#{position + 1}", "This column has data but no header name."
                )
            continue
        if key in positions:
            parsed.problem(
                table.header_row,
                name,
                f"The header “{name}” appears twice (columns {positions[key] + 1} and {position + 1}).",
            )
            continue
        positions[key] = position
    return positions


def find_column(positions: dict[str, int], names: Iterable[str]) -> int | None:
    for name in names:
        position = positions.get(normalise_header(name))
        if position is not None:
            return position
    return None


def cell(cells: list[str], position: int | None) -> str:
    if position is None or position >= len(cells):
        return ""
    return cells[position].strip()


def check_cells(line: int, cells: list[str], header: list[str], parsed: Parsed) -> bool:
    """Width and size checks for one row; False when the row cannot be read."""
    ok = True
    for position, value in enumerate(cells if max(map(len, cells), default=0) > MAX_CELL else ()):
        if len(value) > MAX_CELL:
            name = header[position] if position < len(header) else f"#{position + 1}"
            parsed.problem(
                line, name, f"The cell holds {len(value):,} characters; at most {MAX_CELL:,} are allowed."
            )
            ok = False
    extra = [c for c in cells[len(header) :] if c.strip()]
    if extra:
        parsed.problem(line, "", f"The row has {len(cells)} cells but the header has {len(header)} columns.")
        ok = False
    elif len(cells) < len(header) and len(cells) <= 1 and len(header) > 2 and any(c.strip() for c in cells):
        parsed.problem(
            line,
            "",
            f"The row has 1 cell but the header has {len(header)} columns (wrong delimiter on this line?).",
        )
        ok = False
    return ok


# --- values ---

EMPTY = {"", "--", "-", "—", "n/a", "N/A", "(not set)"}
_GROUPED = {",": re.compile(r"^\d{1,3}(,\d{3})+$"), ".": re.compile(r"^\d{1,3}(\.\d{3})+$")}


def decimal_mark(values: Iterable[str]) -> str:
    """The file's decimal mark, judged on values that cannot be read two ways ('.' by default)."""
    votes = {".": 0, ",": 0}
    for raw in values:
        value = raw.strip().strip('"').replace(" ", "").replace("\u00a0", "").lstrip("-+")
        if "," in value and "." in value:
            votes["," if value.rfind(",") > value.rfind(".") else "."] += 1
        elif re.fullmatch(r"\d+,\d{1,2}|\d+,\d{4,}|\d{4,},\d{3}", value):
            votes[","] += 1
        elif re.fullmatch(r"\d+\.\d{1,2}|\d+\.\d{4,}|\d{4,}\.\d{3}", value):
            votes["."] += 1
    return "," if votes[","] > votes["."] else "."


_PLAIN_DOT = re.compile(r"-?\d+(?:\.\d+)?")
_PLAIN_COMMA = re.compile(r"-?\d+(?:,\d+)?")
# "1,234.56" (mark ".") / "1.234,56" (mark ","): grouped thousands, the platforms' usual export format
_GROUPED_NUMBER = {
    ".": re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"),
    ",": re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?"),
}
_UNSIGNED = re.compile(r"\d+(\.\d+)?|\.\d+")
_SYMBOLIC = re.compile(r"[^\d.,\s()+\-']")
_SYMBOLS = re.compile(r"€|\$|£|kr|EUR|USD|NOK|SEK|DKK|GBP")


class BadValue(ValueError):
    pass


def parse_decimal(raw: str, mark: str = ".", *, percent: bool = False) -> Decimal | None:
    """``1,234.56`` / ``1.234,56`` / ``1 234,56`` / ``12%`` / ``< 10%`` / ``--`` → Decimal or None."""
    if not percent and (_PLAIN_DOT if mark == "." else _PLAIN_COMMA).fullmatch(raw):
        return Decimal(raw if mark == "." else raw.replace(",", "."))  # the common case, fast
    if not percent and _GROUPED_NUMBER[mark].fullmatch(raw):  # the next most common: "1,234.56"
        return Decimal(raw.replace(",", "") if mark == "." else raw.replace(".", "").replace(",", "."))
    value = raw.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if value in EMPTY:
        return None
    if value[:1] in "<>":  # "< 10%": the platform's bound is the best value it gives
        value = value[1:].strip()
    if value.endswith("%"):
        value = value[:-1].strip()
        percent = True
    if _SYMBOLIC.search(value):
        value = _SYMBOLS.sub("", value).strip()
    negative = value.startswith("-") or (value.startswith("(") and value.endswith(")"))
    value = value.strip("()").lstrip("-+").replace(" ", "").replace("'", "")
    thousands = "," if mark == "." else "."
    if thousands in value:
        if not _GROUPED_NUMBER[mark].fullmatch(value):
            raise BadValue(f"“{raw.strip()}” is not a number (misplaced “{thousands}”).")
        value = value.replace(thousands, "")
    value = value.replace(mark, ".")
    if not _UNSIGNED.fullmatch(value):
        raise BadValue(f"“{raw.strip()[:40]}” is not a number.")
    try:
        number = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the regex above guards it
        raise BadValue(f"“{raw.strip()[:40]}” is not a number.") from None
    if negative:
        number = -number
    if percent:
        number = number / 100
    return number


def parse_money(raw: str, mark: str) -> Decimal:
    number = parse_decimal(raw, mark)
    if number is None:
        return Decimal(0)
    if number < 0:
        raise BadValue(f"“{raw.strip()}” is negative; spend and values cannot be.")
    if number > MONEY_LIMIT:
        raise BadValue(f"“{raw.strip()[:40]}” is too large.")
    return number.quantize(MONEY_PLACES)


def parse_count(raw: str, mark: str) -> int:
    if raw.isdigit() and len(raw) < 18:
        return int(raw)
    number = parse_decimal(raw, mark)
    if number is None:
        return 0
    if number < 0:
        raise BadValue(f"“{raw.strip()}” is negative; counts cannot be.")
    if number != number.to_integral_value():
        raise BadValue(f"“{raw.strip()}” is not a whole number.")
    if number > 2**62:
        raise BadValue(f"“{raw.strip()[:40]}” is too large.")
    return int(number)


_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january", "januar", "janv"),
            ("feb", "february", "februar", "févr"),
            ("mar", "march", "mars", "märz", "mär"),
            ("apr", "april", "avr"),
            ("may", "mai"),
            ("jun", "june", "juni", "juin"),
            ("jul", "july", "juli", "juil"),
            ("aug", "august", "août"),
            ("sep", "sept", "september"),
            ("oct", "october", "okt", "oktober"),
            ("nov", "november"),
            ("dec", "december", "des", "desember", "dez", "dezember"),
        ]
    )
    for m in names
}


def parse_date(raw: str, formats: Sequence[str]) -> dt.date:
    """Dates in the formats a platform uses: ``iso`` (2026-03-01), ``mdy`` (3/1/2026), ``dmy`` (01.03.2026
    ), ``text`` (Mar 1, 2026 / 1. mars 2026), ``compact`` (20260301)."""
    value = raw.strip()
    if not value:
        raise BadValue("The date is missing.")
    if formats[0] == "iso" and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date(int(value[:4]), int(value[5:7]), int(value[8:]))  # the common case, fast
        except ValueError:
            pass  # not a real date or not digits: the full checks below say which
    for fmt in formats:
        try:
            if fmt == "iso" and re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}( .*)?", value):
                y, m, d = value.split(" ")[0].split("-")
                return dt.date(int(y), int(m), int(d))
            if fmt == "compact" and re.fullmatch(r"\d{8}", value):
                return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
            if fmt == "mdy" and re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", value):
                m, d, y = value.split("/")
                return dt.date(int(y), int(m), int(d))
            if fmt == "dmy" and re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", value):
                d, m, y = value.split(".")
                return dt.date(int(y), int(m), int(d))
            if fmt == "text":
                words = re.findall(r"[^\W\d_]+\.?|\d+", value.casefold())
                words = [
                    w.rstrip(".")
                    for w in words
                    if w.rstrip(".") not in {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
                ]
                month = next((_MONTHS[w] for w in words if w in _MONTHS), None)
                numbers = [int(w) for w in words if w.isdigit()]
                if month and len(numbers) == 2:
                    day, year = (numbers[0], numbers[1]) if numbers[1] > 31 else (numbers[1], numbers[0])
                    return dt.date(year, month, day)
        except ValueError:
            raise BadValue(f"“{value}” is not a real date.") from None
    names = {
        "iso": "YYYY-MM-DD",
        "mdy": "M/D/YYYY",
        "dmy": "D.M.YYYY",
        "text": "Mar 1, 2026",
        "compact": "YYYYMMDD",
    }
    raise BadValue(
        f"“{value[:40]}” is not a date in the expected format ({' or '.join(names[f] for f in formats)})."
    )


def parse_currency(raw: str) -> str:
    value = raw.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise BadValue(f"“{raw.strip()[:20]}” is not a three-letter currency code such as EUR or NOK.")
    return value


# --- XLSX ---


def is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def xlsx_to_text(data: bytes) -> str:
    """The first sheet of an XLSX workbook as tab-separated text (numbers written plainly, dates ISO)."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as error:  # calamine raises its own error types
        raise FileRejected(f"The workbook cannot be read: {str(error)[:200]}.") from None
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    for row in rows:
        writer.writerow([_xlsx_cell(v) for v in row])
    return out.getvalue()


def _xlsx_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def text_of(data: bytes) -> str:
    """Text of a CSV/TSV (any supported encoding) or of an XLSX workbook's first sheet."""
    if is_xlsx(data):
        return xlsx_to_text(data)
    return decode(data)
