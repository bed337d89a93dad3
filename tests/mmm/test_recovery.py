"""A fit whose worker process died is marked failed with the reason (not "running" forever); a live one
is left alone; the run page shows it and a new run on the same data can start."""

import datetime as dt
import os
import socket
import subprocess
import sys

import pytest
from django.utils import timezone

from opencmo.core import recovery
from opencmo.core.models import AuditEvent
from opencmo.mmm import services
from opencmo.mmm.models import ModelRun

pytestmark = pytest.mark.django_db


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _running(world, **fields) -> ModelRun:
    now = timezone.now()
    return ModelRun.objects.create(
        workspace=world.ws,
        config={"method": "map"},
        status=ModelRun.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        **fields,
    )


def test_a_run_whose_worker_died_is_failed_with_the_reason(world):
    dead = _running(world, worker=f"{socket.gethostname()}:{_dead_pid()}")
    alive = _running(world, worker=f"{socket.gethostname()}:{os.getpid()}")
    assert services.modelruns_recover(world.ws) == [dead]
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == ModelRun.Status.FAILED and "is no longer running" in dead.error
    assert "start the run again" in dead.error
    assert alive.status == ModelRun.Status.RUNNING
    assert AuditEvent.objects.filter(
        object_type="mmm.ModelRun", object_id=str(dead.pk), action="update"
    ).exists()
    assert services.modelruns_recover(world.ws) == []  # once only


def test_a_silent_worker_on_another_host_counts_as_dead_after_the_stale_time(world, settings):
    settings.OPENCMO_IMPORT_STALE_SECONDS = 60
    old = timezone.now() - dt.timedelta(minutes=5)
    silent = _running(world, worker="other-host:4242")
    ModelRun.objects.filter(pk=silent.pk).update(started_at=old, heartbeat_at=old)
    fresh = _running(world, worker="other-host:4343")
    recovery.beat(fresh.pk, kind=services.BEAT_KIND)
    assert [r.pk for r in services.modelruns_recover(world.ws)] == [silent.pk]
    silent.refresh_from_db()
    assert "stopped responding" in silent.error


def test_the_run_page_shows_the_failure(world, client_for):
    dead = _running(world, worker=f"{socket.gethostname()}:{_dead_pid()}")
    response = client_for(world.team.alice).get(f"/w/{world.ws.slug}/insights/models/runs/{dead.pk}/")
    assert response.status_code == 200
    assert "is no longer running" in response.content.decode()
