"""A NUL character anywhere a database would see it is a 400 naming the field (PostgreSQL refuses such
text with an error that used to surface as a 500), on pages and on the API alike."""

import json
from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.django_db


def test_query_string_nul_is_a_400_naming_the_parameter(client_for, alice, acme):
    client = client_for(alice)
    response = client.get("/w/acme/org/people/", {"q": "a\x00b"})
    assert response.status_code == 400
    assert b"q: Text may not contain NUL" in response.content


def test_api_query_and_json_nul_use_the_api_error_shape(client_for, alice, acme):
    client = client_for(alice)
    response = client.get("/api/w/acme/people", {"q": "x\x00"})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "q", "message": "Text may not contain NUL (\\0) characters."}
    ]
    response = client.post(
        "/api/w/acme/campaigns",
        json.dumps({"name": "Spring", "tags": ["ok", "bad\x00"]}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "tags.1"


def test_form_body_nul_is_a_400(client_for, alice, acme):
    response = client_for(alice).post(
        "/w/acme/campaigns/new/",
        urlencode({"name": "Spring\x00"}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert b"name: Text may not contain NUL" in response.content


def test_ordinary_requests_pass(client_for, alice, acme):
    client = client_for(alice)
    assert client.get("/w/acme/org/people/", {"q": "Alice"}).status_code == 200
    assert client.get("/api/w/acme/people", {"q": "Alice"}).status_code == 200
