"""Turn input the database cannot even represent into a clear 400 instead of a 500."""

from django.http import HttpRequest, HttpResponseBadRequest


class OverflowGuardMiddleware:
    """An id like 99999999999999999999 in a URL or form overflows SQLite's 64-bit integers inside the
    query (OverflowError) before any validation can say "no such object". Answer 400 with the reason."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, OverflowError):
            return HttpResponseBadRequest(
                "A number in the request is too large to be an id or amount.", content_type="text/plain"
            )
        return None
