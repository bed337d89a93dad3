"""The webhook pages in Chromium: add a signed endpoint, copy the secret shown once, send a test event
and read the delivery log. Screenshots go to test-artifacts/ (webhooks-*.png)."""

import pytest

from tests.conftest import PASSWORD
from tests.webhooks.receiver import Receiver, verify_standard_webhook

pytestmark = pytest.mark.browser


@pytest.fixture
def signed_in(transactional_db, page, live_server, alice, acme, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email address").fill(alice.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return page


def test_add_endpoint_see_secret_once_send_test_event(signed_in, live_server, shot):
    page = signed_in
    with Receiver() as receiver:
        page.goto(f"{live_server.url}/w/acme/settings/webhooks/")
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("Description").fill("Acme CRM")
        page.get_by_label("Campaign status changed").check()
        page.get_by_label("MQL handed to sales").check()
        shot("webhooks-list")
        page.get_by_role("button", name="Add endpoint").click()
        secret = page.get_by_test_id("webhook-secret").inner_text()
        assert secret.startswith("whsec_")
        shot("webhooks-secret")
        page.get_by_role("link", name="Continue to the endpoint").click()
        assert secret not in page.content()
        page.get_by_test_id("webhook-test").click()
        page.wait_for_load_state()
        page.reload()  # the test event was sent after the request committed
        log = page.get_by_test_id("attempt-table")
        assert "webhook.test" in log.inner_text() and "200" in log.inner_text()
        shot("webhooks-detail")
        request = receiver.requests[0]
        assert verify_standard_webhook(secret, request["headers"], request["body"])
        page.get_by_test_id("attempt-table").get_by_role("link").first.click()
        assert "webhook.test" in page.get_by_role("heading", level=1).inner_text()
        shot("webhooks-delivery")


def test_login_page_says_when_signing_in_is_paused(
    page, live_server, alice, transactional_db, settings, shot
):
    settings.LOGIN_THROTTLE_ACCOUNT_LIMIT = 2
    for _ in range(3):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email address").fill(alice.email)
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
    assert "Too many failed sign-in attempts" in page.get_by_role("alert").inner_text()
    shot("login-throttled")
