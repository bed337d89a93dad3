"""Budget pages: they render for each role, forms show errors instead of crashing, writes answer 403 to
readers, restricted plans and foreign objects answer 404."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from opencmo.budget import services
from opencmo.budget.models import BudgetLine, ExchangeRate, ReallocationRequest, SpendEntry
from opencmo.campaigns.models import PlatformCampaign
from opencmo.org.raci_services import activity_update

D = Decimal
pytestmark = pytest.mark.django_db


def urls(tree):
    ws = "/w/acme/budget"
    return {
        "home": f"{ws}/",
        "plan": f"{ws}/plans/{tree.plan.pk}/",
        "line": f"{ws}/lines/{tree.spring_line.pk}/",
        "root": f"{ws}/lines/{tree.root.pk}/",
        "realloc": f"{ws}/plans/{tree.plan.pk}/reallocations/",
        "spend": f"{ws}/spend/",
        "unmatched": f"{ws}/unmatched/",
        "rates": f"{ws}/rates/",
    }


@pytest.fixture
def booked(tree):
    t = tree.team
    services.rate_set(actor=None, workspace=tree.ws, currency="EUR", date=dt.date(2026, 1, 1), rate="11.5")
    services.spend_create(
        actor=t.bob,
        workspace=tree.ws,
        date=dt.date(2026, 2, 3),
        amount="1000",
        currency="EUR",
        line=tree.spring_line,
        description='=HYPERLINK("http://evil")',
    )
    services.commitment_create(
        actor=t.bob, line=tree.spring_line, supplier="Fjord", month=dt.date(2026, 4, 1), amount=5000
    )
    services.spend_import_rows(
        actor=None,
        workspace=tree.ws,
        platform="meta",
        rows=[
            {
                "date": "2026-02-04",
                "amount": "250",
                "currency": "NOK",
                "external_campaign": "Brand video",
                "natural_key": "meta:1",
            }
        ],
    )
    services.reallocation_request(
        actor=t.bob, from_line=tree.root, to_line=tree.email_line, amount=1000, reason="Promo"
    )
    return tree


def test_every_page_renders_for_the_accountable_the_responsible_and_a_viewer(client_for, booked, vera):
    t = booked.team
    for user in (t.marta, t.bob, vera, t.alice, t.carl):
        client = client_for(user)
        for name, url in urls(booked).items():
            response = client.get(url)
            assert response.status_code == 200, (user, name, response.status_code)
    page = client_for(t.marta).get(urls(booked)["plan"]).content.decode()
    assert "Allocate money to a new line" in page and 'data-testid="pacing-chart"' in page
    assert "<svg" in page and 'data-testid="burndown-chart"' in page and "Show as table" in page
    reader = client_for(vera).get(urls(booked)["plan"]).content.decode()
    assert "Allocate money to a new line" not in reader and "Plan settings" not in reader


def test_allocate_through_the_page_and_errors_on_the_form(client_for, tree):
    client = client_for(tree.team.marta)
    url = urls(tree)["plan"]
    response = client.post(
        url, {"action": "allocate", "parent": tree.root.pk, "level": "channel", "amount": "abc"}
    )
    assert response.status_code == 200 and "Enter a number" in response.content.decode()
    response = client.post(
        url,
        {
            "action": "allocate",
            "parent": tree.root.pk,
            "level": "channel",
            "channel": tree.social.pk,
            "amount": "300000.01",
        },
    )
    assert "Only 300,000.00 is left unallocated" in response.content.decode()
    response = client.post(
        url,
        {
            "action": "allocate",
            "parent": tree.search_line.pk,
            "level": "campaign",
            "campaign": tree.autumn.pk,
            "amount": "1",
        },
    )
    assert "does not run on Paid search" in response.content.decode()
    response = client.post(
        url,
        {
            "action": "allocate",
            "parent": tree.root.pk,
            "level": "channel",
            "channel": tree.social.pk,
            "amount": "250000",
            "name": "",
        },
    )
    assert response.status_code == 302
    assert BudgetLine.objects.get(plan=tree.plan, channel=tree.social).amount == D("250000.00")
    assert client.post(url, {"action": "nonsense"}, follow=True).status_code == 200


def test_readers_get_403_on_writes(client_for, booked, vera):
    t = booked.team
    u = urls(booked)
    for user in (vera, t.olga, t.bob):
        client = client_for(user)
        assert (
            client.post(
                u["plan"],
                {
                    "action": "allocate",
                    "parent": booked.root.pk,
                    "level": "other",
                    "name": "x",
                    "amount": "1",
                },
            ).status_code
            == 403
        )
        assert client.post(u["line"], {"action": "resize", "amount": "1"}).status_code == 403
        assert client.post(u["line"], {"action": "delete"}).status_code == 403
    for user in (vera, t.olga):
        client = client_for(user)
        assert client.post(
            u["spend"], {"date": "2026-02-01", "amount": "5", "line": booked.spring_line.pk}
        ).status_code in {
            200,
            403,
        }
        assert not SpendEntry.objects.filter(amount=5).exists()
        assert (
            client.post(u["rates"], {"currency": "SEK", "date": "2026-01-01", "rate": "1"}).status_code == 403
        )
        assert (
            client.post(
                u["realloc"],
                {
                    "action": "request",
                    "from_line": booked.root.pk,
                    "to_line": booked.email_line.pk,
                    "amount": "1",
                    "reason": "x",
                },
            ).status_code
            == 403
        )
        assert (
            client.post(
                u["unmatched"],
                {"platform": "meta", "external_campaign": "Brand video", "campaign": booked.spring.pk},
            ).status_code
            == 403
        )


def test_restricted_plans_are_hidden_from_outsiders(client_for, booked):
    t = booked.team
    activity_update(actor=t.alice, activity=booked.plan.activity, restricted=True)
    client = client_for(t.olga)
    for name in ("plan", "line", "realloc"):
        assert client.get(urls(booked)[name]).status_code == 404
    assert "FY 2026" not in client.get(urls(booked)["home"]).content.decode()
    spend = client.get(urls(booked)["spend"]).content.decode()
    assert "HYPERLINK" not in spend and "FY 2026 · Spring launch" not in spend
    assert "Brand video" in spend  # unmatched spend is on no plan: the marketing team sees it
    assert client_for(t.bob).get(urls(booked)["plan"]).status_code == 200  # R sees it
    assert client_for(t.agnes).get(urls(booked)["plan"]).status_code == 404  # agency staff not on it


def test_responsible_enters_spend_and_sees_it_on_the_line(client_for, tree):
    client = client_for(tree.team.bob)
    response = client.post(
        urls(tree)["spend"],
        {
            "date": "2026-03-05",
            "amount": "12500",
            "currency": "",
            "line": tree.spring_line.pk,
            "description": "Search ads March",
        },
        follow=True,
    )
    assert "recorded on “Spring launch”" in response.content.decode()
    line_page = client.get(urls(tree)["line"]).content.decode()
    assert "Search ads March" in line_page and "12,500.00" in line_page
    bad = client.post(
        urls(tree)["spend"],
        {"date": "2026-03-05", "amount": "1", "currency": "USD", "line": tree.spring_line.pk},
    )
    assert "No exchange rate for USD on or before 2026-03-05" in bad.content.decode()
    assert client.post(urls(tree)["spend"], {"date": "nope", "amount": ""}).status_code == 200


def test_months_editor_and_commitments(client_for, tree):
    client = client_for(tree.team.marta)
    url = urls(tree)["line"]
    client.post(url, {"action": "spread"})
    data = {"action": "months"}
    for month in range(1, 13):
        data[f"planned_2026-{month:02d}"] = "10000"
        data[f"forecast_2026-{month:02d}"] = ""
    page = client.post(url, data).content.decode()
    assert "The months add up to NOK 120,000.00 but the line holds NOK 200,000.00" in page
    data["planned_2026-12"] = "90000"
    data["forecast_2026-12"] = "95000"
    assert client.post(url, data).status_code == 302
    assert tree.spring_line.months.get(month=dt.date(2026, 12, 1)).forecast == D("95000.00")
    # R may set forecasts but not the plan.
    bob = client_for(tree.team.bob)
    data["planned_2026-12"] = "1"
    data["forecast_2026-12"] = "80000"
    assert bob.post(url, data).status_code == 302
    assert tree.spring_line.months.get(month=dt.date(2026, 12, 1)).planned == D("90000.00")
    assert tree.spring_line.months.get(month=dt.date(2026, 12, 1)).forecast == D("80000.00")
    response = bob.post(url, {"action": "commit", "supplier": "Agency", "month": "2026-05", "amount": "7000"})
    assert response.status_code == 302 and tree.spring_line.commitments.get().month == dt.date(2026, 5, 1)
    bad = bob.post(url, {"action": "commit", "supplier": "", "month": "May", "amount": "-1"}).content.decode()
    assert "This field is required" in bad and "Enter a valid date" in bad


def test_reallocation_page_request_and_decide(client_for, tree):
    t = tree.team
    url = urls(tree)["realloc"]
    bob = client_for(t.bob)
    response = bob.post(
        url,
        {
            "action": "request",
            "from_line": tree.root.pk,
            "to_line": tree.email_line.pk,
            "amount": "5000",
            "reason": "Black Friday mailing",
        },
        follow=True,
    )
    assert "waiting for approval by Marta" in response.content.decode()
    realloc = ReallocationRequest.objects.get()
    bad = bob.post(
        url,
        {
            "action": "request",
            "from_line": tree.root.pk,
            "to_line": tree.email_line.pk,
            "amount": "999999999",
            "reason": "x",
        },
    ).content.decode()
    assert "unallocated" in bad
    marta = client_for(t.marta)
    assert 'data-testid="decide-' in marta.get(url).content.decode()
    missing = marta.post(
        url, {"action": "decide", "reallocation": realloc.pk, "decision": "reject", "comment": ""}
    )
    assert "Say why it is rejected" in missing.content.decode()
    marta.post(url, {"action": "decide", "reallocation": realloc.pk, "decision": "approve", "comment": "Go"})
    realloc.refresh_from_db()
    assert realloc.status == "applied"
    history = client_for(t.carl).get(url).content.decode()
    assert "Black Friday mailing" in history and "Approved and applied" in history
    assert (
        bob.post(url, {"action": "decide", "reallocation": "999999", "decision": "approve"}).status_code
        == 404
    )


def test_unmatched_queue_maps_a_name(client_for, booked):
    client = client_for(booked.team.bob)
    page = client.get(urls(booked)["unmatched"]).content.decode()
    assert "Brand video" in page and "Map" in page
    response = client.post(
        urls(booked)["unmatched"],
        {"platform": "meta", "external_campaign": "Brand video", "campaign": booked.spring.pk},
        follow=True,
    )
    assert "1 entry matched" in response.content.decode()
    assert PlatformCampaign.objects.filter(workspace=booked.ws, external_name="Brand video").exists()
    again = client.post(
        urls(booked)["unmatched"],
        {"platform": "meta", "external_campaign": "Brand video", "campaign": booked.spring.pk},
    )
    assert "Nothing is waiting under that name" in again.content.decode()


def test_rates_page_add_edit_import(client_for, tree):
    client = client_for(tree.team.bob)
    url = urls(tree)["rates"]
    assert client.post(url, {"currency": "usd", "date": "2026-01-05", "rate": "10.25"}).status_code == 302
    rate = ExchangeRate.objects.get(currency="USD")
    assert (
        "workspace currency"
        in client.post(url, {"currency": "NOK", "date": "2026-01-05", "rate": "1"}).content.decode()
    )
    edit = f"/w/acme/budget/rates/{rate.pk}/"
    assert client.get(edit).status_code == 200
    assert client.post(edit, {"currency": "USD", "date": "2026-01-05", "rate": "10.5"}).status_code == 302
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "rates.csv", b"currency,date,rate\nEUR,2026-01-01,x\n", content_type="text/csv"
    )
    page = client.post(url, {"action": "import", "file": upload}).content.decode()
    assert "Row 1, rate" in page and "Nothing imported" in page


def test_csv_exports_escape_formulas_and_keep_numbers(client_for, booked):
    client = client_for(booked.team.marta)
    plan_csv = client.get(f"/w/acme/budget/plans/{booked.plan.pk}/export.csv").content.decode("utf-8-sig")
    assert "Planned 2026-01" in plan_csv and "Spring launch" in plan_csv
    spend_csv = client.get("/w/acme/budget/spend.csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in spend_csv and ",11500.00," in spend_csv
    line_csv = client.get(f"/w/acme/budget/lines/{booked.spring_line.pk}/pacing.csv").content.decode(
        "utf-8-sig"
    )
    assert line_csv.splitlines()[0].startswith("Month,Planned")
    assert re.search(r"2026-02,\d", line_csv)


def test_garbage_never_crashes_a_page(client_for, booked):
    client = client_for(booked.team.alice)
    commitment = booked.spring_line.commitments.get()
    entry = SpendEntry.objects.filter(source="manual").first()
    rate = ExchangeRate.objects.first()
    mapping_free = urls(booked)
    posts = [
        (mapping_free["home"], {"name": "", "start_date": "x", "total": "1e99"}),
        (mapping_free["plan"], {"action": "allocate", "parent": "abc", "level": "zzz", "amount": "1e30"}),
        (mapping_free["plan"], {"action": "edit", "name": "", "status": "nope"}),
        (mapping_free["line"], {"action": "months", "planned_2026-01": "x"}),
        (mapping_free["line"], {"action": "resize", "amount": "-5"}),
        (mapping_free["line"], {"action": "edit", "accountable": "999999"}),
        (mapping_free["line"], {"action": "commit", "month": "2030-01", "amount": "5", "supplier": "x"}),
        (mapping_free["realloc"], {"action": "request", "from_line": "x", "amount": "1"}),
        (mapping_free["realloc"], {"action": "decide", "reallocation": "abc"}),
        (mapping_free["realloc"], {"action": "signoff"}),
        (mapping_free["spend"], {"date": "2026-02-30", "amount": "1", "currency": "€€"}),
        (
            mapping_free["spend"],
            {"date": "2026-02-03", "amount": "99999999999999999", "line": booked.spring_line.pk},
        ),
        (mapping_free["unmatched"], {"platform": "meta", "external_campaign": "nope", "campaign": "1"}),
        (mapping_free["rates"], {"currency": "EURO", "date": "", "rate": "0"}),
        (mapping_free["rates"], {"action": "import"}),
        (f"/w/acme/budget/commitments/{commitment.pk}/", {"amount": "x"}),
        (f"/w/acme/budget/rates/{rate.pk}/", {"currency": "", "rate": "-1"}),
        (f"/w/acme/budget/spend/{entry.pk}/delete/", {"next": "https://evil.example/"}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code < 500, (url, data, response.status_code)
        if url.endswith("/delete/"):
            assert response["Location"] == "/w/acme/budget/spend/"  # no open redirect
    for url in mapping_free.values():
        assert (
            client.get(
                url, {"parent": "x", "page": "abc", "plan": "zz", "date_from": "x", "from": "q"}
            ).status_code
            == 200
        )
