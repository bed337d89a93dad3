"""Import runs end to end through the services and the pages: dry run, real run, duplicates, mapping,
the budget ledger and CRM hand-offs, permissions and isolation."""

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from opencmo.data import loader
from opencmo.data.models import ImportRun
from opencmo.data.services import import_file, open_store, store_remap

from .conftest import CORPUS, sample


def counts(workspace):
    path = open_store(workspace).path
    if not path.exists():
        return None
    with open_store(workspace, read_only=True) as store:
        return loader.table_counts(store)


def add_rate(workspace):
    import datetime as dt
    from decimal import Decimal

    from opencmo.budget.models import ExchangeRate

    ExchangeRate.objects.create(
        workspace=workspace, currency="EUR", date=dt.date(2026, 1, 1), rate=Decimal("11.5")
    )


@pytest.fixture
def rates(acme):
    """The budget ledger converts EUR spend to the workspace's NOK: it needs a rate."""
    add_rate(acme)


@pytest.fixture
def campaign(acme, rates):
    import datetime as dt

    from opencmo.campaigns.models import Campaign, PlatformCampaign
    from opencmo.org.raci_services import activity_create

    activity = activity_create(actor=None, workspace=acme, name="Spring", kind="campaign")
    c = Campaign.objects.create(
        workspace=acme,
        name="Spring",
        code="spring",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        activity=activity,
    )
    PlatformCampaign.objects.create(
        workspace=acme, platform="google_ads", external_name="Spring Sale - Search", campaign=c
    )
    return c


def test_dry_run_writes_nothing(acme, alice, rates):
    run = import_file(
        actor=alice,
        workspace=acme,
        kind="google_ads",
        filename="g.csv",
        data=sample("google_ads_report.csv"),
        dry_run=True,
    )
    assert run.status == ImportRun.Status.CHECKED, (run.message, run.problems)
    assert run.counts == {"ad_performance": 5}
    assert "nothing was written" in run.message
    assert counts(acme) is None


def test_real_run_then_duplicate(acme, alice, campaign):
    run = import_file(
        actor=alice, workspace=acme, kind="google_ads", filename="g.csv", data=sample("google_ads_report.csv")
    )
    assert run.status == ImportRun.Status.SUCCEEDED, run.problems
    assert run.unmapped == ["Always On - Brand"]
    with open_store(acme, read_only=True) as store:
        assert (
            store.execute(
                "SELECT count(*) FROM ad_performance WHERE campaign_id = ?", [campaign.pk]
            ).fetchone()[0]
            == 3
        )
    again = import_file(
        actor=alice,
        workspace=acme,
        kind="google_ads",
        filename="copy.csv",
        data=sample("google_ads_report.csv"),
    )
    assert again.status == ImportRun.Status.DUPLICATE
    assert counts(acme)["ad_performance"] == 5 and counts(acme)["imports"] == 1


def test_spend_reaches_the_budget_ledger_once(acme, alice, campaign):
    from opencmo.budget import services as budget
    from opencmo.budget.models import SpendEntry

    if not hasattr(budget, "spend_import_rows"):
        pytest.skip("budget spend import not available")
    import_file(
        actor=alice, workspace=acme, kind="google_ads", filename="g.csv", data=sample("google_ads_report.csv")
    )
    entries = SpendEntry.objects.filter(workspace=acme, platform="google_ads")
    n = entries.count()
    assert n >= 4  # zero-spend rows may be skipped by the ledger
    import_file(
        actor=alice, workspace=acme, kind="google_ads", filename="g2.csv", data=sample("google_ads_plain.csv")
    )
    assert (
        SpendEntry.objects.filter(workspace=acme, platform="google_ads").count() == n + 1
    )  # 3 March restated, 4 March new


def test_ledger_refusal_rolls_back_the_store(acme, alice):
    run = import_file(
        actor=alice, workspace=acme, kind="google_ads", filename="g.csv", data=sample("google_ads_report.csv")
    )
    assert run.status == ImportRun.Status.FAILED
    assert any("No exchange rate for EUR" in p["message"] for p in run.problems)
    assert counts(acme)["ad_performance"] == 0 and counts(acme)["imports"] == 0


def test_every_corpus_file_leaves_the_store_unchanged(acme, alice):
    import_file(actor=alice, workspace=acme, kind="ga4", filename="ga4.ndjson", data=sample("ga4.ndjson"))
    before = counts(acme)
    for entry in json.loads((CORPUS / "manifest.json").read_text()):
        if not (CORPUS / entry["file"]).read_bytes():
            with pytest.raises(ValidationError, match="empty"):
                import_file(actor=alice, workspace=acme, kind=entry["kind"], filename=entry["file"], data=b"")
            continue
        run = import_file(
            actor=alice,
            workspace=acme,
            kind=entry["kind"],
            filename=entry["file"],
            data=(CORPUS / entry["file"]).read_bytes(),
        )
        assert run.status == ImportRun.Status.FAILED, entry["file"]
        assert run.problems, entry["file"]
        assert counts(acme) == before, entry["file"]


def test_ga4_import_and_utm_mapping(acme, alice, campaign):
    from opencmo.campaigns.models import PlatformCampaign

    run = import_file(
        actor=alice, workspace=acme, kind="ga4", filename="ga4.ndjson", data=sample("ga4.ndjson")
    )
    assert run.status == ImportRun.Status.SUCCEEDED, run.problems
    assert run.counts == {"sessions": 5, "events": 9, "touchpoints": 5, "conversions": 2, "orders": 1}
    assert run.unmapped == ["march", "spring_sale"]
    PlatformCampaign.objects.create(
        workspace=acme, platform="ga4_utm", external_name="spring_sale", campaign=campaign
    )
    changed = store_remap(actor=alice, workspace=acme)
    assert changed["touchpoints"] == 2


def test_crm_contacts_import(acme, alice):
    from opencmo.crm.models import Contact

    dry = import_file(
        actor=alice,
        workspace=acme,
        kind="crm_contacts",
        filename="c.csv",
        data=sample("crm_hubspot.csv"),
        dry_run=True,
    )
    assert dry.status == ImportRun.Status.CHECKED, dry.problems
    assert not Contact.objects.filter(workspace=acme).exists()
    run = import_file(
        actor=alice, workspace=acme, kind="crm_contacts", filename="c.csv", data=sample("crm_hubspot.csv")
    )
    assert run.status == ImportRun.Status.SUCCEEDED, run.problems
    assert Contact.objects.filter(workspace=acme).count() == 2


def test_member_without_budget_role_cannot_import_spend_but_can_import_ga4(acme, bob):
    with pytest.raises(PermissionDenied, match="budget"):
        import_file(
            actor=bob,
            workspace=acme,
            kind="google_ads",
            filename="g.csv",
            data=sample("google_ads_plain.csv"),
        )
    run = import_file(actor=bob, workspace=acme, kind="ga4", filename="ga4.ndjson", data=sample("ga4.ndjson"))
    assert run.status == ImportRun.Status.SUCCEEDED


def test_viewer_cannot_import(acme, vera):
    with pytest.raises(PermissionDenied):
        import_file(
            actor=vera,
            workspace=acme,
            kind="google_ads",
            filename="g.csv",
            data=sample("google_ads_plain.csv"),
        )


def test_cli_import(acme, capsys):
    from django.core.management import call_command

    path = CORPUS.parent / "samples" / "linkedin.csv"
    call_command("import", "linkedin", str(path), "--workspace", "acme", "--dry-run")
    assert "Checked" in capsys.readouterr().out
    call_command("import", "linkedin", str(path), "--workspace", "acme")
    assert counts(acme)["ad_performance"] == 3
    with pytest.raises(SystemExit):
        call_command("import", "google_ads", str(CORPUS / "g_bad_date.csv"), "--workspace", "acme")
    assert "not a real date" in capsys.readouterr().out


# --- pages ---


def test_upload_page_dry_run_then_for_real(
    client_for, acme, alice, rates, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(alice)
    url = reverse("import_upload", kwargs={"ws": "acme"})
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("report.csv", sample("google_ads_report.csv"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"kind": "google_ads", "file": upload, "dry_run": "on"})
    assert response.status_code == 302
    run = ImportRun.objects.get(workspace=acme)
    assert run.status == ImportRun.Status.CHECKED  # ImmediateBackend ran the task
    page = client.get(response.url)
    assert b"Import this file for real" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_run_again", kwargs={"ws": "acme", "importrun_pk": run.pk}))
    new = ImportRun.objects.exclude(pk=run.pk).get()
    assert new.status == ImportRun.Status.SUCCEEDED and counts(acme)["ad_performance"] == 5
    home = client.get(reverse("data_home", kwargs={"ws": "acme"}))
    assert b"report.csv" in home.content and b"ad_performance" in home.content


def test_problems_table_and_htmx_partial(client_for, acme, alice, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(alice)
    upload = SimpleUploadedFile("bad.csv", (CORPUS / "g_bad_date.csv").read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("import_upload", kwargs={"ws": "acme"}), {"kind": "google_ads", "file": upload}
        )
    page = client.get(response.url)
    assert b"not a real date" in page.content and b"Rejected" in page.content
    partial = client.get(response.url, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"run-status" in partial.content


def test_upload_form_errors_are_400_not_500(client_for, acme, alice):
    client = client_for(alice)
    response = client.post(reverse("import_upload", kwargs={"ws": "acme"}), {"kind": "nope"})
    assert response.status_code == 400


def test_viewer_sees_but_cannot_upload(client_for, acme, vera):
    client = client_for(vera)
    assert client.get(reverse("data_home", kwargs={"ws": "acme"})).status_code == 200
    assert client.get(reverse("import_upload", kwargs={"ws": "acme"})).status_code == 403


def test_foreign_run_is_404(client_for, acme, alice, globex, eve):
    add_rate(globex)
    run = import_file(
        actor=eve, workspace=globex, kind="google_ads", filename="g.csv", data=sample("google_ads_plain.csv")
    )
    client = client_for(alice)
    assert (
        client.get(reverse("import_run_detail", kwargs={"ws": "acme", "importrun_pk": run.pk})).status_code
        == 404
    )
    assert (
        client.get(reverse("import_run_detail", kwargs={"ws": "globex", "importrun_pk": run.pk})).status_code
        == 404
    )
    assert (
        client.get(reverse("import_run_detail", kwargs={"ws": "acme", "importrun_pk": 10**30})).status_code
        == 404
    )


def test_a_ga4_export_too_big_for_the_memory_is_refused_before_parsing(acme, alice, monkeypatch):
    """A 4 GB export once pushed the worker past 22 GB and the kernel killed it; now the run is refused
    up front with the sizes and what to do, and nothing is written."""
    from opencmo.data import services
    from opencmo.data.parsers import ga4

    data = sample("ga4.ndjson")
    assert ga4.events_in(data) == data.count(b"\n") + 1
    need = len(data) + ga4.events_in(data) * services.GA4_BYTES_PER_EVENT
    monkeypatch.setattr(services, "_available_memory", lambda: need - 1)
    run = import_file(actor=alice, workspace=acme, kind="ga4", filename="big.ndjson", data=data)
    assert run.status == ImportRun.Status.FAILED
    assert "needs about" in run.message and "per daily export table" in run.message
    assert (counts(acme) or {}).get("events", 0) == 0  # the store was not even opened
    monkeypatch.setattr(services, "_available_memory", lambda: need)
    assert services.memory_refusal("ga4", data) is None
    assert services.memory_refusal("google_ads", data * 1000) is None  # ad reports are not held per event
    buffer = io.BytesIO()  # Parquet is counted from its footer, however well it compresses
    pq.write_table(pa.Table.from_pylist([{"event_name": "page_view"}] * 50_000), buffer)
    assert ga4.events_in(buffer.getvalue()) == 50_000
    assert ga4.events_in(b"PAR1 broken PAR1") == 0


def test_uploads_are_capped_but_the_command_line_reads_big_files(acme, alice, monkeypatch):
    from opencmo.data import services

    data = sample("ga4.ndjson")
    monkeypatch.setattr(services, "MAX_UPLOAD", len(data) - 1)
    with pytest.raises(ValidationError) as refused:
        services.importrun_create(actor=alice, workspace=acme, kind="ga4", filename="a.ndjson", data=data)
    assert "use the command line importer" in str(refused.value)
    run = import_file(actor=alice, workspace=acme, kind="ga4", filename="a.ndjson", data=data)
    assert run.status == ImportRun.Status.SUCCEEDED, run.message
