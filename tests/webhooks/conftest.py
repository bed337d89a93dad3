import pytest

from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver listens on loopback
    settings.WEBHOOK_TIMEOUT_SECONDS = 3
    with Receiver() as server:
        yield server


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the service and then its on-commit callbacks (sending), as a real request would."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run
