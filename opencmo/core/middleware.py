"""Turn input the database cannot even represent into a clear 400 instead of a 500."""

import json
import time

from django.http import HttpRequest, HttpResponseBadRequest, JsonResponse


def _nul_in(value) -> str | None:
    """The dotted path of the first string holding a NUL character inside a decoded JSON value."""
    if isinstance(value, str):
        return "" if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return key.replace("\x00", "\\0")
        found = _nul_in(item)
        if found is not None:
            return f"{key}.{found}" if found else str(key)
    return None


def _nul_field(request: HttpRequest) -> str | None:
    """Where a NUL character sits in the query string, a form body or a JSON body (files are not looked
    at: an upload may be binary and its importer names the problem)."""
    sources = [request.GET]
    if request.method in ("POST", "PUT", "PATCH"):
        if request.content_type == "application/x-www-form-urlencoded":
            sources.append(request.POST)
        elif request.content_type == "application/json" and b"\\u0000" in request.body:
            try:
                found = _nul_in(json.loads(request.body))
            except ValueError:
                return None  # not JSON: the view answers that
            if found is not None:
                return found or "body"
    for data in sources:
        for key, values in data.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return key.replace("\x00", "\\0")
    return None


class OverflowGuardMiddleware:
    """An id like 99999999999999999999 in a URL or form overflows SQLite's 64-bit integers inside the
    query (OverflowError) before any validation can say "no such object"; PostgreSQL refuses text with a
    NUL character (DataError) wherever it appears. Answer 400 with the reason and the field."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        field = _nul_field(request)
        if field is not None:
            message = "Text may not contain NUL (\\0) characters."
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": f"{field}: {message}", "errors": [{"field": field, "message": message}]},
                    status=400,
                )
            return HttpResponseBadRequest(f"{field}: {message}", content_type="text/plain")
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, OverflowError):
            return HttpResponseBadRequest(
                "A number in the request is too large to be an id or amount.", content_type="text/plain"
            )
        return None


class ServerTimingMiddleware:
    """``Server-Timing: app;dur=<ms>`` on every response: the time Django spent on the request, as the
    browser's developer tools and the load check (benchmarks/load_run.py) read it; it excludes the time
    a request waited for a free worker, which the client-side latency includes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        started = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={1000 * (time.perf_counter() - started):.1f}"
        return response
