"""RACI matrices as CSV, shared by the web pages and `opencmo raci`.

The format is long: one row per assignee and activity,
`activity,kind,creates_leads,restricted,assignee,letters`, where the assignee is a person's email (or
their exact name when they have none) or `role:<key>`. An activity without entries has one row with an
empty assignee, so a round trip keeps it.

Import validates the whole file first and writes nothing if any row is bad; then it creates the missing
activities and replaces the entries of every activity in the file, all through the services so every
change is audited and notified like a change made by hand.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch

from opencmo.core.exports import safe_cell
from opencmo.core.models import Workspace
from opencmo.core.permissions import require_admin
from opencmo.org import raci, raci_services
from opencmo.org.models import Activity, Person, RaciEntry, Role

HEADER = ["activity", "kind", "creates_leads", "restricted", "assignee", "letters"]
ORDER = "RACI"
ROLE_PREFIX = "role:"
MAX_ROWS = 20_000
_TRUE = {"yes", "y", "true", "1", "x"}
_FALSE = {"no", "n", "false", "0"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Holder = tuple[str, int]  # ("person", pk) or ("role", pk)


def letters_text(letters: Iterable[str]) -> str:
    """{'A', 'R'} -> 'RA': always in R, A, C, I order."""
    return "".join(sorted(set(letters), key=ORDER.index))


# --- export -------------------------------------------------------------------------------------


def person_label(person: Person) -> str:
    return person.email or person.name


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def export_rows(activities: Iterable[Activity]) -> Iterator[list[str]]:
    """Rows (without header) for activities whose `raci` is prefetched with person and role, sorted
    in Python so the file is the same whatever the database's collation."""
    for activity in sorted(activities, key=lambda a: (a.name.casefold(), a.pk)):
        held: dict[str, set[str]] = {}
        for entry in activity.raci.all():
            label = person_label(entry.person) if entry.person_id else ROLE_PREFIX + entry.role.key
            held.setdefault(label, set()).add(entry.letter)
        base = [activity.name, activity.kind, _yes_no(activity.creates_leads), _yes_no(activity.restricted)]
        if not held:
            yield [*base, "", ""]
        for label, letters in sorted(held.items(), key=lambda kv: (min(map(ORDER.index, kv[1])), kv[0])):
            yield [*base, label, letters_text(letters)]


def all_activities(workspace: Workspace):
    """Every activity of a workspace, ready for `export_rows` (the CLI runs as the system)."""
    return Activity.objects.filter(workspace=workspace).prefetch_related(
        Prefetch("raci", queryset=RaciEntry.objects.select_related("person", "role"))
    )


def write_csv(rows: Iterable[list[str]], stream) -> None:
    writer = csv.writer(stream)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])


# --- import: parsing and validation ---------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    field: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.field}: {self.message}"


@dataclass
class PlannedActivity:
    name: str
    row: int  # first row naming it
    existing: Activity | None
    attrs: dict[str, object] = field(default_factory=dict)  # kind/creates_leads/restricted given
    attr_rows: dict[str, int] = field(default_factory=dict)
    entries: dict[Holder, set[str]] = field(default_factory=dict)
    entry_rows: dict[Holder, int] = field(default_factory=dict)


@dataclass
class ImportResult:
    problems: list[Problem] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # activity names
    updated: list[str] = field(default_factory=list)  # "Name: kind, restricted"
    added: list[str] = field(default_factory=list)  # "R: Ingrid Haugen on “Name”"
    removed: list[str] = field(default_factory=list)
    activities: int = 0
    dry_run: bool = False
    health: raci.Health | None = None  # findings as they are (or, for a dry run, would be) afterwards

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.added or self.removed)

    def summary(self) -> str:
        activities = _count(self.activities, "activity", "activities")
        if not self.changed:
            return f"Nothing to change: the {activities} in the file already match."
        verb = "Would change" if self.dry_run else "Changed"
        return (
            f"{verb} {activities}: {len(self.created)} created, {len(self.updated)} updated, "
            f"{_count(len(self.added), 'entry', 'entries')} added, {len(self.removed)} removed."
        )


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def decode(data: bytes | str) -> str:
    """UTF-8 with or without a byte-order mark."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    return data.decode("utf-8-sig")


def _unescape(text: str) -> str:
    """Undo the apostrophe our export puts before formula-like cells, so a round trip is exact."""
    if text.startswith("'") and text[1:].startswith(_FORMULA_START):
        return text[1:]
    return text


def _reader(text: str):
    """A reader for comma- or semicolon-separated text. Only the header line is sniffed: a whole
    sample fools the Sniffer into taking our export's formula-escaping apostrophes for quotes."""
    header = text.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(header, delimiters=",;").delimiter
    except csv.Error:
        delimiter = ","  # a single column: the header check will say what is missing
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


class _Directory:
    """Looks assignees up in one workspace: email, then exact name, then name in any case."""

    def __init__(self, workspace: Workspace):
        self.people = list(Person.objects.filter(workspace=workspace))
        self.roles = list(Role.objects.filter(workspace=workspace))
        self.labels: dict[Holder, str] = {("person", p.pk): p.name for p in self.people}
        self.labels |= {("role", r.pk): r.name for r in self.roles}

    def find(self, text: str) -> tuple[Holder | None, str]:
        if text.lower().startswith(ROLE_PREFIX):
            key = text[len(ROLE_PREFIX) :].strip().lower()
            match = [r for r in self.roles if key in (r.key.lower(), r.name.lower())]
            if not match:
                return None, f"No role with the key “{key}” in this workspace."
            return ("role", match[0].pk), ""
        lowered = text.lower()
        for candidates in (
            [p for p in self.people if p.email and p.email.lower() == lowered],
            [p for p in self.people if p.name == text],
            [p for p in self.people if p.name.lower() == lowered],
        ):
            if len(candidates) == 1:
                return ("person", candidates[0].pk), ""
            if len(candidates) > 1:
                return None, f"“{text}” matches {len(candidates)} people; use their email address."
        return None, f"No person or role “{text}” in this workspace (use an email, a name or role:<key>)."


def _boolean(text: str) -> bool | None:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"Use yes or no (not “{text.strip()}”).")


def _kind(text: str) -> str:
    lowered = text.strip().lower()
    for value, label in Activity.Kind.choices:
        if lowered in (value, label.lower()):
            return value
    raise ValueError(f"Unknown kind “{text.strip()}”; use one of {', '.join(Activity.Kind.values)}.")


def _header(cells: list[str]) -> tuple[dict[str, int], list[Problem]]:
    names = [c.strip().lower() for c in cells]
    missing = [h for h in HEADER if h not in names]
    unknown = [c for c in names if c and c not in HEADER]
    duplicated = sorted({c for c in names if c and names.count(c) > 1})
    if missing or unknown or duplicated:
        detail = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unknown {', '.join(unknown)}" if unknown else "",
                f"repeated {', '.join(duplicated)}" if duplicated else "",
            )
            if part
        )
        return {}, [Problem(1, "header", f"Expected the columns {','.join(HEADER)} ({detail}).")]
    return {name: names.index(name) for name in HEADER}, []


def plan(workspace: Workspace, data: bytes | str) -> tuple[list[PlannedActivity], list[Problem]]:
    """Read and check a whole file; every problem comes back with its row number and field."""
    try:
        text = decode(data)
    except UnicodeDecodeError as error:
        return [], [
            Problem(1, "file", f"The file is not UTF-8 text (byte {error.start}). Save it as CSV UTF-8.")
        ]
    if not text.strip():
        return [], [Problem(1, "header", f"The file is empty; the first row must be {','.join(HEADER)}.")]
    rows = _reader(text)
    problems: list[Problem] = []
    try:
        columns, problems = _header(next(rows))
    except csv.Error as error:
        return [], [Problem(1, "file", f"Not readable as CSV: {error}.")]
    if problems:
        return [], problems

    existing: dict[str, list[Activity]] = {}
    for activity in Activity.objects.filter(workspace=workspace):
        existing.setdefault(activity.name.casefold(), []).append(activity)
    directory = _Directory(workspace)
    planned: dict[str, PlannedActivity] = {}
    number = 1
    try:
        for number, cells in enumerate(rows, start=2):
            if number > MAX_ROWS + 1:
                problems.append(Problem(number, "file", f"Too many rows; import at most {MAX_ROWS} at once."))
                break
            if not any(c.strip() for c in cells):
                continue  # blank line
            problems += _read_row(number, cells, columns, existing, directory, planned)
    except csv.Error as error:
        problems.append(Problem(number + 1, "file", f"Not readable as CSV: {error}."))
    if not planned and not problems:
        problems.append(Problem(2, "activity", "The file has a header but no rows."))
    return list(planned.values()), problems


def _read_row(
    number: int,
    cells: list[str],
    columns: dict[str, int],
    existing: dict[str, list[Activity]],
    directory: _Directory,
    planned: dict[str, PlannedActivity],
) -> list[Problem]:
    if len(cells) > len(HEADER):
        return [Problem(number, "file", f"{len(cells)} cells where {len(HEADER)} were expected.")]
    value = {name: _unescape(cells[i].strip()) if i < len(cells) else "" for name, i in columns.items()}
    problems: list[Problem] = []

    name = " ".join(value["activity"].split())
    max_length = Activity._meta.get_field("name").max_length
    if not name:
        return [Problem(number, "activity", "The activity name is missing.")]
    if len(name) > max_length:
        return [Problem(number, "activity", f"The activity name is longer than {max_length} characters.")]
    activity = planned.get(name.casefold())
    if activity is None:
        matches = existing.get(name.casefold(), [])
        activity = planned[name.casefold()] = PlannedActivity(name, number, matches[0] if matches else None)
        if len(matches) > 1:  # tasks and campaigns may share a title; a file names activities by title
            problems.append(
                Problem(
                    number,
                    "activity",
                    f"{len(matches)} activities are called “{name}”; rename them apart before importing.",
                )
            )

    readers = {"kind": _kind, "creates_leads": _boolean, "restricted": _boolean}
    for column, read in readers.items():
        if not value[column]:
            continue  # blank: keep what the activity has (or the default for a new one)
        try:
            parsed = read(value[column])
        except ValueError as error:
            problems.append(Problem(number, column, str(error)))
            continue
        if column in activity.attrs and activity.attrs[column] != parsed:
            first = activity.attr_rows[column]
            problems.append(Problem(number, column, f"Differs from row {first} for the same activity."))
            continue
        activity.attrs.setdefault(column, parsed)
        activity.attr_rows.setdefault(column, number)

    assignee, letters = value["assignee"], value["letters"]
    if not assignee:
        if letters:
            problems.append(Problem(number, "assignee", "Letters without an assignee."))
        return problems
    holder, why = directory.find(assignee)
    if holder is None:
        problems.append(Problem(number, "assignee", why))
    if not letters:
        problems.append(Problem(number, "letters", "No letters for this assignee; use R, A, C or I."))
        return problems
    try:
        parsed_letters = raci_services.parse_letters(letters)
    except ValidationError as error:
        problems.append(Problem(number, "letters", " ".join(error.messages)))
        return problems
    if holder is None:
        return problems
    if holder in activity.entries:
        first = activity.entry_rows[holder]
        problems.append(
            Problem(
                number, "assignee", f"{directory.labels[holder]} is already on this activity in row {first}."
            )
        )
        return problems
    activity.entries[holder] = parsed_letters
    activity.entry_rows[holder] = number
    return problems


# --- import: writing --------------------------------------------------------------------------


class _Rollback(Exception):
    """Raised inside the transaction to undo a dry run (or a service refusal) after computing it."""


def _current(activity: Activity) -> dict[Holder, set[str]]:
    held: dict[Holder, set[str]] = {}
    for entry in activity.raci.all():
        key = ("person", entry.person_id) if entry.person_id else ("role", entry.role_id)
        held.setdefault(key, set()).add(entry.letter)
    return held


def _apply(actor, workspace: Workspace, planned: list[PlannedActivity], result: ImportResult) -> None:
    directory = _Directory(workspace)
    people = {p.pk: p for p in directory.people}
    roles = {r.pk: r for r in directory.roles}
    for item in planned:
        try:
            activity = item.existing
            if activity is None:
                activity = raci_services.activity_create(
                    actor=actor, workspace=workspace, name=item.name, **item.attrs
                )
                result.created.append(activity.name)
            else:
                changes = {k: v for k, v in item.attrs.items() if getattr(activity, k) != v}
                if changes:
                    raci_services.activity_update(actor=actor, activity=activity, **changes)
                    result.updated.append(f"{activity.name}: {', '.join(sorted(changes))}")
            current = _current(activity)
            for holder in sorted(set(current) | set(item.entries)):
                before, after = current.get(holder, set()), item.entries.get(holder, set())
                if before == after:
                    continue
                kind, pk = holder
                raci_services.raci_set(
                    actor=actor,
                    activity=activity,
                    letters=after,
                    person=people.get(pk) if kind == "person" else None,
                    role=roles.get(pk) if kind == "role" else None,
                )
                who = directory.labels[holder]
                result.added += [
                    f"{letter}: {who} on “{activity.name}”" for letter in letters_text(after - before)
                ]
                result.removed += [
                    f"{letter}: {who} on “{activity.name}”" for letter in letters_text(before - after)
                ]
        except (ValidationError, PermissionDenied) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            result.problems.append(Problem(item.row, "activity", " ".join(messages)))
            raise _Rollback from error


def import_csv(*, actor, workspace: Workspace, data: bytes | str, dry_run: bool = False) -> ImportResult:
    """Validate `data`, then (unless `dry_run` or anything is wrong) apply it in one transaction."""
    require_admin(actor, workspace)
    planned, problems = plan(workspace, data)
    result = ImportResult(problems=problems, activities=len(planned), dry_run=dry_run)
    if problems:
        return result
    try:
        with transaction.atomic():
            _apply(actor, workspace, planned, result)
            result.health = raci.health(workspace)  # inside the transaction: a dry run sees its changes
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if result.problems:  # a service refused: everything was rolled back, report no changes
        result.created, result.updated, result.added, result.removed = [], [], [], []
    return result
