"""Data import in the browser: a marketing manager uploads a Google Ads report as a dry run and sees the
problems, uploads the corrected report, checks it, imports it for real and sees the counts."""

from pathlib import Path

from playwright.sync_api import expect

from opencmo.core.models import Workspace
from opencmo.org.models import Person

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def _report(currency: str) -> bytes:
    text = (SAMPLES / "google_ads_report.csv").read_bytes()[2:].decode("utf-16-le").replace("EUR", currency)
    return b"\xff\xfe" + text.encode("utf-16-le")


def test_upload_dry_run_problems_then_import(page, live_server, login, shot, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    ws = Workspace.objects.get(slug="nordlys")
    cmo = Person.objects.get(workspace=ws, roles__key="cmo")
    good = _report(ws.currency)
    broken = good.decode("utf-16").replace("2026-03-02", "2026-02-30").replace('"1,002.00"', "a lot")
    (tmp_path / "broken.csv").write_bytes(b"\xff\xfe" + broken.encode("utf-16-le"))
    (tmp_path / "campaign_report.csv").write_bytes(good)

    login(cmo.user.email)
    page.goto(f"{live_server.url}/w/nordlys/data/")
    expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible()
    shot("70-data-home-empty")
    page.get_by_test_id("import-link").click()

    form = page.get_by_test_id("upload-form")
    form.get_by_label("What is this file?").select_option("google_ads")
    form.locator("input[type=file]").set_input_files(str(tmp_path / "broken.csv"))
    expect(form.get_by_label("Dry run", exact=False)).to_be_checked()
    shot("71-data-upload")
    form.get_by_role("button", name="Upload").click()

    expect(page.get_by_test_id("run-status")).to_have_text("Rejected")
    problems = page.get_by_test_id("problems")
    expect(problems).to_contain_text("“2026-02-30” is not a real date")
    expect(problems).to_contain_text("“a lot” is not a number")
    shot("72-data-dry-run-problems")

    page.goto(f"{live_server.url}/w/nordlys/data/import/")
    form = page.get_by_test_id("upload-form")
    form.get_by_label("What is this file?").select_option("google_ads")
    form.locator("input[type=file]").set_input_files(str(tmp_path / "campaign_report.csv"))
    form.get_by_role("button", name="Upload").click()
    expect(page.get_by_test_id("run-status")).to_have_text("Checked (dry run)")
    expect(page.get_by_test_id("count-ad_performance")).to_have_text("5")
    expect(page.get_by_test_id("unmapped-names")).to_contain_text("Spring Sale - Search")
    shot("73-data-dry-run-ok")

    page.get_by_test_id("import-for-real").click()
    expect(page.get_by_test_id("run-status")).to_have_text("Imported")
    expect(page.get_by_test_id("run-message")).to_contain_text("5 ad performance rows")
    shot("74-data-imported")

    page.goto(f"{live_server.url}/w/nordlys/data/")
    counts = page.get_by_test_id("store-counts")
    expect(counts.get_by_role("row", name="ad_performance")).to_contain_text("5")
    expect(page.get_by_test_id("unmapped")).to_contain_text("Always On - Brand")
    shot("75-data-home-after")


def test_map_utm_campaign_names(page, live_server, login, shot, settings, tmp_path):
    """A marketer maps the UTM campaign names of a GA4 export to our campaigns on the UTM page."""
    from opencmo.campaigns.models import Campaign
    from opencmo.data.services import import_file

    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    ws = Workspace.objects.get(slug="nordlys")
    cmo = Person.objects.get(workspace=ws, roles__key="cmo")
    run = import_file(
        actor=cmo.user,
        workspace=ws,
        kind="ga4",
        filename="ga4.ndjson",
        data=(SAMPLES / "ga4.ndjson").read_bytes(),
    )
    assert run.status == "succeeded", run.problems
    campaign = Campaign.objects.filter(workspace=ws).order_by("name").first()
    if campaign is None:  # the browser demo is built without plans
        from tests.data.test_utm import _campaign

        campaign = _campaign(ws, "Spring sale", "spring-sale")

    login(cmo.user.email)
    page.goto(f"{live_server.url}/w/nordlys/data/")
    page.get_by_test_id("utm-link").click()
    expect(page.get_by_role("heading", name="UTM campaigns")).to_be_visible()
    unmapped = page.get_by_test_id("utm-unmapped")
    row = unmapped.get_by_role("row").filter(has_text="spring_sale")
    expect(row).to_contain_text("2026-03-01")
    shot("74-data-utm-unmapped")
    row.get_by_label("Our campaign for spring_sale").select_option(str(campaign.pk))
    row.get_by_role("button", name="Map").click()

    expect(page.locator("ul.messages")).to_contain_text("touchpoints updated")
    expect(page.get_by_test_id("utm-mapped")).to_contain_text("spring_sale")
    expect(page.get_by_test_id("utm-mapped")).to_contain_text(campaign.name)
    expect(page.get_by_test_id("utm-unmapped")).not_to_contain_text("spring_sale")
    shot("75-data-utm-mapped")
