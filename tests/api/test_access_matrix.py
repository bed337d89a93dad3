"""Object-level access, generated from the OpenAPI schema.

Every path naming an object (`{<model>_pk}`), every method it serves, and these personas:
* a user of another workspace (Eve, with a write token for Globex) aiming at Acme's objects: 404;
* an Acme user aiming at Globex's objects through Acme's URL: 404;
* a member without the RACI right (Bob) writing RACI-governed objects: 403 (404 where the object is
  restricted and so invisible to him, which is also checked for reads);
* a viewer (Vera, signed in) writing anything: 403.
List endpoints must not show anything of Globex. A path without a MATRIX entry fails the test, so a new
endpoint cannot ship unreviewed.
"""

import pytest
from django.apps import apps
from django.core.cache import cache

from opencmo.org.models import Activity
from tests.api.helpers import bearer, token_for
from tests.api.schema_tools import json_body, object_params, operations, schema
from tests.conftest import seed_plan_objects

# path -> how the object is governed: "raci" (visibility and writes follow RACI on its activity),
# "member" (any non-viewer member may write; reads are workspace-wide), "owner" (reads workspace-wide;
# writes only by who holds the right: the objective's owner, the review's chair, a CMO or an
# administrator), "admin" (writes by administrators only), "read" (no writes served).
MATRIX = {
    "/api/w/{ws}/people/{person_pk}": "admin",
    "/api/w/{ws}/activities/{activity_pk}": "raci",
    "/api/w/{ws}/activities/{activity_pk}/raci": "raci",
    "/api/w/{ws}/objectives/{objective_pk}": "owner",
    "/api/w/{ws}/kpis/{kpi_pk}": "owner",
    "/api/w/{ws}/kpis/{kpi_pk}/actuals": "raci",  # owner, analysts, administrators
    "/api/w/{ws}/campaigns/{campaign_pk}": "raci",
    "/api/w/{ws}/campaigns/{campaign_pk}/status": "raci",
    "/api/w/{ws}/tasks/{task_pk}": "raci",
    "/api/w/{ws}/approvals/{approvalrequest_pk}": "raci",
    "/api/w/{ws}/approvals/{approvalrequest_pk}/decide": "raci",
    "/api/w/{ws}/budgets/{budgetplan_pk}": "raci",
    "/api/w/{ws}/budgets/{budgetplan_pk}/lines": "raci",
    "/api/w/{ws}/budgets/{budgetplan_pk}/lines/{budgetline_pk}": "raci",
    "/api/w/{ws}/budgets/{budgetplan_pk}/lines/{budgetline_pk}/phasing": "raci",
    "/api/w/{ws}/budgets/{budgetplan_pk}/reallocations": "raci",
    "/api/w/{ws}/contacts/{contact_pk}": "member",
    "/api/w/{ws}/contacts/{contact_pk}/stage": "member",
    "/api/w/{ws}/contacts/{contact_pk}/consents": "member",
    "/api/w/{ws}/consents/{consentrecord_pk}/withdraw": "member",
    "/api/w/{ws}/imports/{importrun_pk}": "read",
    "/api/w/{ws}/review-cycles/{reviewcycle_pk}": "read",
    "/api/w/{ws}/reviews/{review_pk}": "read",
    "/api/w/{ws}/reviews/{review_pk}/decisions": "owner",
    "/api/w/{ws}/review-decisions/{reviewdecision_pk}": "owner",
    "/api/w/{ws}/reviews/{review_pk}/actions": "read",
    "/api/w/{ws}/mmm/runs/{modelrun_pk}": "read",
    "/api/w/{ws}/mmm/recommendations/{recommendation_pk}": "read",
}

DOC = schema()
CASES = [(path, method, op) for path, method, op in operations(DOC) if object_params(path)]


def _model(param: str):
    name = param.removesuffix("_pk")
    return next(m for m in apps.get_models() if m._meta.model_name == name)


def _url(path: str, ws: str, source) -> str:
    url = path.replace("{ws}", ws)
    for param in object_params(path):
        model = _model(param)
        if model is Activity:  # the budget plan's activity: RACI-governed, not restricted, Bob holds nothing
            obj = Activity.objects.filter(workspace=source, budget_plan__isnull=False).first()
        else:
            obj = model.objects.filter(workspace=source).order_by("pk").first()
        assert obj is not None, f"seed a {model.__name__} so {path} can be checked"
        url = url.replace("{" + param + "}", str(obj.pk))
    return url


def _call(client, method: str, url: str, op: dict, headers: dict):
    body = json_body(DOC, op)
    kwargs = {"data": body, "content_type": "application/json"} if body is not None else {}
    return getattr(client, method)(url, **kwargs, **headers)


@pytest.fixture
def world(alice, acme, globex, eve, bob, vera):
    cache.clear()
    seed_plan_objects(acme, alice)
    seed_plan_objects(globex, eve)
    return {
        "eve": token_for(eve, globex),
        "alice": token_for(alice, acme),
        "bob": token_for(bob, acme),
    }


def test_every_object_endpoint_has_a_matrix_entry():
    paths = {path for path, _, _ in CASES}
    assert paths == set(MATRIX), f"add to MATRIX: {sorted(paths - set(MATRIX))}; stale: {set(MATRIX) - paths}"


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "method", "op"), CASES, ids=[f"{m} {p}" for p, m, _ in CASES])
def test_object_access_matrix(path, method, op, client, world, acme, globex, vera):
    write = method != "get"
    # Another workspace's user, with a valid write token for their own workspace.
    foreign = _call(client, method, _url(path, "acme", acme), op, bearer(world["eve"]))
    assert foreign.status_code == 404, f"Eve {method} {path}: {foreign.status_code}"
    # Acme's administrator naming a Globex object through Acme's URL.
    crossed = _call(client, method, _url(path, "acme", globex), op, bearer(world["alice"]))
    assert crossed.status_code == 404, f"Alice→Globex object {method} {path}: {crossed.status_code}"
    kind = MATRIX[path]
    if write and kind in {"raci", "owner", "admin"}:
        denied = _call(client, method, _url(path, "acme", acme), op, bearer(world["bob"]))
        assert denied.status_code in {403, 404}, f"Bob {method} {path}: {denied.status_code} {denied.content}"
    if kind == "raci":
        Activity.objects.filter(workspace=acme).update(restricted=True)
        hidden = _call(client, method, _url(path, "acme", acme), op, bearer(world["bob"]))
        if path.startswith("/api/w/{ws}/kpis/"):  # KPIs are workspace-wide; only writing needs the right
            assert hidden.status_code in ({403} if write else {200})
        else:
            assert hidden.status_code == 404, f"Bob, restricted {method} {path}: {hidden.status_code}"
        Activity.objects.filter(workspace=acme).update(restricted=False)
    if write:
        client.force_login(vera)
        viewer = _call(client, method, _url(path, "acme", acme), op, {})
        assert viewer.status_code == 403, f"Vera {method} {path}: {viewer.status_code}"
        client.logout()


LISTS = [
    path
    for path, method, op in operations(DOC)
    if method == "get" and "{ws}" in path and not object_params(path)
]


@pytest.mark.django_db
def test_lists_show_nothing_of_another_workspace(client, world, acme):
    for path in LISTS:
        response = client.get(path.replace("{ws}", "acme"), **bearer(world["alice"]))
        assert response.status_code == 200, path
        text = response.content.decode().lower()
        assert "globex" not in text, f"{path} leaks Globex data"
    for path in [p for p in MATRIX if "{ws}" in p]:
        response = client.get(_url(path, "acme", acme), **bearer(world["alice"]))
        assert "globex" not in response.content.decode().lower(), path
