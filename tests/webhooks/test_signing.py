"""Signing follows the Standard Webhooks spec: its published test vector, and an independent verifier."""

import json

import pytest

from opencmo.webhooks import signing
from tests.webhooks.receiver import verify_standard_webhook

# From the Standard Webhooks reference libraries' test suite.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TS = 1614265330
VECTOR_BODY = '{"test": 2432232314}'
VECTOR_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_known_vector():
    assert signing.sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_BODY) == VECTOR_SIG
    assert signing.sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_BODY.encode()) == VECTOR_SIG


def test_verify_accepts_the_vector_and_refuses_tampering_and_old_messages():
    headers = {"webhook-id": VECTOR_ID, "webhook-timestamp": str(VECTOR_TS), "webhook-signature": VECTOR_SIG}
    signing.verify(VECTOR_SECRET, headers, VECTOR_BODY.encode(), now=VECTOR_TS + 10)
    # Several signatures during a rotation: any v1 match is enough.
    rotated = {**headers, "webhook-signature": "v1,bm90LWl0 " + VECTOR_SIG}
    signing.verify(VECTOR_SECRET, rotated, VECTOR_BODY.encode(), now=VECTOR_TS)
    with pytest.raises(signing.SignatureError, match="No matching"):
        signing.verify(VECTOR_SECRET, headers, b'{"test": 2432232315}', now=VECTOR_TS)
    with pytest.raises(signing.SignatureError, match="tolerance"):
        signing.verify(VECTOR_SECRET, headers, VECTOR_BODY.encode(), now=VECTOR_TS + 301)
    with pytest.raises(signing.SignatureError, match="Missing"):
        signing.verify(VECTOR_SECRET, {"webhook-id": VECTOR_ID}, b"", now=VECTOR_TS)


def test_new_secrets_are_random_32_byte_keys_that_an_independent_verifier_accepts():
    a, b = signing.new_secret(), signing.new_secret()
    assert a != b and a.startswith("whsec_") and len(signing.key_of(a)) == 32
    body = json.dumps({"type": "x"}).encode()
    import time

    now = int(time.time())
    headers = signing.headers(a, "msg_1", now, body)
    assert verify_standard_webhook(a, headers, body)
    assert not verify_standard_webhook(b, headers, body)
    assert not verify_standard_webhook(a, headers, body + b" ")


def test_a_broken_secret_is_a_clear_error():
    with pytest.raises(signing.SignatureError, match="base64"):
        signing.sign("whsec_not base64!", "msg", 1, b"")
