"""Org chart page and its SVG download. The layout lives in `chart` (pure); this only gathers people."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe

from opencmo.core.models import Workspace
from opencmo.core.tenancy import workspace_view
from opencmo.org import chart, raci
from opencmo.org.models import Person
from opencmo.org.rules import Finding

# The findings that concern the chart itself (reporting lines and the CMO seat).
ORG_CODES = frozenset({"reports_to_self", "reporting_cycle", "no_cmo", "manager_inactive"})


def chart_nodes(workspace: Workspace) -> list[chart.ChartNode]:
    """Active people as chart nodes; a manager who is inactive is simply absent, so they become roots."""
    people = Person.objects.filter(workspace=workspace, is_active=True).prefetch_related("roles")
    return [
        chart.ChartNode(
            id=p.pk,
            name=p.name,
            title=p.title,
            hats=tuple(r.name for r in p.roles.all()),
            manager_id=p.reports_to_id,
            external=p.is_external,
            organisation=p.organisation,
        )
        for p in people
    ]


def org_flags(workspace: Workspace) -> list[Finding]:
    return [f for f in raci.health(workspace).findings if f.code in ORG_CODES]


def chart_svg(workspace: Workspace, href: Callable[[int], str], *, standalone: bool = False) -> str:
    drawing = chart.layout(chart_nodes(workspace))
    return chart.to_svg(drawing, href=href, title=f"Org chart of {workspace.name}", standalone=standalone)


def _person_url(workspace: Workspace) -> Callable[[int], str]:
    return lambda pk: reverse("person_detail", kwargs={"ws": workspace.slug, "person_pk": pk})


@workspace_view()
def org_chart(request: HttpRequest) -> HttpResponse:
    nodes = chart_nodes(request.workspace)
    drawing = chart.layout(nodes)
    svg = chart.to_svg(
        drawing,
        href=_person_url(request.workspace),
        title=f"Org chart of {request.workspace.name}",
    )
    context = {
        # Safe: chart.to_svg escapes every name, title and hat (tests/org/test_chart.py checks it).
        "svg": mark_safe(svg),  # noqa: S308
        "chart_width": chart.num(drawing.width),  # lets CSS stop shrinking a wide chart while legible
        "people_count": len(nodes),
        "tree_count": len(drawing.roots),
        "external_count": sum(n.external for n in nodes),
        "multi_hat_count": sum(len(n.hats) > 1 for n in nodes),
        "flags": org_flags(request.workspace),
    }
    return render(request, "org/org_chart.html", context)


@workspace_view()
def org_chart_svg(request: HttpRequest) -> HttpResponse:
    """The same drawing as a file; links are absolute so they still work outside OpenCMO."""
    relative = _person_url(request.workspace)
    svg = chart_svg(request.workspace, lambda pk: request.build_absolute_uri(relative(pk)), standalone=True)
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{request.workspace.slug}-org-chart.svg"'
    return response
