"""The public first-party collector: ``POST /collect/`` from the cookieless ``collect.js`` snippet.

* **Site key and origin**: the payload names a site key (public, per site, see :class:`CollectSite`);
  only that site's origin may post (CORS answers name that origin only) and the page URL must be on it.
* **Consent**: with ``c: true`` the snippet may send a visitor id it keeps in ``localStorage``; we store
  only a hash of it. Without consent no identifier is stored: the visitor key is a hash of a secret that
  rotates daily, the site key, the IP and the user agent, so visits cannot be linked across days and the
  IP itself is never kept.
* **Rate limit**: 120 hits per minute per IP and site key (Django's cache); more gets 429.
* **Validation**: JSON object under 8 KB, known fields, http(s) URLs, bounded lengths; anything else
  gets 400 with a short reason.

Each hit becomes an ``events`` row (``page_view`` unless named) and, when it carries UTM parameters,
a click id or an outside referrer, a ``touchpoints`` row with its GA4 default channel group.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import uuid
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from opencmo.analytics.store import StoreError
from opencmo.data.models import CollectSite
from opencmo.data.parsers.channels import channel_group

MAX_BODY = 8 * 1024
RATE = 120  # hits per minute per IP and key
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
VISITOR = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
FIELDS = {"k", "u", "r", "c", "v", "e", "t"}


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = "86400"
    response["Vary"] = "Origin"
    return response


def _bad(message: str, status: int = 400, origin: str = "") -> HttpResponse:
    response = JsonResponse({"error": message}, status=status)
    return _cors(response, origin) if origin else response


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def daily_salt(day: dt.date) -> bytes:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"collect:{day.isoformat()}".encode(), hashlib.sha256
    ).digest()


def visitor_key(*, site: CollectSite, consent: bool, visitor: str, ip: str, agent: str, day: dt.date) -> str:
    if consent and visitor:
        return "v:" + hashlib.sha256(f"{site.key}:{visitor}".encode()).hexdigest()[:32]
    digest = hmac.new(daily_salt(day), f"{site.key}|{ip}|{agent}".encode(), hashlib.sha256).hexdigest()
    return "d:" + digest[:32]


def attribution(url: str, referrer: str) -> tuple[str, str, str] | None:
    """(source, medium, campaign) from UTM parameters, click ids or an outside referrer."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items() if v}
    if query.get("utm_source") or query.get("utm_medium"):
        return (
            query.get("utm_source", "")[:255],
            query.get("utm_medium", "")[:255],
            query.get("utm_campaign", "")[:255],
        )
    if query.get("gclid"):
        return "google", "cpc", query.get("utm_campaign", "")[:255]
    if query.get("fbclid"):
        return "facebook", "referral", ""
    if referrer:
        host = urlsplit(referrer).hostname or ""
        if host and host != urlsplit(url).hostname:
            return host[:255], "referral", ""
    return None


@csrf_exempt
def collect(request: HttpRequest) -> HttpResponse:
    origin = request.headers.get("Origin", "")
    if request.method == "OPTIONS":
        if origin and CollectSite.objects.filter(origin=origin.lower(), is_active=True).exists():
            return _cors(HttpResponse(status=204), origin)
        return HttpResponse(status=403)
    if request.method != "POST":
        response = HttpResponse("POST page views here.", status=405, content_type="text/plain")
        response["Allow"] = "POST, OPTIONS"
        return response
    if len(request.body) > MAX_BODY:
        return _bad("The payload is larger than 8 KB.", 413)
    try:
        payload = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _bad("The payload must be a JSON object.")
    if not isinstance(payload, dict):
        return _bad("The payload must be a JSON object.")
    key = payload.get("k")
    if not isinstance(key, str) or not re.fullmatch(r"site_[A-Za-z0-9_-]{10,40}", key):
        return _bad("Unknown site key.", 404)
    site = CollectSite.objects.select_related("workspace").filter(key=key, is_active=True).first()
    if site is None:
        return _bad("Unknown site key.", 404)
    if origin and origin.lower() != site.origin:
        return HttpResponse(status=403)
    allow = site.origin
    unknown = set(payload) - FIELDS
    if unknown:
        return _bad(f"Unknown field(s): {', '.join(sorted(unknown))[:100]}.", origin=allow)
    url = payload.get("u")
    if not isinstance(url, str) or len(url) > 2000 or urlsplit(url).scheme not in ("http", "https"):
        return _bad("“u” must be the page's http(s) address (at most 2,000 characters).", origin=allow)
    parts = urlsplit(url)
    if f"{parts.scheme}://{(parts.netloc or '').lower()}" != site.origin:
        return _bad("The page is not on this site's origin.", 403, origin=allow)
    referrer = payload.get("r") or ""
    if not isinstance(referrer, str) or len(referrer) > 2000:
        return _bad("“r” must be a text of at most 2,000 characters.", origin=allow)
    consent = payload.get("c", False)
    if not isinstance(consent, bool):
        return _bad("“c” (consent) must be true or false.", origin=allow)
    visitor = payload.get("v") or ""
    if visitor and (not isinstance(visitor, str) or not VISITOR.fullmatch(visitor)):
        return _bad("“v” must be 8 to 64 letters, digits, - or _.", origin=allow)
    name = payload.get("e") or "page_view"
    if not isinstance(name, str) or not EVENT_NAME.fullmatch(name):
        return _bad("“e” must be an event name like page_view or generate_lead.", origin=allow)
    title = payload.get("t") or ""
    if not isinstance(title, str):
        return _bad("“t” must be text.", origin=allow)

    ip = _client_ip(request)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    bucket = f"collect:{hashlib.sha256(f'{ip}|{key}'.encode()).hexdigest()[:24]}:{now:%Y%m%d%H%M}"
    if cache.get_or_set(bucket, 0, timeout=90) >= RATE:
        return _bad("Too many hits; slow down.", 429, origin=allow)
    try:
        cache.incr(bucket)
    except ValueError:
        cache.set(bucket, 1, timeout=90)

    user = visitor_key(
        site=site,
        consent=consent,
        visitor=visitor if consent else "",
        ip=ip,
        agent=request.headers.get("User-Agent", "")[:300],
        day=now.date(),
    )
    session = f"{user}:{now:%Y%m%d}"
    source = attribution(url, referrer)
    params = {"site": site.pk, "consent": consent}
    if title:
        params["title"] = title[:300]
    if referrer:
        params["referrer_host"] = (urlsplit(referrer).hostname or "")[:255]
    if source:
        params.update(source=source[0], medium=source[1], campaign=source[2])
    try:
        _write(site, user, session, now, name, parts.path or "/", params, source)
    except StoreError:
        return _bad("The collector is busy; try again.", 503, origin=allow)
    return _cors(HttpResponse(status=204), allow)


def _write(site, user, session, now, name, path, params, source) -> None:
    from opencmo.data.services import open_store

    with open_store(site.workspace, timeout=5) as store:
        store.migrate()
        with store.transaction() as con:
            con.execute(
                "INSERT INTO events (event_key, user_key, ts, event_name, session_key, page, params) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [uuid.uuid4().hex, user, now, name, session, path[:2000], json.dumps(params)],
            )
            if source:
                channel = channel_group(*source)
                con.execute(
                    "INSERT INTO touchpoints (user_key, ts, channel, source, medium, campaign, is_direct, "
                    "session_key) "
                    "VALUES (?, ?, ?, ?, ?, ?, false, ?) ON CONFLICT DO NOTHING",
                    [user, now, channel, source[0], source[1], source[2], session],
                )
