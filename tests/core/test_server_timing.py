"""Every response says how long Django worked on it (the load check reads it; so do browsers)."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_pages_api_and_errors_carry_server_timing(client_for, alice, acme, monkeypatch):
    from opencmo.core import middleware

    clock = iter([10.0, 10.0425])  # 42.5 ms between the start and the end of the request
    monkeypatch.setattr(middleware.time, "perf_counter", lambda: next(clock))
    page = client_for(alice).get("/w/acme/org/people/")
    assert page.status_code == 200 and page["Server-Timing"] == "app;dur=42.5"
    monkeypatch.undo()
    client = client_for(alice)
    for url, status in [("/api/w/acme/people", 200), ("/w/acme/nowhere/", 404), ("/healthz", 200)]:
        response = client.get(url)
        assert response.status_code == status
        assert re.fullmatch(r"app;dur=\d+\.\d", response["Server-Timing"]), url
