"""Walk every URL pattern and prove that a foreign workspace's pages are invisible.

Any route that takes a workspace must answer 404 to a user who is not a member of it, and any object in
a route must be looked up inside the route's workspace. A new route that is neither workspace-scoped nor
on the short list of global pages below makes this test fail, so scoping cannot be forgotten.
"""

import re

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, path

from opencmo.core.models import Membership
from tests.api.schema_tools import example
from tests.conftest import seed_plan_objects

# Pages that are not inside a workspace, and why they are safe.
GLOBAL_ROUTES = {
    "": "home: redirects to one of the user's own workspaces",
    "healthz": "liveness probe, returns 'ok'",
    "workspaces/": "lists only the user's own memberships",
    "api/workspaces": "lists only the user's own memberships (tested below)",
    "api/": "API root: links to the schema, no data",
    "api/openapi.json": "schema, no data",
    "api/docs": "schema browser, no data",
    "ical/<str:token>.ics": "secret-token iCal feed; the token is the credential (tests/campaigns)",
    "collect/": "public first-party collector: site key and origin checked, no workspace in the URL",
    "assets/vega-<str:version>.js": "the Vega chart runtime (open-source library code), no data",
}
GLOBAL_PREFIXES = ("accounts/", "admin/", "static/")  # auth pages; Django admin is superuser-only


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _routes():
    return [(route, entry) for route, entry in _walk(get_resolver().url_patterns)]


def _model_for(param: str):
    """`person_pk` -> Person: object parameters are named after the model they look up."""
    name = param.removesuffix("_pk").replace("_", "")
    for model in apps.get_models():
        if model._meta.model_name == name and model._meta.app_label in {"core", "org"} | _opencmo_labels():
            return model
    raise AssertionError(f"URL parameter <{param}> does not name an OpenCMO model; call it <model_pk>.")


def _opencmo_labels() -> set[str]:
    return {c.label for c in apps.get_app_configs() if c.name.startswith("opencmo.")}


def _fill(route: str, ws: str, objects_from) -> str:
    def value(match: re.Match) -> str:
        param = match.group(2)
        if param == "ws":
            return ws
        model = _model_for(param)
        obj = model.objects.filter(workspace=objects_from).first()
        assert obj is not None, f"seed a {model.__name__} in the other workspace so {route} can be checked"
        return str(obj.pk)

    return re.sub(r"<(?:(\w+):)?(\w+)>", value, route).replace("^", "").replace("$", "")


def _is_workspace_route(route: str) -> bool:
    return bool(re.search(r"<(?:\w+:)?ws>", route))


@pytest.fixture
def globex_full(globex, eve):
    """Globex with one object of every kind a route can name."""
    seed_plan_objects(globex, eve)
    return globex


@pytest.mark.django_db
def test_every_route_is_scoped_or_declared_global():
    unscoped = [
        route
        for route, _ in _routes()
        if not _is_workspace_route(route)
        and route not in GLOBAL_ROUTES
        and not route.startswith(GLOBAL_PREFIXES)
    ]
    assert not unscoped, f"routes neither under a workspace nor declared global: {unscoped}"


def _api_bodies(client) -> dict[tuple[str, str], dict]:
    """(path pattern, method) -> (content type, example body), from the OpenAPI schema."""
    schema = client.get("/api/openapi.json").json()
    components = schema.get("components", {}).get("schemas", {})
    bodies = {}
    for api_path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            for kind in ("application/json", "multipart/form-data"):
                if kind in content:
                    body = example(content[kind]["schema"], components)
                    bodies[(re.sub(r"\{\w+\}", "{}", api_path), method)] = (kind, body)
    return bodies


def _assert_not_found(client, url: str, route: str = "") -> None:
    """404 for the methods the route serves; 405 (nothing served, nothing leaked) for the others.
    API writes get a schema-valid body, so they are refused by scoping, not by validation."""
    bodies = _api_bodies(client) if url.startswith("/api/") else {}
    pattern = "/" + re.sub(r"<(?:\w+:)?\w+>", "{}", route)
    statuses = {}
    for method in ("get", "post", "put", "patch", "delete"):
        kind, body = bodies.get((pattern, method), (None, None))
        if kind == "multipart/form-data":
            kwargs = {"data": body}  # the test client encodes a dict as multipart, files included
        else:
            kwargs = {"data": body, "content_type": "application/json"} if body is not None else {}
        statuses[method] = getattr(client, method)(url, **kwargs).status_code
    assert set(statuses.values()) <= {404, 405} and 404 in statuses.values(), f"{url}: {statuses}"


def _workspace_routes():
    return [route for route, _ in _routes() if _is_workspace_route(route)]


@pytest.mark.django_db
@pytest.mark.parametrize("route", _workspace_routes())
def test_foreign_workspace_is_not_found(route, client, alice, acme, globex_full):
    """Alice administers Acme; every Globex page is a 404 to her, whatever the method."""
    client.force_login(alice)
    url = "/" + _fill(route, "globex", globex_full)
    _assert_not_found(client, url, route)


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in _workspace_routes() if re.search(r"<(?:\w+:)?\w+_pk>", r)])
def test_foreign_object_in_own_workspace_is_not_found(route, client, alice, acme, globex_full):
    """Alice's own workspace with a Globex object's id: still 404, never Globex's data."""
    client.force_login(alice)
    url = "/" + _fill(route, "acme", globex_full)
    _assert_not_found(client, url, route)


@pytest.mark.django_db
def test_removed_member_loses_access(client, alice, acme, bob):
    client.force_login(bob)
    assert client.get("/w/acme/org/people/").status_code == 200
    Membership.objects.filter(user=bob, workspace=acme).update(is_active=False)
    assert client.get("/w/acme/org/people/").status_code == 404


@pytest.mark.django_db
def test_workspace_lists_show_only_own_workspaces(client, alice, acme, globex):
    client.force_login(alice)
    page = client.get("/workspaces/").content.decode()
    api = client.get("/api/workspaces").json()
    assert "Acme" in page and "Globex" not in page
    assert [w["slug"] for w in api] == ["acme"]


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, acme):
    response = client.get("/w/acme/org/people/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/api/w/acme/people").status_code == 401


def leaky_view(request, ws):
    from django.http import HttpResponse

    return HttpResponse(f"data of {ws}")


urlpatterns = [path("w/<slug:ws>/leak/", leaky_view)]


@pytest.mark.django_db
def test_the_walk_catches_an_unscoped_page(client, alice, acme, globex, settings):
    """Guard for the guard: a page that forgets `workspace_view` is reported."""
    settings.ROOT_URLCONF = __name__
    client.force_login(alice)
    assert [r for r in _workspace_routes()] == ["w/<slug:ws>/leak/"]
    with pytest.raises(AssertionError, match="leak"):
        _assert_not_found(client, "/" + _fill("w/<slug:ws>/leak/", "globex", globex))


@pytest.mark.django_db
def test_absurd_ids_are_refused_not_crashed(client, alice, acme):
    client.force_login(alice)
    huge = "9" * 30
    assert client.get(f"/w/acme/org/people/{huge}/").status_code in {400, 404}
    response = client.post("/w/acme/org/people/new/", {"name": "X", "reports_to": huge, "is_active": "on"})
    assert response.status_code in {200, 400}
