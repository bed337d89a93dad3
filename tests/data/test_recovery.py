"""Stuck runs: a run whose worker died is found (dead pid or no heartbeat), marked failed with a clear
message, the store is as before, and starting it again loads the file exactly once."""

import datetime as dt
import os
import signal
import socket
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from opencmo.core import recovery
from opencmo.data.models import ImportRun
from opencmo.data.services import (
    import_file,
    importrun_create,
    importrun_execute,
    importrun_recover,
    importruns_recover_stale,
    open_store,
)

from .conftest import SAMPLES, sample
from .test_imports import add_rate, counts
from .test_loader import _child


@pytest.fixture
def rates(acme):
    add_rate(acme)


def _running(workspace, actor, *, worker: str, beat_age: float = 0, name="google_ads_report.csv"):
    """A run as a worker leaves it while executing: status running, its worker and last heartbeat."""
    run = importrun_create(
        actor=actor, workspace=workspace, kind="google_ads", filename=name, data=sample(name), enqueue=False
    )
    seen = timezone.now() - dt.timedelta(seconds=beat_age)
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.RUNNING, worker=worker, started_at=seen, heartbeat_at=seen, progress=40
    )
    run.refresh_from_db()
    return run


def test_killed_worker_is_recovered_store_unchanged_and_retry_loads_once(
    acme, alice, rates, client_for, django_capture_on_commit_callbacks
):
    import_file(
        actor=alice, workspace=acme, kind="google_ads", filename="p.csv", data=sample("google_ads_plain.csv")
    )
    before = counts(acme)
    # a real process loading this run's file into the workspace's store, killed mid-transaction
    db = open_store(acme).path
    child = _child(db.parent, db, SAMPLES / "google_ads_report.csv", "slow")
    run = _running(acme, alice, worker=f"{socket.gethostname()}:{child.pid}")
    assert child.stdout.readline().startswith("BATCH")  # rows written, not committed
    assert importrun_recover(run=run) is False  # alive and beating: left alone
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)

    assert importrun_recover(run=run) is True
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED and run.recovered_at is not None
    assert "no longer running" in run.message and "Nothing was written" in run.message
    assert counts(acme) == before
    assert importrun_recover(run=run) is False  # once

    client = client_for(alice)
    page = client.get(reverse("import_run_detail", kwargs={"ws": "acme", "importrun_pk": run.pk}))
    assert b"Start this import again" in page.content and b"hx-trigger" not in page.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_run_again", kwargs={"ws": "acme", "importrun_pk": run.pk}))
    retry = ImportRun.objects.exclude(pk=run.pk).latest("pk")
    assert retry.status == ImportRun.Status.SUCCEEDED and retry.worker.endswith(f":{os.getpid()}")
    after = counts(acme)
    assert after["imports"] == before["imports"] + 1
    # the report's rows are in (upserted over the plain file's overlap), none of the killed child's 5000
    assert before["ad_performance"] < after["ad_performance"] < 5000
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_run_again", kwargs={"ws": "acme", "importrun_pk": run.pk}))
    assert ImportRun.objects.latest("pk").status == ImportRun.Status.DUPLICATE
    assert counts(acme) == after


def test_silent_worker_on_another_host_is_recovered_after_the_stale_time(acme, alice, settings):
    settings.OPENCMO_IMPORT_STALE_SECONDS = 60
    fresh = _running(acme, alice, worker="elsewhere:4242", beat_age=30)
    stale = _running(acme, alice, worker="elsewhere:4243", beat_age=90, name="google_ads_plain.csv")
    recovered = importruns_recover_stale(workspace=acme)
    assert [r.pk for r in recovered] == [stale.pk]
    stale.refresh_from_db()
    assert "stopped responding" in stale.message and "elsewhere:4243" in stale.message
    fresh.refresh_from_db()
    assert fresh.status == ImportRun.Status.RUNNING


def test_heartbeat_file_keeps_a_run_alive_while_the_database_lags(acme, alice, settings):
    """During the load, progress is saved inside the transaction; the file is what others see."""
    settings.OPENCMO_IMPORT_STALE_SECONDS = 60
    run = _running(acme, alice, worker="elsewhere:1", beat_age=600)
    recovery.beat(run.pk)
    assert importrun_recover(run=run) is False
    old = time.time() - 600
    os.utime(recovery.beat_path(run.pk), (old, old))
    assert importrun_recover(run=run) is True


def test_heartbeat_thread_beats_and_cleans_up(tmp_path):
    with recovery.Heartbeat(99, every=0.05):
        first = recovery.beat_path(99).stat().st_mtime_ns
        time.sleep(0.3)
        assert recovery.beat_path(99).stat().st_mtime_ns > first
    assert not recovery.beat_path(99).exists()


def test_execute_records_its_worker_and_finishes_alive(acme, alice, rates):
    run = importrun_create(
        actor=alice,
        workspace=acme,
        kind="google_ads",
        filename="r.csv",
        data=sample("google_ads_report.csv"),
        enqueue=False,
    )
    importrun_execute(run=run)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.worker == recovery.worker_id() and run.heartbeat_at is not None
    assert run.recovered_at is None and not recovery.beat_path(run.pk).exists()
    assert importruns_recover_stale() == []


def test_data_page_and_cli_recover(acme, alice, client_for, capsys, settings):
    settings.OPENCMO_IMPORT_STALE_SECONDS = 60
    first = _running(acme, alice, worker="elsewhere:1", beat_age=120)
    client_for(alice).get(reverse("data_home", kwargs={"ws": "acme"}))
    first.refresh_from_db()
    assert first.status == ImportRun.Status.FAILED
    second = _running(acme, alice, worker="elsewhere:2", beat_age=120, name="google_ads_plain.csv")
    call_command("import", "--recover")
    assert f"Run {second.pk}" in capsys.readouterr().out
    second.refresh_from_db()
    assert second.status == ImportRun.Status.FAILED and second.recovered_at


def test_only_checked_or_interrupted_runs_start_again(acme, alice, client_for):
    run = import_file(
        actor=alice, workspace=acme, kind="google_ads", filename="bad.csv", data=b"Day,Campaign\n"
    )
    assert run.status == ImportRun.Status.FAILED
    client_for(alice).post(reverse("import_run_again", kwargs={"ws": "acme", "importrun_pk": run.pk}))
    assert ImportRun.objects.count() == 1


def test_viewer_sees_no_retry_button(acme, alice, vera, client_for, settings):
    settings.OPENCMO_IMPORT_STALE_SECONDS = 60
    run = _running(acme, alice, worker="elsewhere:1", beat_age=120)
    page = client_for(vera).get(reverse("import_run_detail", kwargs={"ws": "acme", "importrun_pk": run.pk}))
    assert b"stopped responding" in page.content and b"Start this import again" not in page.content
