"""Log in and out, change and reset a password, with Django's validators."""

import re

import pytest
from django.core import mail

from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_login_with_email_lands_in_only_workspace(client, alice, acme):
    response = client.post(
        "/accounts/login/", {"username": "ALICE@acme.example", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/w/acme/"
    assert b"You are Alice Andersen" in response.content


@pytest.mark.django_db
def test_wrong_password_shows_an_error(client, alice):
    response = client.post("/accounts/login/", {"username": "alice@acme.example", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct email address and password" in response.content


@pytest.mark.django_db
def test_logout_ends_the_session(client, alice, acme):
    client.force_login(alice)
    client.post("/accounts/logout/")
    assert client.get("/w/acme/").status_code == 302


@pytest.mark.django_db
def test_password_change_enforces_validators(client, alice):
    client.force_login(alice)
    weak = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert b"too common" in weak.content or b"too short" in weak.content
    ok = client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "fjord-lantern-917",
            "new_password2": "fjord-lantern-917",
        },
    )
    assert ok.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("fjord-lantern-917")


@pytest.mark.django_db
def test_password_reset_by_email_link(client, alice):
    client.post("/accounts/password/reset/", {"email": "alice@acme.example"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert b"Choose a new password" in form_page.content
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "aurora-kettle-552", "new_password2": "aurora-kettle-552"},
    )
    assert done.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("aurora-kettle-552")


@pytest.mark.django_db
def test_password_reset_for_unknown_email_sends_nothing_and_reveals_nothing(client):
    response = client.post("/accounts/password/reset/", {"email": "nobody@nowhere.example"}, follow=True)
    assert b"Check your email" in response.content and not mail.outbox


@pytest.mark.django_db
def test_admin_is_for_superusers_only(client, alice, admin_user):
    client.force_login(alice)
    assert client.get("/admin/").status_code == 302
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/core/auditevent/").status_code == 200
