"""Locust user for OpenCMO's load check (run by benchmarks/load_run.py, or by hand):

    OPENCMO_LOAD_EMAIL=... OPENCMO_LOAD_WS=nordlys .venv/bin/locust -f benchmarks/load_locust.py \
        --host http://127.0.0.1:8105 --headless -u 20 -r 20 --run-time 30s

One real sign-in through the login form (CSRF, session cookie) is shared by the simulated users, who browse:
the dashboard (insights home, or budget home where insights is missing), list pages, and the JSON API
with the same session. Request names group by page, not by id, so percentiles are per endpoint kind.
Each response's ``Server-Timing`` (Django's own time, without the wait for a free worker) is kept per
request name and written as JSON to ``OPENCMO_LOAD_SERVER_TIMES`` at the end.
"""

import json
import os
import re
import time
from collections import defaultdict

import requests
from locust import HttpUser, between, events, task

EMAIL = os.environ.get("OPENCMO_LOAD_EMAIL", "")
PASSWORD = os.environ.get("OPENCMO_LOAD_PASSWORD", "nordlys-demo-2026")
WS = os.environ.get("OPENCMO_LOAD_WS", "nordlys")
DASHBOARD = os.environ.get("OPENCMO_LOAD_DASHBOARD", f"/w/{WS}/insights/")
LISTS = [
    ("list: campaigns", f"/w/{WS}/campaigns/"),
    ("list: work board", f"/w/{WS}/work/"),
    ("list: people", f"/w/{WS}/org/people/"),
    ("list: customers", f"/w/{WS}/customers/"),
    ("list: budget", f"/w/{WS}/budget/"),
]
API = [
    ("api: workspaces", "/api/workspaces"),
    ("api: campaigns", f"/api/w/{WS}/campaigns"),
    ("api: people", f"/api/w/{WS}/people"),
    ("api: contacts", f"/api/w/{WS}/contacts"),
    ("api: tasks", f"/api/w/{WS}/tasks"),
]


_SESSION: dict[str, str] = {}
_SERVER_MS: dict[str, list[float]] = defaultdict(list)
_TIMING = re.compile(r"app;dur=([0-9.]+)")


@events.request.add_listener
def _server_time(name, response=None, exception=None, **kwargs) -> None:
    header = response.headers.get("Server-Timing", "") if response is not None and not exception else ""
    found = _TIMING.search(header)
    if found:
        _SERVER_MS[name].append(float(found.group(1)))


@events.test_stop.add_listener
def _write_server_times(environment, **kwargs) -> None:
    path = os.environ.get("OPENCMO_LOAD_SERVER_TIMES")
    if path:
        with open(path, "w") as handle:
            json.dump(_SERVER_MS, handle)


@events.test_start.add_listener
def _sign_in_once(environment, **kwargs) -> None:
    """Sign in once through the real login form and share the session cookie, so the measured window
    is page and API load, not a hundred password hashes at the start (login is timed separately as
    "login")."""
    host = environment.host
    with requests.Session() as session:
        started = time.monotonic()
        page = session.get(f"{host}/accounts/login/", timeout=60)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        response = session.post(
            f"{host}/accounts/login/",
            {"username": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1) if token else ""},
            headers={"Referer": f"{host}/accounts/login/"},
            allow_redirects=False,
            timeout=60,
        )
        if response.status_code != 302:
            raise RuntimeError(f"login failed for {EMAIL}: HTTP {response.status_code}")
        _SESSION.update(session.cookies.get_dict())
        print(f"login took {1000 * (time.monotonic() - started):.0f} ms")


class MarketingUser(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        for name, value in _SESSION.items():
            self.client.cookies.set(name, value)

    @task(3)
    def dashboard(self) -> None:
        self.client.get(DASHBOARD, name="dashboard")

    @task(4)
    def list_page(self) -> None:
        name, url = LISTS[self._next("lists", len(LISTS))]
        self.client.get(url, name=name)

    @task(4)
    def api(self) -> None:
        name, url = API[self._next("api", len(API))]
        self.client.get(url, name=name)

    def _next(self, key: str, size: int) -> int:
        counters = self.__dict__.setdefault("_counters", {})
        counters[key] = (counters.get(key, -1) + 1) % size
        return counters[key]
