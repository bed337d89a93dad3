"""Who is calling: a personal access token (`Authorization: Bearer ocmo_…`) or the browser session
(with CSRF for unsafe methods). Rate limits are per token and per session."""

import os

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth
from ninja.throttling import SimpleRateThrottle

from opencmo.api import tokens
from opencmo.api.models import ApiToken
from opencmo.core.models import Membership

DEFAULT_RATE = "600/min"


class TokenAuth(HttpBearer):
    """A usable token of an active user who is still an active member of the token's workspace.
    A presented but bad token is a 401 even when a session cookie is also sent."""

    def __call__(self, request: HttpRequest):
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        result = super().__call__(request)
        if result is None:
            raise AuthenticationError(401, "Invalid, expired or revoked token.")
        return result

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = tokens.token_for_secret(token)
        if found is None or not found.user.is_active:
            return None
        if not Membership.objects.filter(user=found.user, workspace=found.workspace, is_active=True).exists():
            return None
        tokens.mark_used(found)
        request.user = found.user
        return found


def token_of(request: HttpRequest) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


class ApiThrottle(SimpleRateThrottle):
    """One bucket per token, per browser session, else per client address. The rate comes from the
    OPENCMO_API_RATE setting or environment variable (default 600/min), read per request so it can be
    tuned without a restart in tests."""

    scope = "api"

    def __init__(self) -> None:
        super().__init__(rate=DEFAULT_RATE)

    def allow_request(self, request: HttpRequest) -> bool:
        rate = (
            getattr(settings, "OPENCMO_API_RATE", None) or os.environ.get("OPENCMO_API_RATE") or DEFAULT_RATE
        )
        self.rate = rate
        self.num_requests, self.duration = self.parse_rate(rate)
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str:
        token = token_of(request)
        if token is not None:
            ident = f"token-{token.pk}"
        elif getattr(request, "session", None) is not None and request.session.session_key:
            ident = f"session-{request.session.session_key}"
        else:
            ident = f"addr-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


AUTH = [TokenAuth(), SessionAuth(csrf=True)]
