"""The REST API (django-ninja). Every workspace route resolves the workspace through the caller's
memberships, exactly like the web views, so a foreign workspace answers 404. Routers per domain live in
opencmo/api/routers/; docs/api.md describes authentication, scopes, pagination and errors."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as SchemaError

from opencmo.api.auth import AUTH, ApiThrottle
from opencmo.api.routers import ROUTERS

api = NinjaAPI(
    title="OpenCMO API",
    version="1",
    description="Marketing operations API. Authenticate with `Authorization: Bearer ocmo_…` "
    "(a personal access token from Settings → API tokens) or the browser session.",
    auth=AUTH,
    throttle=[ApiThrottle()],
    urls_namespace="api",
)


def _error(request: HttpRequest, status: int, detail: str, errors: list[dict] | None = None):
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404):
    return _error(request, 404, "Not found.")


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied):
    return _error(request, 403, str(exc) or "Not allowed.")


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        errors = [
            {"field": None if field == "__all__" else field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"field": None, "message": message} for message in exc.messages]
    return _error(request, 422, " ".join(e["message"] for e in errors), errors)


@api.exception_handler(SchemaError)
def schema_invalid(request: HttpRequest, exc: SchemaError):
    errors = []
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ninja prefixes the parameter source and, for bodies, the argument name: body.body.name -> name
        if loc and loc[0] in {"body", "query", "path", "form", "file", "header", "cookie"}:
            loc = loc[2:] if loc[0] == "body" and len(loc) > 1 else loc[1:]
        errors.append({"field": ".".join(loc) or None, "message": error.get("msg", "Invalid.")})
    return _error(
        request, 422, "Invalid input: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors
    )


@api.exception_handler(ProtectedError)
@api.exception_handler(RestrictedError)
def in_use(request: HttpRequest, exc: Exception):
    return _error(request, 422, "Other records still refer to this one; remove or reassign them first.")


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled):
    return _error(request, 429, "Too many requests; see Retry-After.")


@api.exception_handler(AuthenticationError)
def unauthorised(request: HttpRequest, exc: AuthenticationError):
    return _error(
        request, 401, str(exc.message) if exc.message != "Unauthorized" else "Authentication required."
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError):
    return _error(request, exc.status_code, str(exc))


for prefix, router in ROUTERS:
    api.add_router(prefix, router)
