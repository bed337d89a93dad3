"""The RACI matrix: a grid of activities by people (or roles) edited in place, its CSV export and import.

Thin views: a form validates the request, a service writes, the grid below only arranges what the
selectors and `raci.health` say for the template.
"""

from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from opencmo.core.exports import csv_response
from opencmo.core.forms import apply_errors
from opencmo.core.models import Access
from opencmo.core.tenancy import scoped_or_404, workspace_view
from opencmo.org import raci, raci_io, raci_services
from opencmo.org.models import Activity, Person, RaciEntry, Role
from opencmo.org.rules import Finding

# --- forms ------------------------------------------------------------------------------------


class CellForm(forms.Form):
    """One cell: the letters one person or one role holds on an activity."""

    person = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    role = forms.ModelChoiceField(queryset=Role.objects.none(), required=False)
    letters = forms.CharField(max_length=20, required=False)

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this workspace's people and roles: a foreign id is "not a valid choice".
        self.fields["person"].queryset = Person.objects.filter(workspace=workspace)
        self.fields["role"].queryset = Role.objects.filter(workspace=workspace)

    def clean(self) -> dict:
        data = super().clean()
        if (data.get("person") is None) == (data.get("role") is None) and not self.errors:
            raise ValidationError("Give either a person or a role.")
        return data


class ActivityAddForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["name", "kind", "creates_leads", "restricted"]


class ImportForm(forms.Form):
    MAX_BYTES = 2 * 1024 * 1024

    file = forms.FileField(label="CSV file", help_text="UTF-8, comma or semicolon separated.")
    dry_run = forms.BooleanField(required=False, label="Only check the file (save nothing)")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise ValidationError("The file is larger than 2 MB; split it into smaller files.")
        return upload


# --- the grid as the template sees it ---------------------------------------------------------------


@dataclass
class Column:
    index: int
    holder: Person | Role
    kind: str  # "person" or "role"
    group: str = ""  # people: "Staff" or the external organisation
    hats: list[str] = field(default_factory=list)  # people: their roles; roles: who wears it

    @property
    def code(self) -> str:
        return f"{self.kind[0]}{self.holder.pk}"


@dataclass
class Cell:
    column: Column
    letters: str  # held directly
    via: list[str] = field(default_factory=list)  # people view: "A via CMO" through a hat
    error: str = ""
    typed: str = ""  # what the user typed when it was refused
    dom_id: str = ""  # stable across re-renders, so htmx puts the focus back after a swap


@dataclass
class Row:
    activity: Activity
    cells: list[Cell]
    findings: list[Finding]
    editable: bool

    @property
    def errors(self) -> int:
        return sum(f.is_error for f in self.findings)

    @property
    def warnings(self) -> int:
        return len(self.findings) - self.errors


def _with_raci(queryset):
    return queryset.prefetch_related(
        Prefetch("raci", queryset=RaciEntry.objects.select_related("person", "role"))
    )


class Grid:
    """Columns, rows and findings of one user's view of a workspace's RACI matrix."""

    def __init__(self, request: HttpRequest, by: str):
        self.workspace, self.user = request.workspace, request.user
        self.by = "roles" if by == "roles" else "people"
        kind = request.GET.get("kind", "")
        self.kind = kind if kind in Activity.Kind.values else ""
        self.kind_choices = Activity.Kind.choices
        self.is_admin = request.membership.is_admin
        self.read_only = request.membership.access == Access.VIEWER
        people = list(
            Person.objects.filter(workspace=self.workspace, is_active=True).prefetch_related("roles")
        )
        self.roles = list(Role.objects.filter(workspace=self.workspace))
        # role id -> active wearers, as raci.resolve expects (a role entry stands for all of them)
        self.holders: dict[int, set[int]] = {}
        for person in people:
            for role in person.roles.all():
                self.holders.setdefault(role.pk, set()).add(person.pk)
        self.role_names = {r.pk: r.name for r in self.roles}
        self.me = raci.person_for(self.user, self.workspace)
        if self.by == "people":
            # Staff first, then each external organisation (agencies), by name within a group.
            people.sort(key=lambda p: (p.is_external, p.organisation.casefold(), p.name.casefold()))
            self.columns = [
                Column(i, p, "person", p.organisation or "Staff", sorted(r.name for r in p.roles.all()))
                for i, p in enumerate(people)
            ]
        else:
            names = {p.pk: p.name for p in people}
            self.columns = [
                Column(i, r, "role", hats=sorted(names[pk] for pk in self.holders.get(r.pk, ())))
                for i, r in enumerate(self.roles)
            ]

    @property
    def groups(self) -> list[tuple[str, int]]:
        """(heading, number of columns) for the people view's top header row."""
        out: list[tuple[str, int]] = []
        for column in self.columns:
            if out and out[-1][0] == column.group:
                out[-1] = (column.group, out[-1][1] + 1)
            else:
                out.append((column.group, 1))
        return out

    def can_edit(self, activity: Activity) -> bool:
        """Administrators, or the activity's Accountable person; never a read-only (viewer) seat."""
        if self.read_only:
            return False
        if self.is_admin:
            return True
        return self.me is not None and self.me.pk in raci.resolve(activity, self.holders)["A"]

    def activities(self):
        """The matrix rows: processes, deliverable types, campaigns and plans by default; tasks (hundreds of
        them, each with its RACI on its own page) only when asked for with ?kind=task."""
        activities = raci.visible_activities(self.user, self.workspace)
        if self.kind:
            return activities.filter(kind=self.kind)
        return activities.exclude(kind=Activity.Kind.TASK)

    def row(self, activity: Activity, health: raci.Health, refused: dict | None = None) -> Row:
        direct: dict[str, set[str]] = {}
        via: dict[int, list[str]] = {}
        for entry in activity.raci.all():
            if entry.person_id is not None:
                direct.setdefault(f"p{entry.person_id}", set()).add(entry.letter)
            else:
                direct.setdefault(f"r{entry.role_id}", set()).add(entry.letter)
                for pk in self.holders.get(entry.role_id, ()):
                    via.setdefault(pk, []).append(f"{entry.letter} via {self.role_names[entry.role_id]}")
        cells = []
        for column in self.columns:
            letters = raci_io.letters_text(direct.get(column.code, ()))
            cell = Cell(column, letters, dom_id=f"raci-{activity.pk}-{column.code}")
            if column.kind == "person":
                cell.via = sorted(via.get(column.holder.pk, []), key=lambda t: raci_io.ORDER.index(t[0]))
            if refused and refused["code"] == column.code:
                cell.error, cell.typed = refused["error"], refused["typed"]
            cells.append(cell)
        return Row(activity, cells, health.for_activity(activity.pk), self.can_edit(activity))


def _visible_findings(health: raci.Health, visible_ids: set[int]) -> list[tuple[Finding, Activity | None]]:
    """Workspace findings, errors first, leaving out those about activities the user may not see."""
    return [
        (f, health.activities.get(f.activity_id))
        for f in health.findings
        if f.activity_id is None or f.activity_id in visible_ids
    ]


def _findings_context(request: HttpRequest, health: raci.Health, visible_ids: set[int]) -> dict:
    findings = _visible_findings(health, visible_ids)
    return {
        "findings": findings,
        "error_count": sum(f.is_error for f, _ in findings),
        "warning_count": sum(not f.is_error for f, _ in findings),
        "workspace": request.workspace,
    }


def _by(request: HttpRequest) -> str:
    return "roles" if (request.GET.get("by") or request.POST.get("by")) == "roles" else "people"


def _grid_page(request: HttpRequest, form: ActivityAddForm | None = None) -> HttpResponse:
    grid = Grid(request, _by(request))
    health = raci.health(request.workspace)
    activities = list(grid.activities())
    context = {
        "grid": grid,
        "rows": [grid.row(a, health) for a in activities],
        "form": form or ActivityAddForm(),
        "can_add": not grid.read_only,
        **_findings_context(request, health, {a.pk for a in activities}),
    }
    return render(request, "org/raci_grid.html", context)


# --- views --------------------------------------------------------------------------------------


@workspace_view()
@require_http_methods(["GET"])
def raci_grid(request: HttpRequest) -> HttpResponse:
    return _grid_page(request)


@workspace_view()
@require_POST
def raci_cell(request: HttpRequest, activity_pk: int) -> HttpResponse:
    """Set one cell; answer with the activity's row and, out of band, the workspace findings."""
    activity = scoped_or_404(Activity, request.workspace, activity_pk)
    if not raci.can_view(request.user, activity):
        raise Http404("No such activity.")  # restricted: indistinguishable from a missing one
    grid = Grid(request, _by(request))
    if not grid.can_edit(activity):
        raise PermissionDenied("Only an administrator or the Accountable person may change this RACI.")
    form = CellForm(request.POST, workspace=request.workspace)
    if not form.is_valid():
        problems = [m for errors in form.errors.values() for m in errors]
        return HttpResponse(" ".join(problems), status=400, content_type="text/plain; charset=utf-8")
    person, role, letters = (form.cleaned_data[k] for k in ("person", "role", "letters"))
    refused = None
    try:
        raci_services.raci_set(
            actor=request.user, activity=activity, letters=letters, person=person, role=role
        )
    except ValidationError as error:
        code = f"p{person.pk}" if person else f"r{role.pk}"
        refused = {"code": code, "error": " ".join(error.messages), "typed": letters}
    health = raci.health(request.workspace)
    activity = _with_raci(Activity.objects.filter(pk=activity.pk)).get()
    visible_ids = set(grid.activities().prefetch_related(None).values_list("pk", flat=True))
    context = {
        "grid": grid,
        "row": grid.row(activity, health, refused),
        "oob": True,
        **_findings_context(request, health, visible_ids),
    }
    html = render_to_string("org/_raci_row.html", context, request) + render_to_string(
        "org/_raci_findings.html", context, request
    )
    return HttpResponse(html)


@workspace_view()
@require_POST
def raci_activity_create(request: HttpRequest) -> HttpResponse:
    form = ActivityAddForm(request.POST)
    if form.is_valid():
        try:
            activity = raci_services.activity_create(
                actor=request.user, workspace=request.workspace, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Activity “{activity.name}” added; now give it an A and an R.")
            url = reverse("raci_grid", kwargs={"ws": request.workspace.slug})
            query = "?by=roles" if _by(request) == "roles" else ""
            return redirect(f"{url}{query}#activity-{activity.pk}")
    return _grid_page(request, form)


@workspace_view()
@require_http_methods(["GET"])
def raci_export(request: HttpRequest) -> HttpResponse:
    activities = raci.visible_activities(request.user, request.workspace)
    return csv_response(f"{request.workspace.slug}-raci.csv", raci_io.HEADER, raci_io.export_rows(activities))


@workspace_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def raci_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    context: dict = {"form": form, "kinds": Activity.Kind.values}
    if request.method == "POST" and form.is_valid():
        result = raci_io.import_csv(
            actor=request.user,
            workspace=request.workspace,
            data=form.cleaned_data["file"].read(),
            dry_run=form.cleaned_data["dry_run"],
        )
        context["result"] = result
        if result.health is not None:
            context.update(_findings_context(request, result.health, set(result.health.activities)))
    return render(request, "org/raci_import.html", context)
